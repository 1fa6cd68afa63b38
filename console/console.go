// Package console serves agentry's web console at /console/: server-rendered
// HTML from the templates and static files embedded in the binary, with a
// little hand-written JavaScript where it helps (validation as you type,
// select-all in the approval queue). There is no framework and no build
// step.
//
// A person signs in with an access key id and its secret, checked against
// the same credentials the SigV4 path looks keys up in; the console then
// acts as that key's principal. Every page and every action asks the same
// IAM question the API asks (the same action names, the same ARNs,
// iam.Principal.Authorize), before it calls registry.Service: the page
// hides what the policies deny, and the server refuses it regardless of
// the page. Changes are POST forms carrying the session's CSRF token.
//
// A consumer of a CUSTOM_JWT registry may instead sign in with that
// registry's identity provider (authorization code with PKCE, oauth.go):
// the access token is verified as the API verifies bearer tokens, on
// every request, and the session may do what such a token may do at the
// API (search that registry), nothing else.
//
// Where to find what: console.go builds the handler and renders;
// session.go signs in and out and checks CSRF; oauth.go signs in with an
// identity provider; registries.go, records.go,
// queue.go, search.go and connect.go are the pages; view.go turns
// descriptors into what the record page shows (tools, skills, front
// matter, the diff of two revisions).
package console

import (
	"bytes"
	"context"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"time"

	"github.com/agentry/agentry/iam"
	"github.com/agentry/agentry/registry"
	"github.com/agentry/agentry/search"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// Prefix is where the console is served.
const Prefix = "/console/"

// Service is the registry service as the console uses it
// (*registry.Service).
type Service interface {
	CreateRegistry(context.Context, registry.CreateRegistryInput) (registry.Created, error)
	GetRegistry(ctx context.Context, registryID string) (registry.Registry, error)
	ListRegistries(context.Context, registry.ListRegistriesInput) (registry.RegistryPage, error)
	UpdateRegistry(context.Context, registry.UpdateRegistryInput) (registry.Registry, error)
	DeleteRegistry(ctx context.Context, registryID string) error
	CreateRecord(context.Context, registry.CreateRecordInput) (registry.Created, error)
	GetRecord(ctx context.Context, registryID, recordID string) (registry.Record, error)
	ListRecords(context.Context, registry.ListRecordsInput) (registry.RecordPage, error)
	UpdateRecord(context.Context, registry.UpdateRecordInput) (registry.Record, error)
	DeleteRecord(ctx context.Context, registryID, recordID string) error
	SubmitRecord(ctx context.Context, registryID, recordID string) (registry.Record, error)
	SetRecordStatus(context.Context, registry.SetRecordStatusInput) (registry.Record, error)
	CheckRecord(registry.CreateRecordInput) error
}

// Searcher runs the search playground's queries (*search.Index): the same
// search as SearchRegistryRecords, with each leg's contribution.
type Searcher interface {
	Explain(context.Context, search.Query) (search.Explanation, error)
}

// Credentials finds the principal that owns an access key, and its secret
// (*iam.Store, the lookup SigV4 verification uses).
type Credentials interface {
	Lookup(accessKeyID string) (p *iam.Principal, secret string, ok bool)
}

// Config wires the console.
type Config struct {
	Service     Service
	ARNs        registry.ARNs
	Index       Searcher
	Credentials Credentials
	// PublicURL is the base URL clients reach the server at, without a
	// trailing slash; the connect page builds endpoint URLs from it.
	PublicURL string
	// JWT verifies CUSTOM_JWT registries' tokens (the API's
	// *jwtauth.Verifier); nil turns sign-in with an identity provider off.
	JWT JWTVerifier
	// OAuthClientID is the client id the console signs people in with at
	// an identity provider; "" = each registry's first allowed client.
	OAuthClientID string
	// OAuthHTTPClient redeems authorization codes at token endpoints (a
	// safehttp client); nil = http.DefaultClient.
	OAuthHTTPClient *http.Client
	// SessionTTL is how long a sign-in lasts; 0 = DefaultSessionTTL.
	SessionTTL time.Duration
	Logger     *slog.Logger
	// Now is the clock (tests); nil = time.Now.
	Now func() time.Time
}

// DefaultSessionTTL is how long a sign-in lasts when not configured.
const DefaultSessionTTL = 8 * time.Hour

// Console is the web console's handler.
type Console struct {
	svc       Service
	arns      registry.ARNs
	index     Searcher
	creds     Credentials
	publicURL string
	log       *slog.Logger
	now       func() time.Time
	sessions  *sessions
	failures  *failures

	jwt           JWTVerifier
	oauthClientID string
	oauthClient   *http.Client
	pending       pendingSignIns

	pages map[string]*template.Template
	mux   *http.ServeMux
}

// New builds the console.
func New(cfg Config) (*Console, error) {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.SessionTTL <= 0 {
		cfg.SessionTTL = DefaultSessionTTL
	}
	c := &Console{svc: cfg.Service, arns: cfg.ARNs, index: cfg.Index, creds: cfg.Credentials,
		publicURL: strings.TrimSuffix(cfg.PublicURL, "/"), log: cfg.Logger, now: cfg.Now,
		sessions: newSessions(cfg.SessionTTL, cfg.Now), failures: newFailures(cfg.Now)}
	pages, err := parsePages()
	if err != nil {
		return nil, err
	}
	c.jwt, c.oauthClientID, c.oauthClient = cfg.JWT, cfg.OAuthClientID, cfg.OAuthHTTPClient
	if c.oauthClient == nil {
		c.oauthClient = http.DefaultClient
	}
	c.pages = pages
	c.mux = http.NewServeMux()
	c.routes()
	return c, nil
}

func (c *Console) routes() {
	static, _ := fs.Sub(staticFS, "static")
	files := http.StripPrefix(Prefix+"static/", http.FileServerFS(static))
	m := c.mux
	m.Handle("GET "+Prefix+"static/", cacheStatic(files))
	m.HandleFunc("GET "+Prefix+"{$}", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, Prefix+"registries", http.StatusSeeOther)
	})
	m.HandleFunc("GET "+Prefix+"signin", c.signInPage)
	m.HandleFunc("POST "+Prefix+"signin", c.signIn)
	m.Handle("POST "+Prefix+"signout", c.change(c.signOut))
	m.HandleFunc("GET "+oauthPath+"start", c.oauthStart)
	m.HandleFunc("GET "+oauthPath+"callback", c.oauthCallback)

	m.Handle("GET "+Prefix+"registries", c.page(c.registriesPage))
	m.Handle("POST "+Prefix+"registries", c.change(c.createRegistry))
	m.Handle("GET "+Prefix+"registries/{registryId}", c.page(c.recordsPage))
	m.Handle("GET "+Prefix+"registries/{registryId}/edit", c.page(c.editRegistryPage))
	m.Handle("POST "+Prefix+"registries/{registryId}/edit", c.change(c.updateRegistry))
	m.Handle("POST "+Prefix+"registries/{registryId}/delete", c.change(c.deleteRegistry))
	m.Handle("GET "+Prefix+"registries/{registryId}/new", c.page(c.newRecordPage))
	m.Handle("POST "+Prefix+"registries/{registryId}/new", c.change(c.createRecord))
	m.Handle("GET "+Prefix+"registries/{registryId}/records/{recordId}", c.page(c.recordPage))
	m.Handle("GET "+Prefix+"registries/{registryId}/records/{recordId}/edit", c.page(c.editRecordPage))
	m.Handle("POST "+Prefix+"registries/{registryId}/records/{recordId}/edit", c.change(c.updateRecord))
	m.Handle("POST "+Prefix+"registries/{registryId}/records/{recordId}/submit", c.change(c.submitRecord))
	m.Handle("POST "+Prefix+"registries/{registryId}/records/{recordId}/status", c.change(c.setStatus))
	m.Handle("POST "+Prefix+"registries/{registryId}/records/{recordId}/delete", c.change(c.deleteRecord))
	m.Handle("POST "+Prefix+"validate", c.change(c.validate))
	m.Handle("GET "+Prefix+"queue", c.page(c.queuePage))
	m.Handle("POST "+Prefix+"queue", c.change(c.decideQueue))
	m.Handle("GET "+Prefix+"search", c.page(c.searchPage))
	m.Handle("GET "+Prefix+"connect", c.page(c.connectPage))
	m.HandleFunc(Prefix, func(w http.ResponseWriter, r *http.Request) {
		c.render(w, r, http.StatusNotFound, "error", view{Title: "Not found", Error: "There is no such page."})
	})
}

// ServeHTTP serves the console with its security headers.
func (c *Console) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	// Scripts and styles come only from the console's own files: no inline
	// script or style, no other origin, no framing.
	h.Set("Content-Security-Policy", "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "+
		"connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "same-origin")
	h.Set("X-Frame-Options", "DENY")
	if r.Method == http.MethodGet || r.Method == http.MethodHead {
		c.mux.ServeHTTP(w, r)
		return
	}
	// Changes are logged as the API logs its requests (one line, the
	// principal, never the body), so that a decision taken in the console
	// leaves the same trail.
	start := time.Now()
	sw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
	c.mux.ServeHTTP(sw, r)
	attrs := []any{"method", r.Method, "path", r.URL.EscapedPath(), "status", sw.status,
		"duration_ms", float64(time.Since(start).Microseconds()) / 1000}
	if s := c.sessionOf(r); s != nil {
		attrs = append(attrs, "principal", s.principal.ARN)
	}
	c.log.Info("console request", attrs...)
}

type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	w.status = code
	w.ResponseWriter.WriteHeader(code)
}

func cacheStatic(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "public, max-age=300")
		next.ServeHTTP(w, r)
	})
}

// view is what every template gets.
type view struct {
	Title   string
	Nav     string
	Session *session
	Notice  string
	Error   string
	Fields  map[string]string // field name -> the API's message
	Data    any
	// Refresh is a meta refresh element for the head (signing in with an
	// identity provider), built from a checked console path.
	Refresh template.HTML
}

// pageFunc serves a page to a signed-in user; it returns the template
// and its data, or an error to show.
type pageFunc func(w http.ResponseWriter, r *http.Request, s *session) (string, view, error)

// page wraps a GET page: it needs a session (else the sign-in page), and
// renders what fn returns.
func (c *Console) page(fn pageFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s := c.sessionOf(r)
		if s == nil {
			http.Redirect(w, r, Prefix+"signin?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
			return
		}
		name, v, err := fn(w, r, s)
		v.Session = s
		if v.Notice == "" {
			v.Notice = notices[r.URL.Query().Get("done")]
		}
		if err != nil {
			c.renderError(w, r, s, err)
			return
		}
		if name == "" {
			return // fn answered
		}
		c.render(w, r, http.StatusOK, name, v)
	})
}

// notices are the messages a redirect after a change may show, by key,
// so that no text from the URL reaches the page.
var notices = map[string]string{
	"created":    "Created.",
	"updated":    "Saved.",
	"deleted":    "Deleted.",
	"submitted":  "Submitted for approval.",
	"status":     "Status changed.",
	"decided":    "Decisions recorded.",
	"signed-out": "You are signed out.",
}

// renderError shows err: a registry.Error's public message with its
// status; anything else is logged and shown as an internal error.
func (c *Console) renderError(w http.ResponseWriter, r *http.Request, s *session, err error) {
	status, msg := errorStatus(err)
	if status == http.StatusInternalServerError {
		c.log.Error("console", "path", r.URL.Path, "err", err)
	}
	c.render(w, r, status, "error", view{Title: http.StatusText(status), Session: s, Error: msg})
}

func errorStatus(err error) (int, string) {
	var re *registry.Error
	if !errors.As(err, &re) {
		return http.StatusInternalServerError, "Something went wrong on the server; it has been logged."
	}
	switch re.Kind {
	case registry.KindInvalid:
		return http.StatusBadRequest, re.Message
	case registry.KindNotFound:
		return http.StatusNotFound, re.Message
	case registry.KindConflict:
		return http.StatusConflict, re.Message
	case registry.KindForbidden, registry.KindUnauthorized:
		return http.StatusForbidden, re.Message
	case registry.KindQuotaExceeded, registry.KindThrottled:
		return http.StatusTooManyRequests, re.Message
	}
	return http.StatusInternalServerError, "Something went wrong on the server; it has been logged."
}

// fieldMessages maps an invalid request's fields to their messages, for
// showing each next to its input.
func fieldMessages(err error) map[string]string {
	var re *registry.Error
	if !errors.As(err, &re) || re.Kind != registry.KindInvalid {
		return nil
	}
	m := map[string]string{}
	for _, f := range re.Fields {
		if _, ok := m[f.Name]; !ok {
			m[f.Name] = f.Message
		}
	}
	return m
}

// render executes a page template into a buffer first, so that a
// template error never leaves half a page.
func (c *Console) render(w http.ResponseWriter, r *http.Request, status int, name string, v view) {
	t, ok := c.pages[name]
	if !ok {
		http.Error(w, "no such template", http.StatusInternalServerError)
		return
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout", v); err != nil {
		c.log.Error("console template", "template", name, "err", err)
		http.Error(w, "The page could not be rendered.", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

var funcs = template.FuncMap{
	"time": func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return t.UTC().Format("2006-01-02 15:04 UTC")
	},
	"lower": strings.ToLower,
	"statusClass": func(s registry.RecordStatus) string {
		return "st-" + strings.ToLower(strings.ReplaceAll(string(s), "_", "-"))
	},
	"path": url.PathEscape,
	"pct":  func(f float64) string { return fmt.Sprintf("%.0f%%", f*100) },
	"f3":   func(f float64) string { return fmt.Sprintf("%.3f", f) },
	"add":  func(a, b int) int { return a + b },
	// dict passes named values to a partial template.
	"dict": func(kv ...any) map[string]any {
		m := map[string]any{}
		for i := 0; i+1 < len(kv); i += 2 {
			k, _ := kv[i].(string)
			m[k] = kv[i+1]
		}
		return m
	},
}

// parsePages parses each page template with the layout.
func parsePages() (map[string]*template.Template, error) {
	names, err := fs.Glob(templateFS, "templates/*.html")
	if err != nil {
		return nil, err
	}
	pages := map[string]*template.Template{}
	for _, n := range names {
		base := strings.TrimSuffix(strings.TrimPrefix(n, "templates/"), ".html")
		if base == "layout" || strings.HasPrefix(base, "_") {
			continue
		}
		t, err := template.New(base).Funcs(funcs).ParseFS(templateFS, "templates/layout.html", "templates/_partials.html", n)
		if err != nil {
			return nil, fmt.Errorf("console template %s: %w", base, err)
		}
		pages[base] = t
	}
	return pages, nil
}

// ---- authorization: the API's IAM question ----

// allowed reports whether s's principal may perform operation (an API
// operation name such as "UpdateRegistryRecordStatus") on resource,
// asking exactly what the API asks.
func (c *Console) allowed(r *http.Request, s *session, operation, resource string) bool {
	return c.decide(r, s, operation, resource) == iam.Allow
}

// decide asks the principal's policies; a session signed in with a
// registry's identity provider may do what its token may do at the API:
// jwtOperations on that registry.
func (c *Console) decide(r *http.Request, s *session, operation, resource string) iam.Decision {
	if s.jwt != nil {
		if jwtOperations[operation] && resource == c.arns.Registry(s.jwt.registryID) {
			return iam.Allow
		}
		return iam.ImplicitDeny
	}
	return s.principal.Authorize(c.iamRequest(r, operation, resource))
}

// authorize is allowed as an error: the API's AccessDeniedException
// message.
func (c *Console) authorize(r *http.Request, s *session, operation, resource string) error {
	action := "bedrock-agentcore:" + operation
	switch c.decide(r, s, operation, resource) {
	case iam.Allow:
		return nil
	case iam.ImplicitDeny:
		if s.jwt != nil {
			return &registry.Error{Kind: registry.KindForbidden, Message: "A sign-in with registry " + s.jwt.registryID +
				"'s identity provider may search that registry, as its bearer tokens may, and nothing else; " +
				"sign in with an access key for more."}
		}
		return &registry.Error{Kind: registry.KindForbidden, Message: iam.DenyMessage(s.principal.ARN, action, resource)}
	case iam.ExplicitDeny:
		return &registry.Error{Kind: registry.KindForbidden, Message: iam.ExplicitDenyMessage(s.principal.ARN, action, resource)}
	default:
		return &registry.Error{Kind: registry.KindForbidden, Message: iam.DenyMessage(s.principal.ARN, action, resource)}
	}
}

// iamRequest is the context policies see, built as the API builds it:
// the peer's address (forwarding headers are not trusted), TLS, the time
// and the region.
func (c *Console) iamRequest(r *http.Request, operation, resource string) iam.Request {
	req := iam.Request{Action: "bedrock-agentcore:" + operation, Resource: resource, SecureTransport: r.TLS != nil,
		CurrentTime: c.now(), Region: c.arns.Region}
	if host, _, err := net.SplitHostPort(r.RemoteAddr); err == nil {
		if ip, err := netip.ParseAddr(host); err == nil {
			req.SourceIP = ip.Unmap()
		}
	}
	return req
}

// registryARN is the ARN of the registry in the path, valid or not (as
// the API does, so that validation tells an unauthorized caller nothing).
func (c *Console) registryARN(r *http.Request) string {
	return c.arns.Registry(r.PathValue("registryId"))
}

func (c *Console) recordARN(r *http.Request) string {
	return c.arns.Record(r.PathValue("registryId"), r.PathValue("recordId"))
}
