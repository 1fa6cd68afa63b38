// Package mcpproxy lets MCP clients that cannot authenticate to a remote
// MCP endpoint reach it through a local proxy that does: it signs every
// request with AWS SigV4 (or adds a bearer token) and forwards it over MCP
// Streamable HTTP. It is the engine of "agentry mcp-proxy", the drop-in
// equivalent of AWS's mcp-proxy-for-aws.
//
// The proxy forwards JSON-RPC messages without interpreting MCP. It serves
// local clients either over stdio (newline-delimited JSON-RPC, see
// [Proxy.ServeStdio]) or over Streamable HTTP on a loopback port (see
// [Proxy.Serve]). Authentication is the job of the
// [http.RoundTripper] in [Proxy.Transport]: [SigV4Transport] or
// [BearerTransport].
package mcpproxy

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Defaults for the zero values of the Proxy fields.
const (
	DefaultMaxBodyBytes    = 4 << 20
	DefaultShutdownTimeout = 10 * time.Second
	DefaultMaxConcurrent   = 32
)

// The MCP headers of Streamable HTTP.
const (
	headerProtocolVersion = "Mcp-Protocol-Version"
	headerSessionID       = "Mcp-Session-Id"
)

// maxErrorBody bounds how much of a failed response is read to explain it.
const maxErrorBody = 64 << 10

// A Proxy forwards MCP messages to one remote endpoint. Its methods may be
// called concurrently; it holds no state between calls.
type Proxy struct {
	// Endpoint is the remote MCP endpoint, an http or https URL.
	Endpoint string
	// Transport sends the requests and adds authentication, typically a
	// SigV4Transport or a BearerTransport; nil means http.DefaultTransport.
	Transport http.RoundTripper
	// Header holds static headers added to every request, under the
	// signature when signing.
	Header http.Header
	// UserAgent is sent on every request when not empty.
	UserAgent string
	// Logger receives diagnostics, never message contents nor secrets; nil
	// discards them.
	Logger *slog.Logger

	// MaxBodyBytes caps request bodies in HTTP mode (DefaultMaxBodyBytes
	// when zero).
	MaxBodyBytes int64
	// ShutdownTimeout bounds the wait for in-flight requests when stdin
	// closes or the HTTP server stops (DefaultShutdownTimeout when zero).
	ShutdownTimeout time.Duration
	// MaxConcurrent bounds the requests in flight in stdio mode
	// (DefaultMaxConcurrent when zero).
	MaxConcurrent int
	// AllowRemote lets HTTP mode answer requests whose Host or Origin is
	// not a loopback name. Off, it refuses them, so that a web page cannot
	// use the proxy's credentials through DNS rebinding.
	AllowRemote bool
}

func (p *Proxy) logger() *slog.Logger {
	if p.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return p.Logger
}

func (p *Proxy) maxBodyBytes() int64 {
	if p.MaxBodyBytes <= 0 {
		return DefaultMaxBodyBytes
	}
	return p.MaxBodyBytes
}

func (p *Proxy) shutdownTimeout() time.Duration {
	if p.ShutdownTimeout <= 0 {
		return DefaultShutdownTimeout
	}
	return p.ShutdownTimeout
}

func (p *Proxy) maxConcurrent() int {
	if p.MaxConcurrent <= 0 {
		return DefaultMaxConcurrent
	}
	return p.MaxConcurrent
}

// client returns the HTTP client of the proxy. It does not follow
// redirects: the transport would authenticate to wherever they point.
func (p *Proxy) client() *http.Client {
	return &http.Client{
		Transport:     base(p.Transport),
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// newRequest builds a request to the endpoint with the static headers.
func (p *Proxy) newRequest(ctx context.Context, method string, body []byte) (*http.Request, error) {
	var rd io.Reader = http.NoBody
	if len(body) > 0 {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, p.Endpoint, rd)
	if err != nil {
		return nil, err
	}
	for k, vs := range p.Header {
		req.Header[http.CanonicalHeaderKey(k)] = append([]string(nil), vs...)
	}
	if p.UserAgent != "" {
		req.Header.Set("User-Agent", p.UserAgent)
	}
	return req, nil
}

// endpointLabel is the endpoint as shown in messages: without a query,
// which could carry a secret.
func (p *Proxy) endpointLabel() string {
	u, err := url.Parse(p.Endpoint)
	if err != nil {
		return "the endpoint"
	}
	return (&url.URL{Scheme: u.Scheme, Host: u.Host, Path: u.Path}).String()
}

// describeTransportError explains a request that got no response.
func (p *Proxy) describeTransportError(method string, err error) string {
	// url.Error repeats the full URL; show the redacted one instead.
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	return method + " " + p.endpointLabel() + ": " + err.Error()
}

// describeHTTPError explains a failed response: its status and, when the
// headers or body name one, the server's error and message, such as
// "403 Forbidden: AccessDeniedException: User: ... is not authorized ...".
func (p *Proxy) describeHTTPError(method string, resp *http.Response, body []byte) string {
	msg := method + " " + p.endpointLabel() + ": " + resp.Status
	name, text := serverError(resp.Header, body)
	for _, s := range []string{name, text} {
		if s != "" {
			msg += ": " + s
		}
	}
	if resp.StatusCode >= 300 && resp.StatusCode < 400 {
		if loc := resp.Header.Get("Location"); loc != "" {
			msg += " (redirected to " + truncate(loc, 200) + "; use that URL as the endpoint)"
		}
	}
	return msg
}

// serverError extracts an error name and message from an AWS restJson1
// error (the X-Amzn-ErrorType header, or __type or code, and message in the
// body), a JSON-RPC error, an OAuth error, or else a plain-text body.
func serverError(h http.Header, body []byte) (name, message string) {
	if t := h.Get("X-Amzn-ErrorType"); t != "" {
		// "AccessDeniedException:http://internal..." names the error first.
		name, _, _ = strings.Cut(t, ":")
	}
	body = bytes.TrimSpace(body)
	var e struct {
		Type             string          `json:"__type"`
		Code             json.RawMessage `json:"code"`
		Message          string          `json:"message"`
		Error            json.RawMessage `json:"error"`
		ErrorDescription string          `json:"error_description"`
	}
	if json.Unmarshal(body, &e) != nil {
		return name, oneLine(string(body))
	}
	if name == "" {
		name = e.Type
		if name == "" {
			json.Unmarshal(e.Code, &name) // only a string code is a name
		}
		// "com.amazonaws.service#AccessDeniedException" ends with the name.
		if i := strings.LastIndexByte(name, '#'); i >= 0 {
			name = name[i+1:]
		}
	}
	message = e.Message
	if message == "" && len(e.Error) > 0 {
		var rpc struct{ Message string }
		if json.Unmarshal(e.Error, &rpc) == nil {
			message = rpc.Message
		} else {
			json.Unmarshal(e.Error, &message) // OAuth: "error": "invalid_token"
			if e.ErrorDescription != "" {
				message += ": " + e.ErrorDescription
			}
		}
	}
	return name, oneLine(message)
}

// oneLine squeezes s onto one short line for an error message.
func oneLine(s string) string {
	return truncate(strings.Join(strings.Fields(s), " "), 500)
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n] + "..."
	}
	return s
}

// mediaType is the lower-case media type of a Content-Type value.
func mediaType(contentType string) string {
	mt, _, err := mime.ParseMediaType(contentType)
	if err != nil {
		return strings.ToLower(strings.TrimSpace(contentType))
	}
	return mt
}
