package httpapi

import (
	"context"
	"encoding/json"
	"errors"
	"math"
	"net/http"
	"strconv"
	"unicode/utf8"

	"github.com/agentry/agentry/registry"
	"github.com/agentry/agentry/search"
)

// Limits of SearchRegistryRecords.
const (
	maxSearchQuery    = 256
	maxSearchResults  = 20
	defaultMaxResults = 10
)

// searchRecordJSON is the data plane's RegistryRecordSummary: what search
// serves, always the approved revision.
type searchRecordJSON struct {
	RegistryArn    string                  `json:"registryArn"`
	RecordArn      string                  `json:"recordArn"`
	RecordID       string                  `json:"recordId"`
	Name           string                  `json:"name"`
	Description    string                  `json:"description,omitempty"`
	DescriptorType registry.DescriptorType `json:"descriptorType"`
	Descriptors    registry.Descriptors    `json:"descriptors"`
	Version        string                  `json:"version,omitempty"`
	Status         registry.RecordStatus   `json:"status"`
	CreatedAt      timestamp               `json:"createdAt"`
	UpdatedAt      timestamp               `json:"updatedAt"`
	// RelevanceScore is agentry's own member (the AWS SDKs ignore members
	// they do not know): how well the record matches the query, 0 to 1,
	// docs/api.md.
	RelevanceScore float64 `json:"relevanceScore"`
}

type searchResultJSON struct {
	RegistryRecords []searchRecordJSON `json:"registryRecords"`
}

// searchInput is a search before validation; field names are those of the
// caller's surface (REST or MCP).
type searchInput struct {
	query       string
	maxResults  *int
	filter      any // decoded JSON; nil = none
	filterField string
	// copies is how many times the answer carries the records (the MCP
	// tool's: as structured content and as text).
	copies int64
}

// runSearch validates in, searches the registry and charges the answer's
// size to the transfer budget.
func (a *api) runSearch(ctx context.Context, registryID string, in searchInput) ([]search.Hit, error) {
	var fields []registry.FieldError
	if n := utf8.RuneCountInString(in.query); n < 1 || n > maxSearchQuery {
		fields = append(fields, registry.FieldError{Name: "searchQuery",
			Message: "must be 1 to 256 characters, got " + strconv.Itoa(n)})
	}
	max := defaultMaxResults
	if in.maxResults != nil {
		max = *in.maxResults
		if max < 1 || max > maxSearchResults {
			fields = append(fields, registry.FieldError{Name: "maxResults", Message: "must be between 1 and 20, got " + strconv.Itoa(max)})
		}
	}
	var filter *search.Filter
	if in.filter != nil {
		f, err := search.ParseFilterValue(in.filter, in.filterField)
		if err != nil {
			var re *registry.Error
			if !errors.As(err, &re) {
				return nil, err
			}
			fields = append(fields, re.Fields...)
		}
		filter = f
	}
	if len(fields) > 0 {
		msg := "Invalid request: " + fields[0].Name + ": " + fields[0].Message
		for _, f := range fields[1:] {
			msg += "; " + f.Name + ": " + f.Message
		}
		return nil, &registry.Error{Kind: registry.KindInvalid, Reason: registry.ReasonFieldValidationFailed,
			Message: msg, Fields: fields}
	}
	hits, err := a.index.Search(ctx, search.Query{RegistryID: registryID, Text: in.query, Filter: filter, MaxResults: max})
	if err != nil {
		return nil, err
	}
	noteResults(ctx, len(hits))
	// Twenty large records make an answer of megabytes, encoded in several
	// passes: it needs the transfer budget before it is built.
	if err := chargeAnswer(ctx, in.copies*answerBytes(hits)); err != nil {
		return nil, err
	}
	return hits, nil
}

// searchResult is the answer of hits.
func (a *api) searchResult(registryID string, hits []search.Hit) searchResultJSON {
	out := searchResultJSON{RegistryRecords: make([]searchRecordJSON, 0, len(hits))}
	for i := range hits {
		out.RegistryRecords = append(out.RegistryRecords, a.searchRecord(registryID, &hits[i]))
	}
	return out
}

// searchRecord is the record of a hit as search serves it.
func (a *api) searchRecord(registryID string, h *search.Hit) searchRecordJSON {
	rev := h.Revision()
	return searchRecordJSON{
		RegistryArn: a.arns.Registry(registryID), RecordArn: a.arns.Record(registryID, h.RecordID),
		RecordID: h.RecordID, Name: rev.Name, Description: rev.Description, DescriptorType: rev.DescriptorType,
		Descriptors: rev.Descriptors, Version: rev.Version, Status: rev.Status,
		CreatedAt: timestamp(h.CreatedAt), UpdatedAt: timestamp(rev.UpdatedAt),
		RelevanceScore: relevanceScore(h.Relevance),
	}
}

// relevanceScore rounds a hit's score to 4 decimals: more digits would
// only show noise.
func relevanceScore(v float64) float64 {
	return math.Round(min(max(v, 0), 1)*1e4) / 1e4
}

// answerBytes estimates the size of hits in an answer: their text, a
// quarter more for JSON escaping, and room for the other fields.
func answerBytes(hits []search.Hit) int64 {
	var n int
	for i := range hits {
		n += hits[i].TextBytes*5/4 + 512
	}
	return int64(n)
}

// searchBody is the body of SearchRegistryRecords.
type searchBody struct {
	SearchQuery string          `json:"searchQuery"`
	RegistryIDs []string        `json:"registryIds"`
	MaxResults  *int            `json:"maxResults"`
	Filters     json.RawMessage `json:"filters"`
}

// searchRegistryOf names the registry of a SearchRegistryRecords body.
func searchRegistryOf(body []byte) (string, error) {
	var in searchBody
	if err := json.Unmarshal(body, &in); err != nil {
		return "", parseError(err)
	}
	if len(in.RegistryIDs) != 1 {
		return "", &registry.Error{Kind: registry.KindInvalid, Reason: registry.ReasonFieldValidationFailed,
			Message: "registryIds: must name exactly one registry, got " + strconv.Itoa(len(in.RegistryIDs)),
			Fields:  []registry.FieldError{{Name: "registryIds", Message: "must name exactly one registry"}}}
	}
	return in.RegistryIDs[0], nil
}

func (a *api) searchRecords(w http.ResponseWriter, r *http.Request) error {
	c := consumerFrom(r.Context())
	var in searchBody
	if err := unmarshalBody(c.body, &in); err != nil {
		return err
	}
	var filter any
	if len(in.Filters) > 0 && string(in.Filters) != "null" {
		if err := json.Unmarshal(in.Filters, &filter); err != nil {
			return parseError(err)
		}
	}
	hits, err := a.runSearch(r.Context(), c.registry.ID, searchInput{query: in.SearchQuery, maxResults: in.MaxResults,
		filter: filter, filterField: "filters", copies: 1})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, a.searchResult(c.registry.ID, hits))
	return nil
}
