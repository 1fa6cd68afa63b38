package search

// synonymGroups are words that mean the same thing in this domain, mostly
// abbreviations people type for the full word and back. They are expanded
// on the query side only: a query for "k8s" also matches "kubernetes", and
// the pair counts as one term (see scoring in index.go), so a record that
// says both is not rewarded twice. Keep the list short and certain: a loose
// association belongs to the semantic leg, not here.
var synonymGroups = [][]string{
	{"k8s", "kubernetes"},
	{"repo", "repository"},
	{"db", "database"},
	{"mail", "email"},
	{"postgres", "postgresql"},
	{"mongo", "mongodb"},
	{"js", "javascript"},
	{"ts", "typescript"},
	{"py", "python"},
	{"golang", "go"},
	{"img", "image"},
	{"pic", "picture"},
	{"doc", "document"},
	{"msg", "message"},
	{"config", "configuration", "cfg"},
	{"auth", "authentication", "authn"},
	{"authz", "authorization"},
	{"env", "environment"},
	{"info", "information"},
	{"stats", "statistics"},
	{"dir", "directory", "folder"},
	{"calc", "calculator"},
	{"app", "application"},
	{"crypto", "cryptocurrency"},
	{"btc", "bitcoin"},
	{"eth", "ethereum"},
	{"yt", "youtube"},
	{"ppt", "powerpoint", "pptx"},
	{"xlsx", "excel"},
	{"spreadsheet", "sheet"},
	{"pwd", "password", "passwd"},
	{"tz", "timezone"},
	{"url", "uri"},
	{"website", "webpage", "site"},
	{"movie", "film"},
	{"gh", "github"},
	{"addr", "address"},
	{"num", "number"},
}

// synonymTable maps a token to the tokens of its group (itself included).
type synonymTable map[string][]string

func buildSynonyms(a *analyzer) synonymTable {
	t := synonymTable{}
	for _, g := range synonymGroups {
		var toks []string
		seen := map[string]bool{}
		for _, w := range g {
			// Only one-token entries can be expanded term by term.
			var one []string
			a.each(w, func(b []byte) bool { one = append(one, string(b)); return true })
			if len(one) == 1 && !seen[one[0]] {
				seen[one[0]] = true
				toks = append(toks, one[0])
			}
		}
		if len(toks) < 2 {
			continue
		}
		for _, tok := range toks {
			t[tok] = append(t[tok], toks...)
		}
	}
	for tok, g := range t {
		t[tok] = dedupe(g)
	}
	return t
}

func dedupe(s []string) []string {
	seen := map[string]bool{}
	out := s[:0]
	for _, v := range s {
		if !seen[v] {
			seen[v] = true
			out = append(out, v)
		}
	}
	return out
}
