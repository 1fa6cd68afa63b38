package mcpproxy

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
)

// The headers passed between a local client and the endpoint: the MCP
// ones (Mcp-Protocol-Version, Mcp-Session-Id and those of newer revisions,
// such as Mcp-Method) and those below. Everything else stays behind: the
// client's Authorization (the proxy's own replaces it), cookies, and the
// endpoint's WWW-Authenticate, which would send the client looking for a
// token it does not need.
var (
	forwardedRequestHeaders  = []string{"Accept", "Content-Type", "Last-Event-Id"}
	forwardedResponseHeaders = []string{"Content-Type", "Cache-Control", "Retry-After", "Allow",
		"X-Amzn-Errortype", "X-Amzn-Requestid"}
)

// handler is the handler of HTTP mode: MCP Streamable HTTP on the paths
// "/" and "/mcp", each request forwarded to the endpoint with the proxy's
// authentication and its response streamed back. Long-lived event streams
// (GET) end when streams is done.
func (p *Proxy) handler(streams context.Context) http.Handler {
	client := p.client()
	log := p.logger()
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/" && r.URL.Path != "/mcp" {
			http.Error(w, "mcp-proxy: the MCP endpoint is /mcp", http.StatusNotFound)
			return
		}
		if !p.AllowRemote {
			if err := checkLocal(r); err != nil {
				log.Warn("refused a request", "err", err)
				http.Error(w, "mcp-proxy: "+err.Error(), http.StatusForbidden)
				return
			}
		}
		switch r.Method {
		case http.MethodPost, http.MethodGet, http.MethodDelete:
		default:
			w.Header().Set("Allow", "GET, POST, DELETE")
			http.Error(w, "mcp-proxy: method not allowed", http.StatusMethodNotAllowed)
			return
		}

		var body []byte
		if r.Method == http.MethodPost {
			var err error
			body, err = io.ReadAll(http.MaxBytesReader(w, r.Body, p.maxBodyBytes()))
			if err != nil {
				var tooBig *http.MaxBytesError
				if errors.As(err, &tooBig) {
					http.Error(w, fmt.Sprintf("mcp-proxy: request body over %d bytes", tooBig.Limit), http.StatusRequestEntityTooLarge)
				} else {
					http.Error(w, "mcp-proxy: reading request body: "+err.Error(), http.StatusBadRequest)
				}
				return
			}
		}
		ctx := r.Context()
		if r.Method == http.MethodGet {
			var cancel context.CancelFunc
			ctx, cancel = context.WithCancel(ctx)
			defer cancel()
			defer context.AfterFunc(streams, cancel)()
		}
		req, err := p.newRequest(ctx, r.Method, body)
		if err != nil {
			http.Error(w, "mcp-proxy: "+err.Error(), http.StatusInternalServerError)
			return
		}
		copyHeaders(req.Header, r.Header, forwardedRequestHeaders)

		resp, err := client.Do(req)
		if err != nil {
			if ctx.Err() == nil {
				msg := p.describeTransportError(r.Method, err)
				log.Warn("request failed", "method", r.Method, "err", msg)
				http.Error(w, "mcp-proxy: "+msg, http.StatusBadGateway)
			}
			return
		}
		defer resp.Body.Close()
		if resp.StatusCode >= 400 {
			// Authentication failures and server errors are the proxy's
			// business; other refusals, such as 405 for GET, are routine.
			level := slog.LevelDebug
			if resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden || resp.StatusCode >= 500 {
				level = slog.LevelWarn
			}
			log.Log(ctx, level, "endpoint answered with an error", "method", r.Method, "status", resp.StatusCode,
				"error_type", resp.Header.Get("X-Amzn-ErrorType"))
		}
		copyHeaders(w.Header(), resp.Header, forwardedResponseHeaders)
		w.WriteHeader(resp.StatusCode)
		stream(w, resp, log)
	})
}

// stream copies the response body, flushing event streams as they go.
func stream(w http.ResponseWriter, resp *http.Response, log *slog.Logger) {
	flush := mediaType(resp.Header.Get("Content-Type")) == "text/event-stream"
	rc := http.NewResponseController(w)
	if flush {
		rc.Flush() // the client learns at once that its stream is open
	}
	buf := make([]byte, 32<<10)
	for {
		n, err := resp.Body.Read(buf)
		if n > 0 {
			if _, werr := w.Write(buf[:n]); werr != nil {
				return // the client left
			}
			if flush {
				rc.Flush()
			}
		}
		if err != nil {
			if err != io.EOF && !errors.Is(err, context.Canceled) {
				log.Warn("relaying the response", "err", err)
			}
			return
		}
	}
}

// copyHeaders copies the named headers and the MCP ones from src to dst.
func copyHeaders(dst, src http.Header, names []string) {
	for name, vs := range src {
		if strings.HasPrefix(name, "Mcp-") || slices.Contains(names, name) {
			dst[name] = append([]string(nil), vs...)
		}
	}
}

// checkLocal refuses a request whose Host or Origin is not a loopback
// name: a web page reaching the proxy through DNS rebinding, or calling it
// from another origin, must not get to use its credentials.
func checkLocal(r *http.Request) error {
	if host := hostOnly(r.Host); !IsLoopback(host) {
		return fmt.Errorf("the Host %q is not a loopback name (start the proxy with --allow-remote to accept it)", truncate(r.Host, 100))
	}
	if origin := r.Header.Get("Origin"); origin != "" {
		u, err := url.Parse(origin)
		if err != nil || !IsLoopback(u.Hostname()) {
			return fmt.Errorf("the Origin %q is not a loopback origin", truncate(origin, 100))
		}
	}
	return nil
}

// IsLoopback reports whether host (a name or address, without a port)
// is "localhost" or a loopback address.
func IsLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(strings.TrimSuffix(strings.TrimPrefix(host, "["), "]"))
	return ip != nil && ip.IsLoopback()
}

func hostOnly(hostport string) string {
	return (&url.URL{Host: hostport}).Hostname()
}

// Serve runs HTTP mode on ln until ctx is done, then stops: requests in
// flight get ShutdownTimeout to finish, event streams end at once. It
// returns nil once stopped.
func (p *Proxy) Serve(ctx context.Context, ln net.Listener) error {
	streams, endStreams := context.WithCancel(context.Background())
	defer endStreams()
	srv := &http.Server{
		Handler:           p.handler(streams),
		ReadHeaderTimeout: 10 * time.Second,
		ErrorLog:          slog.NewLogLogger(p.logger().Handler(), slog.LevelWarn),
	}
	srv.RegisterOnShutdown(endStreams)
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), p.shutdownTimeout())
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		srv.Close()
	}
	<-errc
	return nil
}
