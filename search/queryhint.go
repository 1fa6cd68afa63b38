package search

import "strings"

// A task that names a file path ("save the report to
// /root/markdown/report.md") needs a server that reads or writes files,
// though it rarely says so in words: the path itself is the request. A
// query with a path is searched as if it also said a hint, as a sentence
// of its own (docs/search-quality.md, "Session 5"): "write files" when
// the clause of a path says to save or write there, "files" otherwise
// (session 7). A registry of single tools has its read and write tools
// as separate records, and "files" alone ranks the readers first.
const (
	pathHint      = "files"
	writePathHint = "write files"
)

// writeVerbs are the words that ask for something to be put in a file.
var writeVerbs = map[string]bool{
	"save": true, "saves": true, "saved": true, "saving": true,
	"write": true, "writes": true, "wrote": true, "written": true, "writing": true,
	"store": true, "stores": true, "stored": true, "storing": true,
	"export": true, "exports": true, "exported": true, "exporting": true,
}

// hintFor returns what a query is searched for in addition to its text:
// writePathHint when a path follows one of writeVerbs in the same clause
// (clauses end at ',', ';', ':', a sentence's end, "and" and "then"),
// pathHint for any other path, and "" when the query has no path.
func hintFor(text string) string {
	if !strings.Contains(text, "/") { // most queries: nothing to split
		return ""
	}
	hint, verb := "", false
	for _, w := range strings.Fields(text) {
		if isPath(w) {
			if verb {
				return writePathHint
			}
			hint = pathHint
		}
		word := strings.ToLower(strings.Trim(w, "\"'`()[]{},;:.!?"))
		switch {
		case writeVerbs[word]:
			verb = true
		case word == "and" || word == "then":
			verb = false
		}
		if strings.ContainsAny(w[len(w)-1:], ",;:.!?") {
			verb = false
		}
	}
	return hint
}

// isPath reports whether a word of a query is a file system path: it
// starts with "/", "~/" or "./" and has at least two parts, or it has a
// "/" and its last part has a file extension. URLs are not paths.
func isPath(w string) bool {
	w = strings.Trim(w, "\"'`()[]{},;:!?")
	w = strings.TrimSuffix(w, ".")
	if strings.Contains(w, "://") || !strings.Contains(w, "/") {
		return false // a URL, or no path
	}
	switch {
	case strings.HasPrefix(w, "/") && strings.Count(w, "/") >= 2,
		strings.HasPrefix(w, "~/"), strings.HasPrefix(w, "./"):
		return true
	}
	last := w[strings.LastIndexByte(w, '/')+1:]
	i := strings.LastIndexByte(last, '.')
	return i > 0 && i < len(last)-1 && len(last)-i <= 5
}
