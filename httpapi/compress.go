package httpapi

import (
	"net/http"

	"github.com/klauspost/compress/gzhttp"
	"github.com/klauspost/compress/gzip"
)

// JSON answers are compressed with gzip for clients that accept it (the Go
// SDKs' transport asks for it by itself and decompresses transparently;
// curl does with --compressed). A compressed answer costs less to send and,
// more to the point, usually fits in one read of the client: smithy-go
// v1.28 may close a connection under an answer that takes several reads
// (docs/operations.md, "AWS SDK for Go clients").
//
// compressLevel and compressMinBytes were chosen by measurement
// (docs/benchmarks.md, "Compression"): level 1 compresses the answers of
// this API (JSON with descriptors embedded as JSON strings) to 10-15% of
// their size, within a few percent of the default level, at half its CPU
// time; below 1 KiB an answer fits one TCP segment anyway.
const (
	compressLevel    = gzip.BestSpeed
	compressMinBytes = 1024
)

// compressJSON gzips application/json answers of at least minBytes for
// clients whose Accept-Encoding allows gzip. Everything else passes
// unchanged: smaller answers, other content types (an event stream is
// never compressed), HEAD requests, and clients that do not ask for gzip.
func compressJSON(level, minBytes int) func(http.Handler) http.Handler {
	wrap, err := gzhttp.NewWrapper(gzhttp.MinSize(minBytes), gzhttp.CompressionLevel(level),
		gzhttp.ContentTypes([]string{"application/json"}), gzhttp.EnableZstd(false))
	if err != nil {
		panic(err) // only for an invalid level
	}
	return func(h http.Handler) http.Handler { return wrap(h) }
}
