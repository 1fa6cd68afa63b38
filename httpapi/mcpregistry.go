package httpapi

import (
	"errors"
	"hash/fnv"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/agentry/agentry/mcpregistry"
	"github.com/agentry/agentry/registry"
	"github.com/agentry/agentry/search"
)

// The MCP Registry v0.1 read API (docs/mcp-registry-api.md), per registry
// at /registry/{registryId}/v0.1/..., and for one registry chosen by
// configuration also at /v0.1/... for clients that take only a host. It
// serves the registry's approved (and deprecated) MCP records from the
// catalog the follower keeps, as server.json documents encoded once per
// revision.

// Catalog serves the v0.1 listings (*mcpregistry.Catalog).
type Catalog interface {
	List(registryID string, q mcpregistry.ListQuery) (mcpregistry.Page, int64, error)
	Versions(registryID, name string, includeDeleted bool) ([]mcpregistry.Entry, int64)
	Get(registryID, name, version string, includeDeleted bool) (mcpregistry.Entry, int64, bool)
}

// mcpRegistryOperation is the IAM action of every v0.1 read.
const mcpRegistryOperation = "ListRegistryMcpServers"

// v0.1 page sizes: the official registry's default and maximum.
const (
	v01DefaultLimit = 30
	v01MaxLimit     = 100
	// v01MaxSearchHits bounds the ranked results a search pages through.
	v01MaxSearchHits = 1000
)

func (a *api) mcpRegistryRoutes(mux *http.ServeMux, root string, anonymous []string) {
	anon := map[string]bool{}
	for _, id := range anonymous {
		anon[id] = true
	}
	routes := map[string]handlerFunc{
		"/v0.1/servers":                                 a.v01List,
		"/v0.1/servers/{serverName}/versions":           a.v01Versions,
		"/v0.1/servers/{serverName}/versions/{version}": a.v01Get,
	}
	for path, h := range routes {
		mux.Handle("GET /registry/{registryId}"+path, a.v01Auth(anon, h))
		if root != "" {
			mux.Handle("GET "+path, withRegistry(root, a.v01Auth(anon, h)))
		}
	}
	mux.Handle("OPTIONS /registry/{registryId}/v0.1/", http.HandlerFunc(v01Preflight))
	if root != "" {
		mux.Handle("OPTIONS /v0.1/", http.HandlerFunc(v01Preflight))
	}
}

// withRegistry serves a root route as the route of registry id.
func withRegistry(id string, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.SetPathValue("registryId", id)
		next.ServeHTTP(w, r)
	})
}

// setCORS allows any origin, as the GitHub Copilot "MCP registry URL"
// policy needs (IDEs built on web views read the registry from their own
// origin). No cookies are involved: credentials, if any, are headers a
// script must add itself.
func setCORS(h http.Header) {
	h.Set("Access-Control-Allow-Origin", "*")
	h.Set("Access-Control-Expose-Headers", "ETag, X-Amzn-Requestid")
}

func v01Preflight(w http.ResponseWriter, r *http.Request) {
	setCORS(w.Header())
	h := w.Header()
	h.Set("Access-Control-Allow-Methods", "GET, OPTIONS")
	h.Set("Access-Control-Allow-Headers", "Authorization, Content-Type, If-None-Match, X-Amz-Date, X-Amz-Content-Sha256, X-Amz-Security-Token")
	h.Set("Access-Control-Max-Age", "86400")
	w.WriteHeader(http.StatusNoContent)
}

// v01Auth authenticates a v0.1 read as the registry says (SigV4 and the
// IAM action ListRegistryMcpServers, or a bearer token), unless the
// registry is one the configuration opens to anonymous reads.
func (a *api) v01Auth(anonymous map[string]bool, h handlerFunc) http.Handler {
	authed := a.pathConsumerAuth([]string{mcpRegistryOperation}, func(string) string { return "" }, h)
	return handlerFunc(func(w http.ResponseWriter, r *http.Request) error {
		setCORS(w.Header())
		if len(anonymous) > 0 {
			reg, err := a.svc.LookupRegistry(r.Context(), r.PathValue("registryId"))
			if err == nil && anonymous[reg.ID] {
				return serveConsumer(w, r, reg, nil, h)
			}
		}
		authed.ServeHTTP(w, r)
		return nil
	})
}

func (a *api) v01List(w http.ResponseWriter, r *http.Request) error {
	reg := consumerFrom(r.Context()).registry
	q, search, err := v01Query(r)
	if err != nil {
		return err
	}
	if search != "" {
		start, err := mcpregistry.RankOffset(q.Cursor)
		if err != nil {
			return registry.Errorf(registry.KindInvalid, "cursor: %s.", err.Error())
		}
		// Each hit costs decoding its revision: ask for the page and one
		// more (to know whether there is a next page), unless a version
		// filter may drop hits.
		want := v01MaxSearchHits
		if q.Version == "" && q.UpdatedSince.IsZero() {
			want = min(v01MaxSearchHits, start+q.Limit+1)
		}
		hits, err := a.index.Search(r.Context(), searchQuery(reg.ID, search, want))
		if err != nil {
			return err
		}
		q.Ranked = make([]string, len(hits))
		for i, h := range hits {
			q.Ranked[i] = h.RecordID
		}
	}
	page, seq, err := a.catalog.List(reg.ID, q)
	if errors.Is(err, mcpregistry.ErrBadCursor) {
		return registry.Errorf(registry.KindInvalid, "cursor: %s.", err.Error())
	}
	if err != nil {
		return err
	}
	size := 64
	for i := range page.Entries {
		size += page.Entries[i].Size()
	}
	b := make([]byte, 0, size)
	b = append(b, `{"servers":[`...)
	for i := range page.Entries {
		if i > 0 {
			b = append(b, ',')
		}
		b = page.Entries[i].AppendJSON(b)
	}
	b = append(b, `],"metadata":{`...)
	if page.NextCursor != "" {
		b = append(b, `"nextCursor":"`...)
		b = append(b, page.NextCursor...) // base64url: nothing to escape
		b = append(b, `",`...)
	}
	b = append(b, `"count":`...)
	b = strconv.AppendInt(b, int64(len(page.Entries)), 10)
	b = append(b, "}}"...)
	tag := ""
	if search == "" {
		// Without a search the answer is a function of the catalog's
		// state, named by its last change, and of the request.
		tag = v01Tag(seq, r.URL.EscapedPath()+"?"+r.URL.RawQuery)
	}
	writeV01(w, r, tag, b)
	return nil
}

// mcpOnly keeps a v0.1 search to MCP records.
var mcpOnly, _ = search.ParseFilter([]byte(`{"descriptorType": {"$eq": "MCP"}}`))

func searchQuery(registryID, text string, maxResults int) search.Query {
	return search.Query{RegistryID: registryID, Text: text, MaxResults: maxResults, Filter: mcpOnly}
}

// v01Query reads the listing's query parameters.
func v01Query(r *http.Request) (mcpregistry.ListQuery, string, error) {
	v, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		return mcpregistry.ListQuery{}, "", registry.Errorf(registry.KindInvalid, "The query string is not valid: %s.", err.Error())
	}
	q := mcpregistry.ListQuery{Cursor: v.Get("cursor"), Limit: v01DefaultLimit, Version: v.Get("version")}
	if s := v.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			return q, "", registry.Errorf(registry.KindInvalid, "limit: must be an integer from 1 to %d, got %q.", v01MaxLimit, truncate(s, 40))
		}
		q.Limit = min(n, v01MaxLimit)
	}
	if s := v.Get("updated_since"); s != "" {
		t, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			return q, "", registry.Errorf(registry.KindInvalid, "updated_since: must be an RFC 3339 date-time such as 2025-08-07T13:15:04Z, got %q.", truncate(s, 60))
		}
		q.UpdatedSince = t
	}
	inc, err := boolParam(v.Get("include_deleted"))
	if err != nil {
		return q, "", err
	}
	q.IncludeDeleted = inc
	search := strings.TrimSpace(v.Get("search"))
	if len(search) > 256 {
		return q, "", registry.Errorf(registry.KindInvalid, "search: at most 256 bytes.")
	}
	return q, search, nil
}

func boolParam(s string) (bool, error) {
	switch s {
	case "", "false":
		return false, nil
	case "true":
		return true, nil
	}
	return false, registry.Errorf(registry.KindInvalid, "include_deleted: must be true or false, got %q.", truncate(s, 20))
}

func (a *api) v01Versions(w http.ResponseWriter, r *http.Request) error {
	reg := consumerFrom(r.Context()).registry
	inc, err := boolParam(r.URL.Query().Get("include_deleted"))
	if err != nil {
		return err
	}
	name := r.PathValue("serverName")
	entries, seq := a.catalog.Versions(reg.ID, name, inc)
	if len(entries) == 0 {
		return registry.Errorf(registry.KindNotFound, "Server %q is not in registry %s.", truncate(name, 200), reg.ID)
	}
	b := append(make([]byte, 0, 4096), `{"servers":[`...)
	for i := range entries {
		if i > 0 {
			b = append(b, ',')
		}
		b = entries[i].AppendJSON(b)
	}
	b = append(b, `],"metadata":{"count":`...)
	b = strconv.AppendInt(b, int64(len(entries)), 10)
	b = append(b, "}}"...)
	writeV01(w, r, v01Tag(seq, r.URL.EscapedPath()+"?"+r.URL.RawQuery), b)
	return nil
}

func (a *api) v01Get(w http.ResponseWriter, r *http.Request) error {
	reg := consumerFrom(r.Context()).registry
	inc, err := boolParam(r.URL.Query().Get("include_deleted"))
	if err != nil {
		return err
	}
	name, version := r.PathValue("serverName"), r.PathValue("version")
	e, seq, ok := a.catalog.Get(reg.ID, name, version, inc)
	if !ok {
		return registry.Errorf(registry.KindNotFound, "Server %q version %q is not in registry %s.", truncate(name, 200), truncate(version, 100), reg.ID)
	}
	writeV01(w, r, v01Tag(seq, r.URL.EscapedPath()+"?"+r.URL.RawQuery), e.AppendJSON(nil))
	return nil
}

// v01Tag is the entity tag of an answer that depends only on the
// registry's catalog at feed position seq and on the request. It is weak:
// the same answer may be sent compressed or not.
func v01Tag(seq int64, request string) string {
	h := fnv.New64a()
	h.Write([]byte(request))
	return `W/"` + strconv.FormatInt(seq, 36) + "-" + strconv.FormatUint(h.Sum64(), 36) + `"`
}

// writeV01 sends a v0.1 answer with its entity tag (a hash of the body
// when tag is ""), or 304 when the client has it already.
func writeV01(w http.ResponseWriter, r *http.Request, tag string, body []byte) {
	if tag == "" {
		h := fnv.New64a()
		h.Write(body)
		tag = `W/"b` + strconv.FormatUint(h.Sum64(), 36) + `"`
	}
	hd := w.Header()
	hd.Set("ETag", tag)
	hd.Set("Cache-Control", "private, no-cache")
	if match := r.Header.Get("If-None-Match"); match != "" && etagMatches(match, tag) {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	hd.Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	w.Write(body)
}

// etagMatches reports whether an If-None-Match header names tag (weak
// comparison, as RFC 9110 asks for If-None-Match).
func etagMatches(header, tag string) bool {
	want := strings.TrimPrefix(tag, "W/")
	for _, t := range strings.Split(header, ",") {
		t = strings.TrimSpace(t)
		if t == "*" || strings.TrimPrefix(t, "W/") == want {
			return true
		}
	}
	return false
}
