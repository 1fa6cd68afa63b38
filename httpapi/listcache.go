package httpapi

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"net/http"
	"strconv"
	"sync"

	"github.com/klauspost/compress/gzip"

	"github.com/agentry/agentry/registry"
)

// Clients list the same first pages again and again (consoles, importers,
// synchronizations), and gzip was the largest cost of answering one once
// the store kept summaries. pageCache keeps recent answers gzipped under
// what the store read for them in the request at hand: the registry, id
// and Rev of every record and the next token. A Rev names one state of a
// record that no later write gives again, so a hit is exactly the answer
// encoding the page would give, whatever other replicas wrote; a page of
// a store without revs (Rev 0) is never cached.
type pageCache struct {
	mu sync.RWMutex
	m  map[[sha256.Size]byte][]byte
}

// maxCachedPages bounds a pageCache: a page of 100 is about 5 KB gzipped.
// Past it, each new page pushes out an arbitrary one.
const maxCachedPages = 512

// pageKey is the key of page in a's pageCache, if its records have revs.
func (a *api) pageKey(page registry.RecordPage) (key [sha256.Size]byte, ok bool) {
	if len(page.Records) == 0 {
		return key, false
	}
	h := sha256.New()
	var n [8]byte
	field := func(s string) {
		binary.BigEndian.PutUint64(n[:], uint64(len(s)))
		h.Write(n[:])
		h.Write([]byte(s))
	}
	field(a.arns.Registry("")) // the ARNs the answer shows
	for _, rec := range page.Records {
		if rec.Rev == 0 {
			return key, false
		}
		field(rec.RegistryID)
		field(rec.ID)
		binary.BigEndian.PutUint64(n[:], uint64(rec.Rev))
		h.Write(n[:])
	}
	field(page.NextToken)
	h.Sum(key[:0])
	return key, true
}

// gzipWriters compress pages on a miss, as compressJSON would.
var gzipWriters = sync.Pool{New: func() any {
	zw, _ := gzip.NewWriterLevel(nil, compressLevel)
	return zw
}}

// writeCachedPage writes the answer of page, gzipped, from the cache or
// made and kept there. The client accepts gzip; compressJSON passes an
// answer with a Content-Encoding through.
func (a *api) writeCachedPage(w http.ResponseWriter, key [sha256.Size]byte, page registry.RecordPage) {
	c := a.listPages
	c.mu.RLock()
	body, ok := c.m[key]
	c.mu.RUnlock()
	if !ok {
		plain := a.appendRecordSummaries(nil, page)
		if len(plain) < compressMinBytes { // as compressJSON: not compressed, nor kept
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusOK)
			w.Write(plain)
			return
		}
		var buf bytes.Buffer
		zw := gzipWriters.Get().(*gzip.Writer)
		zw.Reset(&buf)
		zw.Write(plain)
		zw.Close() // into a bytes.Buffer: it cannot fail
		gzipWriters.Put(zw)
		body = buf.Bytes()
		c.mu.Lock()
		if c.m == nil {
			c.m = make(map[[sha256.Size]byte][]byte)
		}
		if len(c.m) >= maxCachedPages {
			for old := range c.m {
				delete(c.m, old)
				break
			}
		}
		c.m[key] = body
		c.mu.Unlock()
	}
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Content-Encoding", "gzip")
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(http.StatusOK)
	w.Write(body)
}
