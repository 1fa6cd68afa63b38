package console

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/agentry/agentry/registry"
	"github.com/agentry/agentry/search"
)

// The API's bounds on a search (SearchRegistryRecords).
const (
	maxSearchQuery   = 256
	maxSearchResults = 20
)

type searchData struct {
	Registries []registry.Registry // the pickers' choices; nil when the user may not list them
	RegistryID string
	Query      string
	Filter     string
	Max        int
	Ran        bool
	Semantic   bool
	Results    []searchResult
}

type searchResult struct {
	search.Hit
	Why search.Contribution
}

// searchPage is the search playground: the same search as
// SearchRegistryRecords and the MCP tool, with why each hit ranked.
func (c *Console) searchPage(w http.ResponseWriter, r *http.Request, s *session) (string, view, error) {
	v := view{Title: "Search playground", Nav: "search"}
	q := r.URL.Query()
	d := searchData{RegistryID: strings.TrimSpace(q.Get("registry")), Query: q.Get("q"), Filter: q.Get("filter"), Max: 10}
	if s.jwt != nil {
		// Signed in with a registry's identity provider: that registry.
		if reg, err := c.svc.GetRegistry(r.Context(), s.jwt.registryID); err == nil {
			d.Registries = []registry.Registry{reg}
		}
		if d.RegistryID == "" {
			d.RegistryID = s.jwt.registryID
		}
	} else if regs, err := c.allRegistries(r, s); err == nil {
		for _, reg := range regs {
			if reg.AuthorizerType == registry.AuthorizerAWSIAM {
				d.Registries = append(d.Registries, reg)
			}
		}
	}
	v.Data = &d
	if m := q.Get("max"); m != "" {
		n, err := strconv.Atoi(m)
		if err != nil || n < 1 || n > maxSearchResults {
			v.Error = "maxResults: must be between 1 and 20, got " + m
			return "search", v, nil
		}
		d.Max = n
	}
	if d.RegistryID == "" || !q.Has("q") {
		return "search", v, nil
	}
	if err := c.authorize(r, s, "SearchRegistryRecords", c.arns.Registry(d.RegistryID)); err != nil {
		return "", v, err
	}
	reg, err := c.svc.GetRegistry(r.Context(), d.RegistryID)
	if err != nil {
		return "", v, err
	}
	if reg.AuthorizerType != registry.AuthorizerAWSIAM && s.jwt == nil {
		v.Error = "This registry's consumers authenticate with bearer tokens (CUSTOM_JWT): sign in with its identity provider to search it here."
		return "search", v, nil
	}
	if n := utf8.RuneCountInString(d.Query); n < 1 || n > maxSearchQuery {
		v.Error = "searchQuery: must be 1 to 256 characters, got " + strconv.Itoa(n)
		return "search", v, nil
	}
	var filter *search.Filter
	if f := strings.TrimSpace(d.Filter); f != "" {
		if filter, err = search.ParseFilter(json.RawMessage(f)); err != nil {
			v.Error = errMessage(err)
			return "search", v, nil
		}
	}
	ex, err := c.index.Explain(r.Context(), search.Query{RegistryID: reg.ID, Text: d.Query, Filter: filter, MaxResults: d.Max})
	if err != nil {
		return "", v, err
	}
	d.Ran, d.Semantic = true, ex.Semantic
	for i, h := range ex.Hits {
		res := searchResult{Hit: h}
		if i < len(ex.Why) {
			res.Why = ex.Why[i]
		}
		d.Results = append(d.Results, res)
	}
	return "search", v, nil
}
