package httpapi

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/agentry/agentry/registry"
	"github.com/agentry/agentry/search"
)

// The GA data plane (§5): SearchDiscoverableRegistryRecords,
// ListDiscoverableRegistryRecords and BatchGetDiscoverableRegistryRecord.
// All three serve approved revisions only.

// gaSearchBody is SearchDiscoverableRegistryRecords' body.
type gaSearchBody struct {
	SearchQuery *string         `json:"searchQuery"`
	RegistryIDs []string        `json:"registryIds"`
	MaxResults  *int            `json:"maxResults"`
	Filters     json.RawMessage `json:"filters"`
}

// oneRegistry resolves the single registry identifier of a request (an id
// or a GA ARN) to an id.
func (g *gaAPI) oneRegistry(field string, ids []string) (string, error) {
	if len(ids) != 1 {
		return "", invalidField(field, "must name exactly one registry, got "+strconv.Itoa(len(ids)))
	}
	return g.arns.RegistryID(field, ids[0])
}

func (g *gaAPI) searchRegistryOf(body []byte) (string, error) {
	var in gaSearchBody
	if err := json.Unmarshal(body, &in); err != nil {
		return "", parseError(err)
	}
	return g.oneRegistry("registryIds", in.RegistryIDs)
}

// gaFilter rewrites a GA search filter document into the index's terms:
// recordType (with GA values) is descriptorType, recordVersion is version.
func gaFilter(v any) any {
	switch t := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(t))
		for k, sub := range t {
			switch k {
			case "recordType":
				out["descriptorType"] = gaRecordTypeValues(sub)
			case "recordVersion":
				out["version"] = sub
			default:
				out[k] = gaFilter(sub)
			}
		}
		return out
	case []any:
		out := make([]any, len(t))
		for i, sub := range t {
			out[i] = gaFilter(sub)
		}
		return out
	}
	return v
}

// gaRecordTypeValues maps the GA record types in an operator object
// ({"$eq": "AGENT"}, {"$in": [...]}) to the domain's.
func gaRecordTypeValues(v any) any {
	switch t := v.(type) {
	case string:
		if d, ok := domainRecordType(t); ok {
			return string(d)
		}
		return t
	case map[string]any:
		out := make(map[string]any, len(t))
		for k, sub := range t {
			out[k] = gaRecordTypeValues(sub)
		}
		return out
	case []any:
		out := make([]any, len(t))
		for i, sub := range t {
			out[i] = gaRecordTypeValues(sub)
		}
		return out
	}
	return v
}

// searchGA validates a GA search and runs it on the registry (an id).
// filterField names the filter in errors ("filters" in REST, "filter" in
// the MCP tool).
func (g *gaAPI) searchGA(ctx context.Context, registryID string, query *string, maxResults *int, filter any, filterField string, copies int64) ([]gaRecordJSON, error) {
	var f gaFields
	if query == nil {
		f.add("searchQuery", "is required")
	} else if n := utf8.RuneCountInString(*query); n < 1 || n > maxSearchQuery {
		f.add("searchQuery", "must be 1 to 256 characters, got %d", n)
	}
	max := defaultMaxResults
	if maxResults != nil {
		max = *maxResults
		if max < 1 || max > maxSearchResults {
			f.add("maxResults", "must be between 1 and 20, got %d", max)
		}
	}
	var flt *search.Filter
	if filter != nil {
		parsed, err := search.ParseFilterValue(gaFilter(filter), filterField)
		if err != nil {
			var re *registry.Error
			if !errors.As(err, &re) {
				return nil, err
			}
			f = append(f, re.Fields...)
		}
		flt = parsed
	}
	if err := f.err(); err != nil {
		return nil, err
	}
	hits, err := g.index.Search(ctx, search.Query{RegistryID: registryID, Text: *query, Filter: flt, MaxResults: max})
	if err != nil {
		return nil, err
	}
	if err := chargeAnswer(ctx, copies*answerBytes(hits)); err != nil {
		return nil, err
	}
	out := make([]gaRecordJSON, 0, len(hits))
	for _, h := range hits {
		rec := registry.Record{RegistryID: registryID, ID: h.RecordID, CreatedAt: h.CreatedAt}
		j := g.recordJSON(rec, h.Revision(), formDiscovered)
		score := relevanceScore(h.Relevance)
		j.RelevanceScore = &score
		out = append(out, j)
	}
	return out, nil
}

func (g *gaAPI) searchDiscoverable(w http.ResponseWriter, r *http.Request) error {
	c := consumerFrom(r.Context())
	var in gaSearchBody
	if err := unmarshalBody(c.body, &in); err != nil {
		return err
	}
	var filter any
	if len(in.Filters) > 0 && string(in.Filters) != "null" {
		if err := json.Unmarshal(in.Filters, &filter); err != nil {
			return parseError(err)
		}
	}
	records, err := g.searchGA(r.Context(), c.registry.ID, in.SearchQuery, in.MaxResults, filter, "filters", 1)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string][]gaRecordJSON{"registryRecords": records})
	return nil
}

// gaListDiscoverableBody is ListDiscoverableRegistryRecords' body.
type gaListDiscoverableBody struct {
	MaxResults *int           `json:"maxResults"`
	NextToken  *string        `json:"nextToken"`
	Filters    []gaFilterJSON `json:"filters"`
}

// listDiscoverableGA validates and runs a ListDiscoverableRegistryRecords
// request on the registry (an id).
func (g *gaAPI) listDiscoverableGA(ctx context.Context, registryID string, in gaListDiscoverableBody) (any, error) {
	var f gaFields
	token := f.paging(in.MaxResults, in.NextToken, 4096)
	filters := f.filters(in.Filters, []string{"recordType", "descriptorType"}, 10)
	var types []registry.DescriptorType
	for i, v := range filters["recordType"] {
		t, ok := domainRecordType(v)
		if !ok {
			f.enum("filters.recordType.values["+strconv.Itoa(i)+"]", v, gaRecordTypes)
		}
		types = append(types, t)
	}
	for i, v := range filters["descriptorType"] {
		f.enum("filters.descriptorType.values["+strconv.Itoa(i)+"]", v, gaDescriptorKeys)
	}
	if err := f.err(); err != nil {
		return nil, err
	}
	canon := "t=" + strings.Join(filters["recordType"], ",") + "\x00d=" + strings.Join(filters["descriptorType"], ",")
	page, err := g.svc.ListDiscoverable(ctx, registry.ListDiscoverableInput{
		RegistryID: registryID, DescriptorTypes: types, DescriptorKeys: filters["descriptorType"], KeysOf: descriptorKeys,
		MaxResults: in.MaxResults, NextToken: token, Filters: canon,
	})
	if err != nil {
		return nil, err
	}
	out := struct {
		RegistryRecords []gaRecordJSON `json:"registryRecords"`
		NextToken       string         `json:"nextToken,omitempty"`
	}{RegistryRecords: []gaRecordJSON{}, NextToken: page.NextToken}
	for _, rec := range page.Records {
		out.RegistryRecords = append(out.RegistryRecords, g.recordJSON(rec, *rec.Approved, formDiscoverable))
	}
	return out, nil
}

func (g *gaAPI) listDiscoverable(w http.ResponseWriter, r *http.Request) error {
	c := consumerFrom(r.Context())
	var in gaListDiscoverableBody
	if err := unmarshalBody(c.body, &in); err != nil {
		return err
	}
	out, err := g.listDiscoverableGA(r.Context(), c.registry.ID, in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// gaBatchBody is BatchGetDiscoverableRegistryRecord's body.
type gaBatchBody struct {
	Entries []struct {
		RegistryID *string  `json:"registryId"`
		RecordIDs  []string `json:"recordIds"`
	} `json:"entries"`
}

func (g *gaAPI) batchRegistryOf(body []byte) (string, error) {
	var in gaBatchBody
	if err := json.Unmarshal(body, &in); err != nil {
		return "", parseError(err)
	}
	if len(in.Entries) != 1 {
		return "", invalidField("entries", "must have exactly 1 entry, got "+strconv.Itoa(len(in.Entries)))
	}
	if in.Entries[0].RegistryID == nil {
		return "", invalidField("entries[0].registryId", "is required")
	}
	return g.arns.RegistryID("entries[0].registryId", *in.Entries[0].RegistryID)
}

type gaBatchErrorJSON struct {
	RegistryID string `json:"registryId"`
	RecordID   string `json:"recordId"`
	ErrorCode  string `json:"errorCode"`
	Message    string `json:"message,omitempty"`
}

// batchGetGA returns the approved revisions of records of one registry
// (an id); each record that cannot be returned is one entry of errors,
// echoed as the caller named it.
func (g *gaAPI) batchGetGA(ctx context.Context, registryID, rawRegistry string, recordIDs []string) (any, error) {
	var f gaFields
	if len(recordIDs) < 1 || len(recordIDs) > 100 {
		f.add("entries[0].recordIds", "must have 1 to 100 record identifiers, got %d", len(recordIDs))
	}
	if err := f.err(); err != nil {
		return nil, err
	}
	out := struct {
		RegistryRecords []gaRecordJSON     `json:"registryRecords"`
		Errors          []gaBatchErrorJSON `json:"errors"`
	}{RegistryRecords: []gaRecordJSON{}, Errors: []gaBatchErrorJSON{}}
	var ids []string
	var raws []string
	for _, raw := range recordIDs {
		id, err := g.arns.RecordID("recordId", registryID, raw)
		if err != nil {
			out.Errors = append(out.Errors, gaBatchErrorJSON{RegistryID: rawRegistry, RecordID: raw, ErrorCode: "RESOURCE_NOT_FOUND",
				Message: "Not a record identifier of this registry."})
			continue
		}
		ids, raws = append(ids, id), append(raws, raw)
	}
	results, err := g.svc.GetDiscoverable(ctx, registryID, ids)
	if err != nil {
		return nil, err
	}
	for i, res := range results {
		switch {
		case res.Err == nil:
			out.RegistryRecords = append(out.RegistryRecords, g.recordJSON(res.Record, *res.Record.Approved, formDiscovered))
		case registry.IsNotFound(res.Err):
			out.Errors = append(out.Errors, gaBatchErrorJSON{RegistryID: rawRegistry, RecordID: raws[i], ErrorCode: "RESOURCE_NOT_FOUND",
				Message: "The record does not exist or has no approved revision."})
		default:
			out.Errors = append(out.Errors, gaBatchErrorJSON{RegistryID: rawRegistry, RecordID: raws[i], ErrorCode: "INTERNAL_ERROR",
				Message: "The record could not be read."})
		}
	}
	return out, nil
}

func (g *gaAPI) batchGetDiscoverable(w http.ResponseWriter, r *http.Request) error {
	c := consumerFrom(r.Context())
	var in gaBatchBody
	if err := unmarshalBody(c.body, &in); err != nil {
		return err
	}
	out, err := g.batchGetGA(r.Context(), c.registry.ID, *in.Entries[0].RegistryID, in.Entries[0].RecordIDs)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}
