package httpapi

import (
	"bytes"
	"errors"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"sync"

	"github.com/klauspost/compress/gzip"
)

// JSON answers are compressed with gzip for clients that accept it (the Go
// SDKs' transport asks for it by itself and decompresses transparently;
// curl does with --compressed). A compressed answer costs less to send and,
// up to about 30 KB of JSON, fits in one read of the client: smithy-go
// v1.28 may close a connection under an answer that takes several reads
// (docs/operations.md, "AWS SDK for Go clients").
//
// compressLevel and compressMinBytes were chosen by measurement
// (docs/benchmarks.md, issue 11): level 1 compresses the answers of this
// API (JSON with descriptors embedded as JSON strings) to 10-13% of their
// size, within 8-13% of level 6, at a third to a half of its CPU time;
// below 1 KiB an answer fits one TCP segment anyway.
const (
	compressLevel    = gzip.BestSpeed
	compressMinBytes = 1024
)

// compressJSON gzips application/json answers of at least minBytes for
// clients whose Accept-Encoding allows gzip. Everything else passes
// unchanged: smaller answers, other content types (an event stream is
// never compressed), HEAD requests, and clients that do not ask for gzip.
//
// The answer is compressed in memory and sent with its length once the
// handler is done: the compressor (half a megabyte of state) goes back to
// its pool before a byte is sent, so a client that reads slowly holds only
// the compressed answer. A handler that panics sends nothing.
func compressJSON(level, minBytes int) func(http.Handler) http.Handler {
	pool := &sync.Pool{New: func() any {
		zw, err := gzip.NewWriterLevel(nil, level)
		if err != nil {
			panic(err) // only for an invalid level
		}
		return zw
	}}
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Add("Vary", "Accept-Encoding")
			if r.Method == http.MethodHead || !acceptsGzip(r.Header.Values("Accept-Encoding")) {
				next.ServeHTTP(w, r)
				return
			}
			cw := &compressWriter{ResponseWriter: w, pool: pool, minBytes: minBytes}
			next.ServeHTTP(cw, r)
			cw.finish()
		})
	}
}

// acceptsGzip reports whether Accept-Encoding values name gzip with a
// quality above 0.
func acceptsGzip(values []string) bool {
	for _, v := range values {
		for _, item := range strings.Split(v, ",") {
			coding, params, _ := strings.Cut(item, ";")
			if c := strings.ToLower(strings.TrimSpace(coding)); c != "gzip" && c != "x-gzip" {
				continue
			}
			q := 1.0
			if name, value, ok := strings.Cut(strings.TrimSpace(params), "="); ok && strings.EqualFold(strings.TrimSpace(name), "q") {
				q, _ = strconv.ParseFloat(strings.TrimSpace(value), 64)
			}
			return q > 0
		}
	}
	return false
}

// errAnswerSent refuses a write after the answer went out: the MCP SDK may
// write from its own goroutine after a client went away.
var errAnswerSent = errors.New("httpapi: write after the answer was sent")

// compressWriter holds an answer back until the handler is done, then
// sends it, compressed if it is JSON of minBytes or more. Another content
// type, or a status without a body, goes straight through from the first
// write.
type compressWriter struct {
	http.ResponseWriter
	pool     *sync.Pool
	minBytes int

	mu     sync.Mutex // the MCP SDK writes from another goroutine
	status int
	head   []byte       // the answer while it is shorter than minBytes
	zw     *gzip.Writer // compressing into zbuf once it is not
	zbuf   bytes.Buffer
	direct bool // not compressed: writes go straight through
	sent   bool
}

func (w *compressWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

func (w *compressWriter) WriteHeader(code int) {
	w.mu.Lock()
	defer w.mu.Unlock()
	switch {
	case w.direct || code < 200: // 1xx answers go out at once
		w.ResponseWriter.WriteHeader(code)
	case w.status == 0:
		w.status = code
	}
}

func (w *compressWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	switch {
	case w.sent:
		return 0, errAnswerSent
	case !w.direct && w.zw == nil && len(w.head) == 0 && !w.compressible():
		w.direct = true
		if w.status != 0 {
			w.ResponseWriter.WriteHeader(w.status)
		}
	}
	switch {
	case w.direct:
		return w.ResponseWriter.Write(p)
	case w.zw == nil && len(w.head)+len(p) < w.minBytes:
		w.head = append(w.head, p...)
		return len(p), nil
	case w.zw == nil:
		w.zw = w.pool.Get().(*gzip.Writer)
		w.zw.Reset(&w.zbuf)
		if _, err := w.zw.Write(w.head); err != nil {
			return 0, err
		}
		w.head = nil
	}
	return w.zw.Write(p)
}

// compressible reports whether the answer is JSON, not encoded already,
// with a status that has a body.
func (w *compressWriter) compressible() bool {
	h := w.Header()
	mediaType, _, _ := mime.ParseMediaType(h.Get("Content-Type"))
	return mediaType == "application/json" && h.Get("Content-Encoding") == "" &&
		w.status != http.StatusNoContent && w.status != http.StatusNotModified
}

// Flush passes through once writes do; a JSON answer is sent whole when
// the handler is done.
func (w *compressWriter) Flush() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.direct {
		http.NewResponseController(w.ResponseWriter).Flush()
	}
}

// finish sends the answer held back.
func (w *compressWriter) finish() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.sent || w.direct {
		w.sent = true
		return
	}
	w.sent = true
	body := w.head
	if w.zw != nil {
		w.zw.Close() // into a bytes.Buffer: it cannot fail
		w.pool.Put(w.zw)
		w.zw = nil
		body = w.zbuf.Bytes()
		w.Header().Set("Content-Encoding", "gzip")
		w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	}
	if w.status != 0 {
		w.ResponseWriter.WriteHeader(w.status)
	}
	if len(body) > 0 {
		w.ResponseWriter.Write(body)
	}
}
