package httpapi

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/agentry/agentry/internal/testcatalog"
	"github.com/agentry/agentry/registry"
)

// wireAnswers are answers of the sizes clients meet, encoded as the
// handlers encode them: searches of 1, 10 and 20 records of a
// testcatalog.Wire registry, a list of 100 of them and GetRegistryRecord of
// its 90 KB record.
func wireAnswers(tb testing.TB) []struct {
	name string
	body []byte
} {
	seed := testcatalog.WireSeed(tb, "../testdata")
	arns := registry.ARNs{Region: "us-east-1", AccountID: "123456789012"}
	now := timestamp(time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC))
	record := func(i, tools int) searchRecordJSON {
		server, list := testcatalog.WireDescriptorTexts(seed, i, tools)
		id := fmt.Sprintf("rec%09d", i)
		return searchRecordJSON{RegistryArn: arns.Registry("wire00000000"), RecordArn: arns.Record("wire00000000", id),
			RecordID: id, Name: fmt.Sprintf("server-%03d", i), Description: seed[i%len(seed)], DescriptorType: registry.DescriptorMCP,
			Descriptors: registry.Descriptors{MCP: &registry.MCPDescriptor{Server: &registry.ServerDefinition{InlineContent: server},
				Tools: &registry.ToolsDefinition{InlineContent: list}}},
			Version: "1.2.0", Status: registry.StatusApproved, CreatedAt: now, UpdatedAt: now}
	}
	search := func(n int) []byte {
		out := searchResultJSON{RegistryRecords: []searchRecordJSON{}}
		for i := range n {
			out.RegistryRecords = append(out.RegistryRecords, record(i, 2+i%5))
		}
		b, _ := json.Marshal(out)
		return b
	}
	var list struct {
		RegistryRecords []recordSummaryJSON `json:"registryRecords"`
	}
	for i := range 100 {
		r := record(i, 0)
		list.RegistryRecords = append(list.RegistryRecords, recordSummaryJSON{RegistryArn: r.RegistryArn, RecordArn: r.RecordArn,
			RecordID: r.RecordID, Name: r.Name, Description: r.Description, DescriptorType: r.DescriptorType,
			RecordVersion: r.Version, Status: r.Status, CreatedAt: now, UpdatedAt: now})
	}
	listBody, _ := json.Marshal(list)
	big, _ := json.Marshal(record(0, testcatalog.BigTools))
	return []struct {
		name string
		body []byte
	}{{"search-1", search(1)}, {"search-10", search(10)}, {"search-20", search(20)}, {"list-100", listBody}, {"get-90KB", big}}
}

// TestCompressJSON: what the middleware compresses and what it leaves
// alone.
func TestCompressJSON(t *testing.T) {
	jsonString := func(n int) string { return `"` + strings.Repeat("a", n-2) + `"` }
	for _, c := range []struct {
		name, method, contentType string
		writes                    []string // the body, as the handler writes it
		acceptEncoding            string
		status                    int
		wantGzip                  bool
	}{
		{"JSON at the threshold", "GET", "application/json", []string{jsonString(compressMinBytes)}, "gzip", 200, true},
		{"JSON with a charset", "POST", "application/json; charset=utf-8", []string{jsonString(5000)}, "gzip", 200, true},
		{"JSON in pieces", "POST", "application/json", []string{"[", jsonString(900), ",", jsonString(5000), "]"}, "gzip", 200, true},
		{"an error", "GET", "application/json", []string{jsonString(5000)}, "gzip", 400, true},
		{"as browsers ask", "GET", "application/json", []string{jsonString(5000)}, "gzip, deflate, br, zstd", 200, true},
		{"JSON below the threshold", "GET", "application/json", []string{jsonString(compressMinBytes - 1)}, "gzip", 200, false},
		{"no Accept-Encoding", "GET", "application/json", []string{jsonString(5000)}, "", 200, false},
		{"gzip refused", "GET", "application/json", []string{jsonString(5000)}, "identity, gzip;q=0", 200, false},
		{"another encoding", "GET", "application/json", []string{jsonString(5000)}, "br", 200, false},
		{"HEAD", "HEAD", "application/json", []string{jsonString(5000)}, "gzip", 200, false},
		{"an event stream", "POST", "text/event-stream", []string{"data: " + jsonString(5000) + "\n\n"}, "gzip", 200, false},
		{"plain text", "GET", "text/plain", []string{strings.Repeat("a", 5000)}, "gzip", 200, false},
		{"204", "DELETE", "", nil, "gzip", 204, false},
	} {
		h := compressJSON(compressLevel, compressMinBytes)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if c.contentType != "" {
				w.Header().Set("Content-Type", c.contentType)
			}
			w.WriteHeader(c.status)
			for _, s := range c.writes {
				io.WriteString(w, s)
			}
		}))
		srv := httptest.NewServer(h)
		req, _ := http.NewRequest(c.method, srv.URL, nil)
		if c.acceptEncoding != "" {
			req.Header.Set("Accept-Encoding", c.acceptEncoding)
		}
		resp, err := (&http.Transport{DisableCompression: true}).RoundTrip(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		srv.Close()
		gzipped := resp.Header.Get("Content-Encoding") == "gzip"
		if gzipped {
			if resp.ContentLength != int64(len(body)) {
				t.Errorf("%s: Content-Length %d, body %d bytes", c.name, resp.ContentLength, len(body))
			}
			zr, err := gzip.NewReader(bytes.NewReader(body))
			if err != nil {
				t.Fatalf("%s: %v", c.name, err)
			}
			body, _ = io.ReadAll(zr)
		}
		wantBody := strings.Join(c.writes, "")
		if c.method == "HEAD" {
			wantBody = ""
		}
		if resp.StatusCode != c.status || gzipped != c.wantGzip || string(body) != wantBody ||
			resp.Header.Get("Content-Type") != c.contentType || resp.Header.Get("Vary") != "Accept-Encoding" {
			t.Errorf("%s: %d, Content-Encoding %q, Content-Type %q, Vary %q, %d bytes; want %d, gzip %v, %d bytes", c.name,
				resp.StatusCode, resp.Header.Get("Content-Encoding"), resp.Header.Get("Content-Type"), resp.Header.Get("Vary"),
				len(body), c.status, c.wantGzip, len(wantBody))
		}
	}
}

// TestCompressJSONStreams: an event stream goes out as it is written, not
// when the handler is done.
func TestCompressJSONStreams(t *testing.T) {
	read := make(chan struct{})
	srv := httptest.NewServer(compressJSON(compressLevel, compressMinBytes)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		io.WriteString(w, "data: first\n\n")
		http.NewResponseController(w).Flush()
		select {
		case <-read: // the client has the first event
			io.WriteString(w, "data: second\n\n")
		case <-time.After(5 * time.Second):
			io.WriteString(w, "data: held back\n\n")
		}
	})))
	defer srv.Close()
	resp, err := http.Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	br := bufio.NewReader(resp.Body)
	first, _ := br.ReadString('\n')
	close(read)
	br.ReadString('\n')
	second, _ := br.ReadString('\n')
	if first != "data: first\n" || second != "data: second\n" || resp.Header.Get("Content-Encoding") != "" {
		t.Fatalf("events %q, %q, Content-Encoding %q", first, second, resp.Header.Get("Content-Encoding"))
	}
}

// TestCompressJSONPanic: a handler that panics sends nothing, so that the
// server's recovery can answer with an error; a write after the answer went
// out is refused.
func TestCompressJSONPanic(t *testing.T) {
	var late http.ResponseWriter
	h := compressJSON(compressLevel, compressMinBytes)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		late = w
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"half": "an answer`)
		if r.URL.Path == "/panic" {
			panic("handler failed")
		}
	}))
	for _, path := range []string{"/panic", "/"} {
		w := httptest.NewRecorder()
		r := httptest.NewRequest("GET", path, nil)
		r.Header.Set("Accept-Encoding", "gzip")
		func() {
			defer func() { recover() }()
			h.ServeHTTP(w, r)
		}()
		if path == "/panic" && w.Body.Len() != 0 {
			t.Errorf("a handler that panicked sent %q", w.Body)
		}
	}
	if _, err := io.WriteString(late, "more"); err != errAnswerSent {
		t.Errorf("write after the answer: %v, want errAnswerSent", err)
	}
}

// BenchmarkCompressJSON: the cost and the gain of compressing answers at
// each gzip level, through the middleware as it serves them ("identity":
// without it).
func BenchmarkCompressJSON(b *testing.B) {
	for _, a := range wireAnswers(b) {
		for _, level := range []int{0, 1, 2, 4, 6, 9} {
			name := fmt.Sprintf("%s/level-%d", a.name, level)
			var h http.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "application/json")
				w.Write(a.body)
			})
			if level == 0 {
				name = a.name + "/identity"
			} else {
				h = compressJSON(level, 0)(h)
			}
			b.Run(name, func(b *testing.B) {
				r := httptest.NewRequest("GET", "/", nil)
				r.Header.Set("Accept-Encoding", "gzip")
				w := &countingWriter{header: http.Header{}}
				b.SetBytes(int64(len(a.body)))
				for b.Loop() {
					w.n = 0
					clear(w.header)
					h.ServeHTTP(w, r)
				}
				b.ReportMetric(float64(len(a.body)), "in-B")
				b.ReportMetric(float64(w.n), "out-B")
			})
		}
	}
}

// countingWriter is a ResponseWriter that counts the bytes of the body and
// keeps none.
type countingWriter struct {
	header http.Header
	n      int
}

func (w *countingWriter) Header() http.Header { return w.header }
func (w *countingWriter) WriteHeader(int)     {}
func (w *countingWriter) Write(b []byte) (int, error) {
	w.n += len(b)
	return len(b), nil
}
