// Package httpapi serves agentry over HTTP:
//
//   - the registry control plane of Amazon Bedrock AgentCore (restJson1),
//     so that the AWS SDKs, the AWS CLI and curl --aws-sigv4 work against it
//     unchanged: SigV4 on every request, IAM policies on every operation;
//   - the data plane's SearchRegistryRecords and each registry's MCP
//     endpoint, authenticated as the registry's authorizer type says (SigV4
//     and IAM, or OAuth bearer tokens);
//   - health (/healthz) and readiness (/readyz).
//
// Where to find what: every surface authenticates SigV4 callers with the
// same two steps (authenticate.go) and asks the same IAM question
// (authorize.go); consumers of CUSTOM_JWT registries present bearer tokens
// (consumer.go). Handlers return errors, and errors.go alone turns them
// into answers. The handler depends on the small interfaces Service,
// Searcher, TokenVerifier and Credentials, so that its tests run on fakes
// of them.
package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"runtime/debug"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/agentry/agentry/iam"
	"github.com/agentry/agentry/jwtauth"
	"github.com/agentry/agentry/registry"
	"github.com/agentry/agentry/search"
	"github.com/agentry/agentry/sigv4"
)

// DefaultMaxBodyBytes bounds a request body: five descriptors of 100 KiB
// each, JSON-escaped, fit with room to spare.
const DefaultMaxBodyBytes = 2 << 20

// Service is the registry service as the handlers use it
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
	// LookupRegistry finds the registry a consumer request names.
	LookupRegistry(ctx context.Context, registryID string) (registry.Registry, error)
	// The GA API's tags and discovery (ga.go); their identifiers are ids.
	DeleteRegistryAndRecords(ctx context.Context, registryID string) error
	ListTags(ctx context.Context, registryID, recordID string) (map[string]string, error)
	TagResource(ctx context.Context, registryID, recordID string, tags map[string]string) error
	UntagResource(ctx context.Context, registryID, recordID string, keys []string) error
	ListDiscoverable(context.Context, registry.ListDiscoverableInput) (registry.DiscoverablePage, error)
	GetDiscoverable(ctx context.Context, registryID string, recordIDs []string) ([]registry.DiscoverableResult, error)
}

// Searcher serves searches (*search.Index).
type Searcher interface {
	Search(context.Context, search.Query) ([]search.Hit, error)
}

// TokenVerifier verifies the bearer tokens of CUSTOM_JWT registries
// (*jwtauth.Verifier). Its errors are *jwtauth.Error.
type TokenVerifier interface {
	Verify(ctx context.Context, cfg registry.CustomJWTAuthorizer, token string) (*jwtauth.Claims, error)
	Issuer(ctx context.Context, discoveryURL string) (string, error)
}

// Credentials finds the principal that owns an access key, and the key's
// secret, in one lookup (*iam.Store).
type Credentials interface {
	Lookup(accessKeyID string) (p *iam.Principal, secret string, ok bool)
}

// Config wires the handler.
type Config struct {
	Service Service
	// ARNs names the resources of Service; its region is the one IAM
	// policies see.
	ARNs registry.ARNs
	// Verifier checks SigV4 signatures (its Lookup is not used);
	// Credentials finds the principal and secret of an access key.
	Verifier    *sigv4.Verifier
	Credentials Credentials
	// Index serves searches; JWT verifies bearer tokens of CUSTOM_JWT
	// registries.
	Index Searcher
	JWT   TokenVerifier
	// PublicURL is the base URL clients reach this server at, without a
	// trailing slash.
	PublicURL string
	// AllowedHosts and AllowedOrigins extend the MCP endpoint's allow-lists
	// (hostnames; origins as scheme://host[:port]). The public URL's host is
	// always allowed, and so are loopback names when it is a loopback host.
	AllowedHosts   []string
	AllowedOrigins []string
	// Version is reported to MCP clients.
	Version string
	Logger  *slog.Logger
	// MaxBodyBytes caps request bodies; 0 = DefaultMaxBodyBytes.
	MaxBodyBytes int64
	// Transfers bound the memory that request bodies and answers in
	// transit hold.
	Transfers TransferLimits
	// Catalog serves the MCP Registry v0.1 API; nil leaves it out.
	// MCPRegistryRoot names the registry also served at /v0.1/...;
	// AnonymousRegistries lists the registries whose v0.1 API anyone may
	// read without credentials.
	Catalog             Catalog
	MCPRegistryRoot     string
	AnonymousRegistries []string
	// Ready reports why the server should not take traffic, nil when it
	// may; a nil Ready means always ready.
	Ready func(context.Context) error
	// Observe, when set, hears of every request once it is answered
	// (metrics, the audit trail). It runs on the request's goroutine
	// before the handler returns, so it must be quick.
	Observe func(Finished)
	// Metrics, when set, serves GET /metrics to callers allowed
	// ActionGetMetrics.
	Metrics http.Handler
	// Audit, when set, serves GET /audit-events to callers allowed
	// ActionListAuditEvents.
	Audit AuditReader
}

// New returns the HTTP handler of the whole REST surface.
func New(cfg Config) http.Handler {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.MaxBodyBytes == 0 {
		cfg.MaxBodyBytes = DefaultMaxBodyBytes
	}
	a := &api{listPages: new(pageCache), svc: cfg.Service, arns: cfg.ARNs, now: time.Now, verifier: cfg.Verifier, credentials: cfg.Credentials,
		index: cfg.Index, catalog: cfg.Catalog, jwt: cfg.JWT, publicURL: strings.TrimSuffix(cfg.PublicURL, "/"), budget: newBudget(cfg.Transfers),
		maxBody: cfg.MaxBodyBytes, observed: cfg.Observe != nil, audit: cfg.Audit, encodedRecords: newRecordJSONCache(recordJSONBudget)}
	a.allowedHosts, a.allowedOrigins = allowLists(a.publicURL, cfg.AllowedHosts, cfg.AllowedOrigins)
	signed := http.NewServeMux()
	a.routes(signed)
	if cfg.Audit != nil {
		signed.Handle("GET /audit-events", a.operationAs("ListAuditEvents", []string{ActionListAuditEvents}, anyResource, a.auditEvents))
	}
	if cfg.Metrics != nil {
		signed.Handle("GET /metrics", a.operationAs("GetMetrics", []string{ActionGetMetrics}, anyResource,
			func(w http.ResponseWriter, r *http.Request) error { cfg.Metrics.ServeHTTP(w, r); return nil }))
	}
	ga := a.gaAPI()
	gaSigned := http.NewServeMux()
	ga.routes(gaSigned)

	mux := http.NewServeMux()
	// /healthz: the process serves requests. /readyz: it should get
	// traffic (its database answers and its search index is current).
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		if cfg.Ready != nil {
			if err := cfg.Ready(r.Context()); err != nil {
				writeJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "unavailable", "reason": err.Error()})
				return
			}
		}
		writeJSON(w, http.StatusOK, map[string]string{"status": "ready"})
	})
	mux.Handle("POST /registry-records/search", named("SearchRegistryRecords", a.bodyConsumerAuth([]string{"SearchRegistryRecords"}, searchRegistryOf,
		handlerFunc(a.searchRecords))))
	mux.Handle("/registry/{registryId}/mcp", named(OperationMCP, a.mcpHandler(cfg.Version)))
	mux.Handle("GET /.well-known/oauth-protected-resource/registry/{registryId}/mcp", handlerFunc(a.protectedResourceMetadata))
	ga.dataRoutes(mux)
	if cfg.Catalog != nil {
		a.mcpRegistryRoutes(mux, cfg.MCPRegistryRoot, cfg.AnonymousRegistries)
	}
	// Each operation authenticates its caller itself (operation), so that
	// a refused call is known by its operation and resource; routeAPIs only
	// picks the API by the credential scope.
	mux.Handle("/", a.routeAPIs(signed, gaSigned))
	// Compression sits inside the transfer limits, so that they count the
	// bytes actually sent.
	return withRequestInfo(cfg.Logger, cfg.Observe, withTransferLimits(a.budget, compressJSON(compressLevel, compressMinBytes)(mux)))
}

type api struct {
	svc            Service
	listPages      *pageCache       // ListRegistryRecords answers, gzipped; nil: none
	encodedRecords *recordJSONCache // the search tool's records, encoded
	arns           registry.ARNs
	now            func() time.Time
	verifier       *sigv4.Verifier
	credentials    Credentials
	budget         *budget
	index          Searcher
	catalog        Catalog
	jwt            TokenVerifier
	publicURL      string
	allowedHosts   map[string]struct{}
	allowedOrigins map[string]struct{}
	maxBody        int64
	observed       bool // Config.Observe is set: note what audit needs
	audit          AuditReader
}

// allowLists builds the MCP endpoint's host and origin allow-lists.
func allowLists(publicURL string, hosts, origins []string) (map[string]struct{}, map[string]struct{}) {
	h, o := map[string]struct{}{}, map[string]struct{}{}
	if u, err := url.Parse(publicURL); err == nil && u.Host != "" {
		name := strings.ToLower(u.Hostname())
		h[name] = struct{}{}
		o[strings.ToLower(u.Scheme+"://"+u.Host)] = struct{}{}
		if ip := net.ParseIP(name); name == "localhost" || (ip != nil && ip.IsLoopback()) {
			for _, l := range []string{"localhost", "127.0.0.1", "::1"} {
				h[l] = struct{}{}
			}
		}
	}
	for _, s := range hosts {
		h[strings.ToLower(strings.TrimSpace(s))] = struct{}{}
	}
	for _, s := range origins {
		o[strings.ToLower(strings.TrimSuffix(strings.TrimSpace(s), "/"))] = struct{}{}
	}
	return h, o
}

// handlerFunc is a handler that may fail: it writes nothing then, and
// writeError answers its error.
type handlerFunc func(w http.ResponseWriter, r *http.Request) error

func (h handlerFunc) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if err := h(w, r); err != nil {
		writeError(w, r, err)
	}
}

func (a *api) routes(mux *http.ServeMux) {
	op := a.operation
	mux.Handle("POST /registries", op("CreateRegistry", a.allRegistries, a.createRegistry))
	mux.Handle("GET /registries", op("ListRegistries", a.allRegistries, a.listRegistries))
	mux.Handle("GET /registries/{registryId}", op("GetRegistry", a.registryARN, a.getRegistry))
	mux.Handle("PATCH /registries/{registryId}", op("UpdateRegistry", a.registryARN, a.updateRegistry))
	mux.Handle("DELETE /registries/{registryId}", op("DeleteRegistry", a.registryARN, a.deleteRegistry))
	mux.Handle("POST /registries/{registryId}/records", op("CreateRegistryRecord", a.registryARN, a.createRecord))
	mux.Handle("GET /registries/{registryId}/records", op("ListRegistryRecords", a.registryARN, a.listRecords))
	mux.Handle("GET /registries/{registryId}/records/{recordId}", op("GetRegistryRecord", a.recordARN, a.getRecord))
	mux.Handle("PATCH /registries/{registryId}/records/{recordId}", op("UpdateRegistryRecord", a.recordARN, a.updateRecord))
	mux.Handle("DELETE /registries/{registryId}/records/{recordId}", op("DeleteRegistryRecord", a.recordARN, a.deleteRecord))
	mux.Handle("POST /registries/{registryId}/records/{recordId}/submit-for-approval",
		op("SubmitRegistryRecordForApproval", a.recordARN, a.submitRecord))
	mux.Handle("PATCH /registries/{registryId}/records/{recordId}/status",
		op("UpdateRegistryRecordStatus", a.recordARN, a.updateRecordStatus))
	mux.Handle("/", a.authenticate(a.maxBody, handlerFunc(func(w http.ResponseWriter, r *http.Request) error {
		return registry.Errorf(registry.KindNotFound, "No operation matches %s %s.", r.Method, r.URL.Path)
	})))
}

// ---- request info and logging ----

type requestInfo struct {
	id        string
	base      *slog.Logger // the server's; logger adds the request id
	principal *iam.Principal
	subject   string // the token subject of a JWT caller
	errorName string

	// What metrics and the audit trail report (observe.go).
	operation   string
	resource    string
	accessKeyID string
	denial      string   // "explicit" or "implicit" when IAM refused
	deniedBy    string   // the statement that denied explicitly (iam.Match.String)
	changed     []string // the top-level fields of a changing call's body
	mcpMethod   string
	mcpTool     string
	results     int // hits of a search, -1 when none ran
}

type ctxKey struct{}

func requestInfoFrom(ctx context.Context) *requestInfo {
	info, _ := ctx.Value(ctxKey{}).(*requestInfo)
	return info
}

func setErrorName(r *http.Request, name string) {
	if info := requestInfoFrom(r.Context()); info != nil {
		info.errorName = name
	}
}

var requestCounter atomic.Uint64

// withRequestInfo gives each request an id (returned as x-amzn-RequestId,
// which the AWS SDKs surface), recovers from panics, and logs one line per
// request. Nothing secret is logged: no headers, no bodies, no query.
// requestID is prefix-counter, the counter in at least 8 digits.
func requestID(prefix string, n uint64) string {
	var digits [20]byte
	d := strconv.AppendUint(digits[:0], n, 10)
	b := make([]byte, 0, len(prefix)+1+max(8, len(d)))
	b = append(b, prefix...)
	b = append(b, '-')
	for range 8 - len(d) {
		b = append(b, '0')
	}
	return string(append(b, d...))
}

// logger is the request's logger: the server's, with the request's id.
func (i *requestInfo) logger() *slog.Logger { return i.base.With("request_id", i.id) }

func withRequestInfo(base *slog.Logger, observe func(Finished), next http.Handler) http.Handler {
	prefix := registry.NewID(8)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		id := requestID(prefix, requestCounter.Add(1))
		info := &requestInfo{id: id, base: base, results: -1}
		w.Header().Set("X-Amzn-Requestid", id)
		sw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
		r = r.WithContext(context.WithValue(r.Context(), ctxKey{}, info))
		defer func() {
			if p := recover(); p != nil {
				if p == http.ErrAbortHandler {
					panic(p)
				}
				info.logger().Error("panic", "panic", p, "stack", string(debug.Stack()))
				if !sw.wrote {
					writeError(sw, r, errors.New("panic"))
				}
			}
			// The line reads as info.logger().Info would write it, request_id
			// first, without making that logger for every request.
			attrs := make([]slog.Attr, 0, 8)
			attrs = append(attrs, slog.String("request_id", id), slog.String("method", r.Method), slog.String("path", r.URL.EscapedPath()),
				slog.Int("status", sw.status), slog.Float64("duration_ms", float64(time.Since(start).Microseconds())/1000))
			if info.principal != nil {
				attrs = append(attrs, slog.String("principal", info.principal.ARN))
			}
			if info.subject != "" {
				attrs = append(attrs, slog.String("subject", info.subject))
			}
			if info.errorName != "" {
				attrs = append(attrs, slog.String("error", info.errorName))
			}
			base.LogAttrs(r.Context(), slog.LevelInfo, "request", attrs...)
			if observe != nil {
				observe(finished(r, info, sw.status, start))
			}
		}()
		next.ServeHTTP(sw, r)
	})
}

type statusWriter struct {
	http.ResponseWriter
	status int
	wrote  bool
}

func (w *statusWriter) WriteHeader(code int) {
	if !w.wrote {
		w.status, w.wrote = code, true
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	w.wrote = true
	return w.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the connection (deadlines).
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// ---- JSON helpers ----

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status, b = http.StatusInternalServerError, []byte(`{"message":"internal error"}`)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	w.Write(b)
}

// decode reads a JSON request body into v. An empty body is an empty
// object.
func decode(r *http.Request, v any) error {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return registry.Errorf(registry.KindInvalid, "Could not read the request body.")
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return nil
	}
	return unmarshalBody(body, v)
}

// unmarshalBody decodes a JSON request body into v. Syntax and type errors,
// and strings that are not UTF-8, become ValidationExceptions that say
// where.
func unmarshalBody(body []byte, v any) error {
	if err := json.Unmarshal(body, v); err != nil {
		return parseError(err)
	}
	return checkUTF8(body)
}

func parseError(err error) error {
	e := &registry.Error{Kind: registry.KindInvalid, Reason: registry.ReasonCannotParse}
	var syntax *json.SyntaxError
	var typ *json.UnmarshalTypeError
	var wrapper *wrapperError
	switch {
	case errors.As(err, &syntax):
		e.Message = fmt.Sprintf("The request body is not valid JSON (at byte %d): %s.", syntax.Offset, syntax.Error())
	case errors.As(err, &typ):
		e.Message = fmt.Sprintf("%s: must be %s, got JSON %s.", typ.Field, jsonKind(typ.Type.Kind().String()), typ.Value)
		e.Reason = registry.ReasonFieldValidationFailed
		e.Fields = []registry.FieldError{{Name: typ.Field, Message: fmt.Sprintf("must be %s, got JSON %s", jsonKind(typ.Type.Kind().String()), typ.Value)}}
	case errors.As(err, &wrapper):
		e.Message = wrapper.Error()
	default:
		e.Message = "The request body could not be parsed: " + err.Error()
	}
	return e
}

func jsonKind(goKind string) string {
	switch goKind {
	case "string":
		return "a string"
	case "bool":
		return "a boolean"
	case "int", "int8", "int16", "int32", "int64", "uint", "uint8", "uint16", "uint32", "uint64":
		return "an integer"
	case "struct", "map":
		return "an object"
	case "slice", "array":
		return "an array"
	default:
		return "a number"
	}
}
