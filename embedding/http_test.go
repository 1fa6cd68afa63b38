package embedding

import (
	"context"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/agentry/agentry/search"
)

var (
	_ search.Embedder = (*HTTP)(nil)
	_ search.Embedder = (*Static)(nil)
)

const testKey = "sk-test-SECRET-0123456789abcdef"

// fakeVector is the fake server's embedding of a text: deterministic and
// different for different texts.
func fakeVector(text string, dim int) []float32 {
	v := make([]float32, dim)
	for i := range v {
		v[i] = float32(len(text)) + float32(i)/10
	}
	if len(text) > 0 {
		v[0] = float32(text[0])
	}
	return v
}

// fakeAPI is an OpenAI-compatible embeddings server. Its behaviour is
// changed by the fields, which are read under mu.
type fakeAPI struct {
	t   *testing.T
	mu  sync.Mutex
	dim int
	// reverse answers with the data in reverse order (indexes still right).
	reverse bool
	// fail, when set, answers instead of the normal handler while it
	// returns true.
	fail     func(w http.ResponseWriter, r *http.Request, call int) bool
	calls    atomic.Int32
	requests []embeddingRequest
	auth     []string
	paths    []string
}

func newFakeAPI(t *testing.T, dim int) (*fakeAPI, *httptest.Server) {
	f := &fakeAPI{t: t, dim: dim}
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	return f, srv
}

func (f *fakeAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	call := int(f.calls.Add(1))
	var req embeddingRequest
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		http.Error(w, "bad json", http.StatusBadRequest)
		return
	}
	f.mu.Lock()
	f.requests = append(f.requests, req)
	f.auth = append(f.auth, r.Header.Get("Authorization"))
	f.paths = append(f.paths, r.URL.Path)
	fail, dim, reverse := f.fail, f.dim, f.reverse
	f.mu.Unlock()
	if r.Method != http.MethodPost || r.Header.Get("Content-Type") != "application/json" {
		http.Error(w, "want POST of JSON", http.StatusBadRequest)
		return
	}
	if fail != nil && fail(w, r, call) {
		return
	}
	if req.Dimensions > 0 {
		dim = req.Dimensions
	}
	type item struct {
		Object    string    `json:"object"`
		Index     int       `json:"index"`
		Embedding []float32 `json:"embedding"`
	}
	var data []item
	for i, text := range req.Input {
		data = append(data, item{"embedding", i, fakeVector(text, dim)})
	}
	if reverse {
		for i, j := 0, len(data)-1; i < j; i, j = i+1, j-1 {
			data[i], data[j] = data[j], data[i]
		}
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(map[string]any{"object": "list", "data": data, "model": req.Model})
}

func newTestHTTP(t *testing.T, cfg HTTPConfig) *HTTP {
	t.Helper()
	h, err := NewHTTP(cfg)
	if err != nil {
		t.Fatal(err)
	}
	h.backoff = time.Millisecond
	return h
}

func TestHTTPEmbed(t *testing.T) {
	f, srv := newFakeAPI(t, 8)
	f.reverse = true
	h := newTestHTTP(t, HTTPConfig{URL: srv.URL + "/v1", Model: "nomic-embed-text", APIKey: testKey, MaxBatch: 3})
	if got := h.Dimension(); got != 0 {
		t.Fatalf("Dimension before any call = %d, want 0 (learnt lazily)", got)
	}
	texts := []string{"alpha", "bravo charlie", "", "delta", "echo", "  ", "foxtrot golf hotel"}
	vecs, err := h.Embed(context.Background(), texts)
	if err != nil {
		t.Fatal(err)
	}
	if len(vecs) != len(texts) {
		t.Fatalf("%d vectors for %d texts", len(vecs), len(texts))
	}
	for i, text := range texts {
		want := fakeVector(text, 8)
		if strings.TrimSpace(text) == "" {
			want = make([]float32, 8)
		}
		if fmt.Sprint(vecs[i]) != fmt.Sprint(want) {
			t.Errorf("text %d %q: got %v, want %v", i, text, vecs[i], want)
		}
	}
	if got := h.Dimension(); got != 8 {
		t.Errorf("Dimension = %d, want 8", got)
	}

	f.mu.Lock()
	defer f.mu.Unlock()
	// Five non-empty texts in batches of at most 3.
	if len(f.requests) != 2 || len(f.requests[0].Input) != 3 || len(f.requests[1].Input) != 2 {
		t.Errorf("requests: %+v", f.requests)
	}
	for i, req := range f.requests {
		if req.Model != "nomic-embed-text" || req.EncodingFormat != "float" || req.Dimensions != 0 {
			t.Errorf("request %d: %+v", i, req)
		}
		if f.auth[i] != "Bearer "+testKey {
			t.Errorf("request %d: Authorization %q", i, f.auth[i])
		}
		if f.paths[i] != "/v1/embeddings" {
			t.Errorf("request %d: path %q", i, f.paths[i])
		}
	}
}

func TestHTTPNoKeyNoAuthHeader(t *testing.T) {
	f, srv := newFakeAPI(t, 4)
	h := newTestHTTP(t, HTTPConfig{URL: srv.URL, Model: "m"})
	if _, err := h.Embed(context.Background(), []string{"x"}); err != nil {
		t.Fatal(err)
	}
	if f.auth[0] != "" {
		t.Errorf("Authorization %q sent without a key", f.auth[0])
	}
	if f.paths[0] != "/v1/embeddings" {
		t.Errorf("path %q", f.paths[0])
	}
}

func TestHTTPDimensions(t *testing.T) {
	f, srv := newFakeAPI(t, 16)
	h := newTestHTTP(t, HTTPConfig{URL: srv.URL + "/v1/", Model: "text-embedding-3-small", Dimensions: 4})
	if h.Dimension() != 4 {
		t.Fatalf("Dimension = %d, want the configured 4 before any call", h.Dimension())
	}
	if !strings.HasSuffix(h.Fingerprint(), "/text-embedding-3-small:d4") {
		t.Errorf("Fingerprint %q", h.Fingerprint())
	}
	vecs, err := h.Embed(context.Background(), []string{"a"})
	if err != nil {
		t.Fatal(err)
	}
	if len(vecs[0]) != 4 || f.requests[0].Dimensions != 4 {
		t.Errorf("vector %v, request %+v", vecs[0], f.requests[0])
	}
	// A server that ignores dimensions is caught.
	f.mu.Lock()
	f.fail = func(w http.ResponseWriter, r *http.Request, call int) bool {
		fmt.Fprint(w, `{"data":[{"index":0,"embedding":[1,2,3]}]}`)
		return true
	}
	f.mu.Unlock()
	if _, err := h.Embed(context.Background(), []string{"a"}); err == nil || !strings.Contains(err.Error(), "3 numbers, want 4") {
		t.Errorf("wrong length: err = %v", err)
	}
}

func TestHTTPProbeAndEmptyOnly(t *testing.T) {
	f, srv := newFakeAPI(t, 5)
	h := newTestHTTP(t, HTTPConfig{URL: srv.URL, Model: "m"})
	// Only empty texts and the dimension unknown: one probe, zero vectors.
	vecs, err := h.Embed(context.Background(), []string{"", " "})
	if err != nil {
		t.Fatal(err)
	}
	if len(vecs) != 2 || len(vecs[0]) != 5 || len(vecs[1]) != 5 || vecs[0][0] != 0 {
		t.Errorf("vectors %v", vecs)
	}
	if n := f.calls.Load(); n != 1 {
		t.Errorf("%d calls, want 1 probe", n)
	}
	if _, err := h.Embed(context.Background(), []string{""}); err != nil || f.calls.Load() != 1 {
		t.Errorf("second empty call: err %v, calls %d", err, f.calls.Load())
	}
	if vecs, err := h.Embed(context.Background(), nil); err != nil || len(vecs) != 0 {
		t.Errorf("no texts: %v, %v", vecs, err)
	}
}

func TestHTTPRetry(t *testing.T) {
	f, srv := newFakeAPI(t, 4)
	f.fail = func(w http.ResponseWriter, r *http.Request, call int) bool {
		if call == 1 {
			w.Header().Set("Retry-After", "0")
			http.Error(w, `{"error":"rate limited"}`, http.StatusTooManyRequests)
			return true
		}
		if call == 2 {
			http.Error(w, "overloaded", http.StatusServiceUnavailable)
			return true
		}
		return false
	}
	h := newTestHTTP(t, HTTPConfig{URL: srv.URL + "/v1", Model: "m"})
	vecs, err := h.Embed(context.Background(), []string{"hello"})
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(vecs[0]) != fmt.Sprint(fakeVector("hello", 4)) {
		t.Errorf("vector %v", vecs[0])
	}
	if n := f.calls.Load(); n != 3 {
		t.Errorf("%d calls, want 3", n)
	}
}

func TestHTTPErrors(t *testing.T) {
	big := strings.Repeat("9", maxResponseBytes)
	cases := []struct {
		name    string
		handler func(w http.ResponseWriter, r *http.Request, call int) bool
		want    []string // substrings of the error
		calls   int32
	}{
		{"500 forever", func(w http.ResponseWriter, r *http.Request, call int) bool {
			http.Error(w, "model crashed", http.StatusInternalServerError)
			return true
		}, []string{"500 Internal Server Error", "model crashed", "3 attempts", "/v1/embeddings"}, 3},
		{"401 not retried", func(w http.ResponseWriter, r *http.Request, call int) bool {
			// A careless server echoes the key it was given.
			http.Error(w, `{"error":"invalid key `+r.Header.Get("Authorization")+`"}`, http.StatusUnauthorized)
			return true
		}, []string{"401 Unauthorized", "invalid key Bearer [redacted]"}, 1},
		{"key past the snippet cut", func(w http.ResponseWriter, r *http.Request, call int) bool {
			http.Error(w, strings.Repeat("x", errorBodyBytes-10)+r.Header.Get("Authorization"), http.StatusBadRequest)
			return true
		}, []string{"400 Bad Request"}, 1},
		{"wrong count", func(w http.ResponseWriter, r *http.Request, call int) bool {
			fmt.Fprint(w, `{"data":[{"index":0,"embedding":[1,2]}]}`)
			return true
		}, []string{"1 embeddings for 2 inputs"}, 1},
		{"index out of range", func(w http.ResponseWriter, r *http.Request, call int) bool {
			fmt.Fprint(w, `{"data":[{"index":0,"embedding":[1,2]},{"index":2,"embedding":[1,2]}]}`)
			return true
		}, []string{"index 2 out of range"}, 1},
		{"repeated index", func(w http.ResponseWriter, r *http.Request, call int) bool {
			fmt.Fprint(w, `{"data":[{"index":1,"embedding":[1,2]},{"index":1,"embedding":[1,2]}]}`)
			return true
		}, []string{"repeats index 1"}, 1},
		{"mixed lengths", func(w http.ResponseWriter, r *http.Request, call int) bool {
			fmt.Fprint(w, `{"data":[{"index":0,"embedding":[1,2]},{"index":1,"embedding":[1,2,3]}]}`)
			return true
		}, []string{"mixes vector lengths"}, 1},
		{"empty vector", func(w http.ResponseWriter, r *http.Request, call int) bool {
			fmt.Fprint(w, `{"data":[{"index":0,"embedding":[]},{"index":1,"embedding":[]}]}`)
			return true
		}, []string{"empty embedding"}, 1},
		{"not JSON", func(w http.ResponseWriter, r *http.Request, call int) bool {
			fmt.Fprint(w, `<html>proxy error</html>`)
			return true
		}, []string{"bad response JSON"}, 1},
		{"oversize body", func(w http.ResponseWriter, r *http.Request, call int) bool {
			fmt.Fprint(w, `{"data":[{"index":0,"embedding":[`+big+`]}]}`)
			return true
		}, []string{"larger than 64 MiB"}, 1},
		{"retry-after too long", func(w http.ResponseWriter, r *http.Request, call int) bool {
			w.Header().Set("Retry-After", "120")
			http.Error(w, "slow down", http.StatusTooManyRequests)
			return true
		}, []string{"429 Too Many Requests", "retry after 2m0s"}, 1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f, srv := newFakeAPI(t, 2)
			f.fail = c.handler
			h := newTestHTTP(t, HTTPConfig{URL: srv.URL + "/v1/embeddings", Model: "m", APIKey: testKey})
			_, err := h.Embed(context.Background(), []string{"one", "two"})
			if err == nil {
				t.Fatal("no error")
			}
			msg := err.Error()
			for _, w := range c.want {
				if !strings.Contains(msg, w) {
					t.Errorf("error %q does not contain %q", msg, w)
				}
			}
			if !strings.Contains(msg, srv.URL) {
				t.Errorf("error %q does not name the server %s", msg, srv.URL)
			}
			assertNoKey(t, msg)
			if n := f.calls.Load(); n != c.calls {
				t.Errorf("%d calls, want %d", n, c.calls)
			}
		})
	}
}

// assertNoKey fails if any 8-byte piece of the test key is in s.
func assertNoKey(t *testing.T, s string) {
	t.Helper()
	for i := 0; i+8 <= len(testKey); i++ {
		if strings.Contains(s, testKey[i:i+8]) {
			t.Fatalf("error leaks part of the API key: %q", s)
		}
	}
}

func TestHTTPConnectionRefused(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close()
	h := newTestHTTP(t, HTTPConfig{URL: url, Model: "m", APIKey: testKey})
	_, err := h.Embed(context.Background(), []string{"x"})
	if err == nil || !strings.Contains(err.Error(), url) || !strings.Contains(err.Error(), "3 attempts") {
		t.Fatalf("err = %v", err)
	}
	assertNoKey(t, err.Error())
}

func TestHTTPContext(t *testing.T) {
	f, srv := newFakeAPI(t, 2)
	release := make(chan struct{})
	f.fail = func(w http.ResponseWriter, r *http.Request, call int) bool {
		select {
		case <-release:
		case <-r.Context().Done():
		}
		return true
	}
	defer close(release)
	h := newTestHTTP(t, HTTPConfig{URL: srv.URL, Model: "m"})
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := h.Embed(ctx, []string{"x"})
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want deadline exceeded", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("took %s", d)
	}
	if n := f.calls.Load(); n != 1 {
		t.Errorf("%d calls after the deadline, want 1", n)
	}

	// The per-attempt timeout applies too.
	h = newTestHTTP(t, HTTPConfig{URL: srv.URL, Model: "m", Timeout: 30 * time.Millisecond})
	if _, err := h.Embed(context.Background(), []string{"x"}); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("timeout: err = %v", err)
	}
}

func TestHTTPBase64AndNoIndex(t *testing.T) {
	f, srv := newFakeAPI(t, 2)
	raw := make([]byte, 12)
	for i, x := range []float32{1.5, -2, 0.25} {
		binary.LittleEndian.PutUint32(raw[4*i:], math.Float32bits(x))
	}
	f.fail = func(w http.ResponseWriter, r *http.Request, call int) bool {
		fmt.Fprintf(w, `{"data":[{"embedding":"%s"},{"embedding":[4,5,6]}]}`, base64.StdEncoding.EncodeToString(raw))
		return true
	}
	h := newTestHTTP(t, HTTPConfig{URL: srv.URL, Model: "m"})
	vecs, err := h.Embed(context.Background(), []string{"a", "b"})
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(vecs) != "[[1.5 -2 0.25] [4 5 6]]" {
		t.Errorf("vectors %v", vecs)
	}
}

func TestHTTPConfig(t *testing.T) {
	for _, c := range []struct{ url, endpoint, host string }{
		{"http://localhost:11434/v1", "http://localhost:11434/v1/embeddings", "localhost:11434"},
		{"http://localhost:11434/v1/", "http://localhost:11434/v1/embeddings", "localhost:11434"},
		{"http://localhost:11434", "http://localhost:11434/v1/embeddings", "localhost:11434"},
		{"http://localhost:11434/", "http://localhost:11434/v1/embeddings", "localhost:11434"},
		{"http://LocalHost:11434/v1/embeddings", "http://LocalHost:11434/v1/embeddings", "localhost:11434"},
		{"https://api.example.com/v1beta/openai/", "https://api.example.com/v1beta/openai/embeddings", "api.example.com"},
		{"https://gw.example.com/openai/v1?api-version=2", "https://gw.example.com/openai/v1/embeddings?api-version=2", "gw.example.com"},
	} {
		endpoint, host, err := endpointURL(c.url)
		if err != nil || endpoint != c.endpoint || host != c.host {
			t.Errorf("endpointURL(%q) = %q, %q, %v; want %q, %q", c.url, endpoint, host, err, c.endpoint, c.host)
		}
	}
	for _, bad := range []HTTPConfig{
		{URL: "", Model: "m"},
		{URL: "localhost:11434", Model: "m"},
		{URL: "ftp://host/v1", Model: "m"},
		{URL: "http:///v1", Model: "m"},
		{URL: "http://user:pass@host/v1", Model: "m"},
		{URL: "http://host/v1", Model: ""},
		{URL: "http://host/v1", Model: "m", Dimensions: -1},
		{URL: "http://host/v1", Model: "m", APIKey: "a\nb"},
	} {
		if _, err := NewHTTP(bad); err == nil {
			t.Errorf("NewHTTP(%v) accepted", bad)
		} else if strings.Contains(err.Error(), "pass") {
			t.Errorf("error shows URL credentials: %v", err)
		}
	}

	cfg := HTTPConfig{URL: "http://Ollama:11434/v1", Model: "nomic-embed-text", APIKey: testKey}
	h := newTestHTTP(t, cfg)
	if got := h.Fingerprint(); got != "openai:ollama:11434/nomic-embed-text" {
		t.Errorf("Fingerprint = %q", got)
	}
	h2 := newTestHTTP(t, HTTPConfig{URL: "http://ollama:11434", Model: "nomic-embed-text"})
	if h2.Fingerprint() != h.Fingerprint() {
		t.Errorf("fingerprint depends on URL spelling: %q vs %q", h2.Fingerprint(), h.Fingerprint())
	}
	for _, s := range []string{fmt.Sprint(cfg), fmt.Sprintf("%+v", cfg), fmt.Sprintf("%#v", cfg), fmt.Sprint(h), fmt.Sprintf("%v", h)} {
		assertNoKey(t, s)
	}
	if h.timeout != defaultHTTPTimeout || h.maxBatch != defaultMaxBatch {
		t.Errorf("defaults: timeout %s, batch %d", h.timeout, h.maxBatch)
	}
}

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	for _, c := range []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"", 0, false},
		{"0", 0, true},
		{"7", 7 * time.Second, true},
		{"-3", 0, false},
		{"99999999999999", time.Hour, true},
		{now.Add(20 * time.Second).Format(http.TimeFormat), 20 * time.Second, true},
		{now.Add(-time.Minute).Format(http.TimeFormat), 0, true},
		{"soon", 0, false},
	} {
		got, ok := parseRetryAfter(c.in, now)
		if got != c.want || ok != c.ok {
			t.Errorf("parseRetryAfter(%q) = %s, %v; want %s, %v", c.in, got, ok, c.want, c.ok)
		}
	}
}

func TestHTTPConcurrent(t *testing.T) {
	_, srv := newFakeAPI(t, 3)
	h := newTestHTTP(t, HTTPConfig{URL: srv.URL, Model: "m", MaxBatch: 2})
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			texts := []string{fmt.Sprint("g", g), "b", "c"}
			vecs, err := h.Embed(context.Background(), texts)
			if err != nil {
				t.Error(err)
				return
			}
			for i, text := range texts {
				if fmt.Sprint(vecs[i]) != fmt.Sprint(fakeVector(text, 3)) {
					t.Errorf("%q: %v", text, vecs[i])
				}
			}
		})
	}
	wg.Wait()
}
