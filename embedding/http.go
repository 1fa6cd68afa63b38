package embedding

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
)

// HTTPConfig configures an HTTP embedder.
type HTTPConfig struct {
	// URL is the API's base URL, for example http://localhost:11434/v1.
	// The endpoint is derived from it thus: a URL whose path already ends
	// in /embeddings is used as it is; a URL with no path gets
	// /v1/embeddings; any other path gets /embeddings appended. So
	// http://localhost:11434, http://localhost:11434/v1/ and
	// http://localhost:11434/v1/embeddings all name the same endpoint, and
	// a hosted base such as https://host/v1beta/openai works as given.
	URL string
	// Model is the model name sent with every request.
	Model string
	// APIKey, when set, is sent as "Authorization: Bearer <key>". It is
	// never logged and never part of an error.
	APIKey string
	// Dimensions, when > 0, is sent as "dimensions" (for models that can
	// shorten their vectors) and every vector must have that length.
	Dimensions int
	// Timeout bounds each HTTP attempt (default 30 s).
	Timeout time.Duration
	// MaxBatch is the most texts sent in one request (default 64).
	MaxBatch int
	// Client is the HTTP client to use (default: a new http.Client).
	Client *http.Client
}

// String describes the configuration without its API key, so that
// logging a config cannot leak the key.
func (c HTTPConfig) String() string {
	key := "none"
	if c.APIKey != "" {
		key = "set"
	}
	return fmt.Sprintf("embedding.HTTPConfig{URL: %q, Model: %q, APIKey: %s, Dimensions: %d, Timeout: %s, MaxBatch: %d}",
		c.URL, c.Model, key, c.Dimensions, c.Timeout, c.MaxBatch)
}

// GoString is String, for %#v.
func (c HTTPConfig) GoString() string { return c.String() }

const (
	defaultHTTPTimeout = 30 * time.Second
	defaultMaxBatch    = 64
	// maxResponseBytes caps a response body: 64 texts of 4,096 numbers
	// take some 6 MiB of JSON, so this only stops a runaway server.
	maxResponseBytes = 64 << 20
	// maxAttempts is the number of tries of one request when the server
	// answers 429 or 5xx or the connection fails.
	maxAttempts = 3
	// maxRetryWait caps the wait before a retry; a server that asks for a
	// longer Retry-After gets an error at once rather than a stuck caller.
	maxRetryWait = 10 * time.Second
	// errorBodyBytes is how much of an error response goes into the error.
	errorBodyBytes = 300
)

// HTTP embeds texts with an OpenAI-compatible embeddings API. It is safe
// for concurrent use.
//
// Dimension is the configured Dimensions when set; otherwise it is learnt
// from the first successful response (0 until then). Call Probe at start-up
// to learn it eagerly and to check that the server answers.
type HTTP struct {
	endpoint    string // full URL of the embeddings endpoint
	model       string
	apiKey      string
	dimensions  int // requested, 0 for the model's own
	timeout     time.Duration
	maxBatch    int
	client      *http.Client
	fingerprint string

	dim     atomic.Int64 // learnt or configured vector length, 0 while unknown
	backoff time.Duration
}

// NewHTTP checks cfg and returns an embedder. It does not contact the
// server: see Probe.
func NewHTTP(cfg HTTPConfig) (*HTTP, error) {
	endpoint, host, err := endpointURL(cfg.URL)
	if err != nil {
		return nil, err
	}
	if strings.TrimSpace(cfg.Model) == "" {
		return nil, errors.New("embedding: the embeddings model name is empty")
	}
	if cfg.Dimensions < 0 {
		return nil, fmt.Errorf("embedding: negative dimensions %d", cfg.Dimensions)
	}
	if strings.ContainsAny(cfg.APIKey, "\r\n") {
		// Not quoted: the value is a secret.
		return nil, errors.New("embedding: the API key contains a line break")
	}
	h := &HTTP{
		endpoint:   endpoint,
		model:      cfg.Model,
		apiKey:     cfg.APIKey,
		dimensions: cfg.Dimensions,
		timeout:    cfg.Timeout,
		maxBatch:   cfg.MaxBatch,
		client:     cfg.Client,
		backoff:    500 * time.Millisecond,
	}
	if h.timeout <= 0 {
		h.timeout = defaultHTTPTimeout
	}
	if h.maxBatch <= 0 {
		h.maxBatch = defaultMaxBatch
	}
	if h.client == nil {
		h.client = &http.Client{}
	}
	h.fingerprint = "openai:" + host + "/" + cfg.Model
	if cfg.Dimensions > 0 {
		h.fingerprint += ":d" + strconv.Itoa(cfg.Dimensions)
		h.dim.Store(int64(cfg.Dimensions))
	}
	return h, nil
}

// endpointURL applies the rule documented on HTTPConfig.URL. It returns
// the endpoint and the lower-cased host (with port) for the fingerprint.
func endpointURL(raw string) (endpoint, host string, err error) {
	raw = strings.TrimSpace(raw)
	if raw == "" {
		return "", "", errors.New("embedding: the embeddings URL is empty")
	}
	u, err := url.Parse(raw)
	if err != nil {
		return "", "", fmt.Errorf("embedding: bad embeddings URL: %w", err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return "", "", fmt.Errorf("embedding: embeddings URL %s: scheme must be http or https", u.Redacted())
	}
	if u.Host == "" {
		return "", "", fmt.Errorf("embedding: embeddings URL %s has no host", u.Redacted())
	}
	if u.User != nil {
		// Credentials in a URL end up in logs and errors; APIKey is the
		// place for them.
		return "", "", fmt.Errorf("embedding: embeddings URL %s: put credentials in the API key, not the URL", u.Redacted())
	}
	u.Fragment, u.RawFragment = "", ""
	p := strings.TrimRight(u.Path, "/")
	switch {
	case p == "":
		p = "/v1/embeddings"
	case strings.HasSuffix(p, "/embeddings"):
	default:
		p += "/embeddings"
	}
	u.Path, u.RawPath = p, ""
	return u.String(), strings.ToLower(u.Host), nil
}

// String names the embedder without its API key.
func (h *HTTP) String() string { return "embedding.HTTP(" + h.fingerprint + ")" }

// Fingerprint is "openai:" + host + "/" + model, with ":d" + dimensions
// when dimensions are requested. It depends only on the configuration, so
// it is stable across restarts.
func (h *HTTP) Fingerprint() string { return h.fingerprint }

// Dimension is the vector length: the configured Dimensions, else the
// length learnt from the first response, 0 until then.
func (h *HTTP) Dimension() int { return int(h.dim.Load()) }

// Probe embeds a one-word text, which checks that the server answers and
// learns the vector length when it was not configured.
func (h *HTTP) Probe(ctx context.Context) error {
	_, err := h.post(ctx, []string{"probe"})
	return err
}

// Embed returns one vector per text, in order. Texts are sent in batches
// of at most MaxBatch. Empty (or all-space) texts are not sent, since many
// servers reject them; they get a zero vector, which the search treats as
// having no meaning.
func (h *HTTP) Embed(ctx context.Context, texts []string) ([][]float32, error) {
	out := make([][]float32, len(texts))
	var (
		batch []string
		slots []int
		empty []int
	)
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		vecs, err := h.post(ctx, batch)
		if err != nil {
			return err
		}
		for i, v := range vecs {
			out[slots[i]] = v
		}
		batch, slots = batch[:0], slots[:0]
		return nil
	}
	for i, t := range texts {
		if strings.TrimSpace(t) == "" {
			empty = append(empty, i)
			continue
		}
		batch = append(batch, t)
		slots = append(slots, i)
		if len(batch) == h.maxBatch {
			if err := flush(); err != nil {
				return nil, err
			}
		}
	}
	if err := flush(); err != nil {
		return nil, err
	}
	if len(empty) > 0 {
		if h.Dimension() == 0 {
			if err := h.Probe(ctx); err != nil {
				return nil, err
			}
		}
		for _, i := range empty {
			out[i] = make([]float32, h.Dimension())
		}
	}
	return out, nil
}

type embeddingRequest struct {
	Model          string   `json:"model"`
	Input          []string `json:"input"`
	EncodingFormat string   `json:"encoding_format"`
	Dimensions     int      `json:"dimensions,omitempty"`
}

type embeddingResponse struct {
	Data []struct {
		Index     *int   `json:"index"`
		Embedding vector `json:"embedding"`
	} `json:"data"`
}

// vector is an embedding as JSON numbers or, from a server that ignores
// encoding_format, as base64 of little-endian float32s.
type vector []float32

func (v *vector) UnmarshalJSON(b []byte) error {
	if len(b) == 0 || b[0] != '"' {
		return json.Unmarshal(b, (*[]float32)(v))
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return err
	}
	raw, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		return fmt.Errorf("embedding is a string but not base64: %w", err)
	}
	if len(raw)%4 != 0 {
		return fmt.Errorf("base64 embedding of %d bytes is not float32s", len(raw))
	}
	f := make([]float32, len(raw)/4)
	for i := range f {
		f[i] = math.Float32frombits(binary.LittleEndian.Uint32(raw[4*i:]))
	}
	*v = f
	return nil
}

// post sends one batch, retrying 429, 5xx and failed connections.
func (h *HTTP) post(ctx context.Context, texts []string) ([][]float32, error) {
	body, err := json.Marshal(embeddingRequest{Model: h.model, Input: texts, EncodingFormat: "float", Dimensions: h.dimensions})
	if err != nil {
		return nil, fmt.Errorf("embedding: encoding request: %w", err)
	}
	for attempt := 1; ; attempt++ {
		vecs, retry, wait, err := h.try(ctx, body, len(texts))
		if err == nil {
			return vecs, nil
		}
		if !retry || attempt == maxAttempts || ctx.Err() != nil {
			if retry && attempt == maxAttempts {
				err = fmt.Errorf("%w (gave up after %d attempts)", err, attempt)
			}
			return nil, err
		}
		if wait < 0 { // no Retry-After: exponential backoff with jitter
			wait = h.backoff << (attempt - 1)
			wait += rand.N(wait/2 + 1)
		}
		if wait > maxRetryWait {
			return nil, fmt.Errorf("%w (server asks to retry after %s)", err, wait.Round(time.Second))
		}
		if d, ok := ctx.Deadline(); ok && time.Until(d) < wait {
			return nil, err
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, fmt.Errorf("%w (while waiting to retry: %w)", err, ctx.Err())
		case <-t.C:
		}
	}
}

// try makes one attempt. retry says whether another attempt may succeed;
// wait is the server's Retry-After, or -1 when it gave none.
func (h *HTTP) try(ctx context.Context, body []byte, n int) (vecs [][]float32, retry bool, wait time.Duration, err error) {
	wait = -1
	ctx, cancel := context.WithTimeout(ctx, h.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, h.endpoint, bytes.NewReader(body))
	if err != nil {
		return nil, false, wait, fmt.Errorf("embedding: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	if h.apiKey != "" {
		req.Header.Set("Authorization", "Bearer "+h.apiKey)
	}
	resp, err := h.client.Do(req)
	if err != nil {
		// The error names the endpoint, which holds no secret; a failed
		// connection is worth another try, a cancelled context is not.
		return nil, ctx.Err() == nil, wait, h.wrap(err, "")
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxResponseBytes+1))
	if err != nil {
		return nil, ctx.Err() == nil, wait, h.wrap(err, fmt.Sprintf("POST %s: %s: reading response: ", h.endpoint, resp.Status))
	}
	if len(data) > maxResponseBytes {
		return nil, false, wait, fmt.Errorf("embedding: POST %s: response larger than %d MiB", h.endpoint, maxResponseBytes>>20)
	}
	if resp.StatusCode/100 != 2 {
		retry = resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= 500 && resp.StatusCode != http.StatusNotImplemented
		if retry {
			if d, ok := parseRetryAfter(resp.Header.Get("Retry-After"), time.Now()); ok {
				wait = d
			}
		}
		return nil, retry, wait, fmt.Errorf("embedding: POST %s: %s%s", h.endpoint, resp.Status, h.snippet(data))
	}
	vecs, err = h.decode(data, n)
	if err != nil {
		return nil, false, wait, fmt.Errorf("embedding: POST %s: %w", h.endpoint, err)
	}
	return vecs, false, wait, nil
}

// decode checks a response and orders its vectors by index.
func (h *HTTP) decode(data []byte, n int) ([][]float32, error) {
	var r embeddingResponse
	if err := json.Unmarshal(data, &r); err != nil {
		return nil, fmt.Errorf("bad response JSON: %s", h.redact(err.Error()))
	}
	if len(r.Data) != n {
		return nil, fmt.Errorf("response has %d embeddings for %d inputs", len(r.Data), n)
	}
	out := make([][]float32, n)
	for i, d := range r.Data {
		idx := i // servers that leave out the index answer in order
		if d.Index != nil {
			idx = *d.Index
		}
		if idx < 0 || idx >= n {
			return nil, fmt.Errorf("response index %d out of range for %d inputs", idx, n)
		}
		if out[idx] != nil {
			return nil, fmt.Errorf("response repeats index %d", idx)
		}
		if len(d.Embedding) == 0 {
			return nil, fmt.Errorf("response has an empty embedding at index %d", idx)
		}
		out[idx] = d.Embedding
	}
	dim := len(out[0])
	for i, v := range out {
		if len(v) != dim {
			return nil, fmt.Errorf("response mixes vector lengths %d and %d (index %d)", dim, len(v), i)
		}
	}
	if !h.dim.CompareAndSwap(0, int64(dim)) {
		if want := h.dim.Load(); int64(dim) != want {
			return nil, fmt.Errorf("response vectors have %d numbers, want %d", dim, want)
		}
	}
	return out, nil
}

// snippet is the start of an error body, on one line and without the key.
func (h *HTTP) snippet(data []byte) string {
	s := h.redact(string(data)) // before cutting, so no part of the key survives
	if len(s) > errorBodyBytes {
		s = s[:errorBodyBytes] + "…"
	}
	s = strings.Join(strings.Fields(strings.ToValidUTF8(s, "")), " ")
	if s == "" {
		return ""
	}
	return ": " + s
}

// wrap prefixes a transport error, keeping it for errors.Is unless its
// text holds the key.
func (h *HTTP) wrap(err error, prefix string) error {
	if h.apiKey != "" && strings.Contains(err.Error(), h.apiKey) {
		return errors.New("embedding: " + prefix + h.redact(err.Error()))
	}
	return fmt.Errorf("embedding: %s%w", prefix, err)
}

// redact removes the API key from text that came from the server or the
// transport, in case either echoes it.
func (h *HTTP) redact(s string) string {
	if h.apiKey == "" {
		return s
	}
	return strings.ReplaceAll(s, h.apiKey, "[redacted]")
}

// parseRetryAfter reads a Retry-After header: delay seconds or an HTTP date.
func parseRetryAfter(v string, now time.Time) (time.Duration, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	if secs, err := strconv.ParseInt(v, 10, 64); err == nil {
		if secs < 0 {
			return 0, false
		}
		if secs > int64(time.Hour/time.Second) {
			secs = int64(time.Hour / time.Second) // big enough to give up; small enough not to overflow
		}
		return time.Duration(secs) * time.Second, true
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(t.Sub(now), 0), true
	}
	return 0, false
}
