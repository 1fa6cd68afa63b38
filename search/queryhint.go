package search

import "strings"

// A task that names a file path ("save the report to
// /root/markdown/report.md") needs a server that reads or writes files,
// though it rarely says so in words: the path itself is the request. A
// query with a path is searched as if it also said pathHint, as a
// sentence of its own (docs/search-quality.md, "Session 5").
const pathHint = "files"

// hasPath reports whether text has a file system path: a word that
// starts with "/", "~/" or "./" and has at least two parts, or a word
// with a "/" whose last part has a file extension.
func hasPath(text string) bool {
	if !strings.Contains(text, "/") { // most queries: nothing to split
		return false
	}
	for _, w := range strings.Fields(text) {
		w = strings.Trim(w, "\"'`()[]{},;:!?")
		w = strings.TrimSuffix(w, ".")
		if strings.Contains(w, "://") || !strings.Contains(w, "/") {
			continue // a URL, or no path
		}
		switch {
		case strings.HasPrefix(w, "/") && strings.Count(w, "/") >= 2,
			strings.HasPrefix(w, "~/"), strings.HasPrefix(w, "./"):
			return true
		}
		last := w[strings.LastIndexByte(w, '/')+1:]
		if i := strings.LastIndexByte(last, '.'); i > 0 && i < len(last)-1 && len(last)-i <= 5 {
			return true
		}
	}
	return false
}
