package search

import (
	"slices"
	"testing"
)

// A record that names a product is found by what the product is: Neon is
// a Postgres database, Playwright automates a browser.
func TestProductKnowledge(t *testing.T) {
	ix := NewIndex(Options{})
	ix.PutMany(fixture())
	ix.Put(mcp("neon00000001", "mcp-server-neon", "MCP server for interacting with Neon Management API and databases",
		`{"name":"io.github.neondatabase/mcp-server-neon","version":"1.0.0"}`, ""))
	ix.Put(mcp("play00000001", "mcp-playwright", "Playwright Model Context Protocol Server",
		`{"name":"io.github.executeautomation/mcp-playwright","version":"1.0.0"}`, ""))
	if got := search(t, ix, "postgres"); !slices.Contains(got, "neon00000001") {
		t.Errorf("postgres: %v, want the Neon server", got)
	}
	if got := search(t, ix, "take a screenshot"); len(got) == 0 || got[0] != "play00000001" {
		t.Errorf("take a screenshot: %v, want the Playwright server first", got)
	}
	// A word that only appears in the namespace of a name is no product.
	d := extract(&fixture()[0].Latest)
	for _, s := range d.fields[FieldDescription] {
		for _, p := range products {
			if s == p {
				t.Errorf("fixture record got knowledge: %q", d.fields[FieldDescription])
			}
		}
	}
}

// The cut-off leaves out a record that is neither close in meaning nor
// shares enough of the query's words; a negative MinSimilarity keeps it.
func TestFuseCutOff(t *testing.T) {
	lex := []scored{{slot: 1, score: 4}, {slot: 2, score: 0.05}}
	sem := []scored{{slot: 3, score: 0.5}, {slot: 2, score: 0.1}, {slot: 4, score: 0.12}}
	f := Fusion{Method: FusionConvex}.resolve()
	var got []uint32
	for _, c := range fuse(lex, sem, f, 10, 5, nil) {
		got = append(got, c.slot)
		if c.rel != c.score || c.rel < 0 || c.rel > 1 {
			t.Errorf("slot %d: relevance %v, score %v", c.slot, c.rel, c.score)
		}
	}
	// Slot 2: coverage 0.05/5 = 1 % and cosine 0.1; slot 4: cosine 0.12
	// and no lexical match.
	if slices.Sort(got); !slices.Equal(got, []uint32{1, 3}) {
		t.Errorf("with the cut-off: %v, want 1 and 3", got)
	}
	f.MinSimilarity = -1
	if n := len(fuse(lex, sem, f, 10, 5, nil)); n != 4 {
		t.Errorf("without the cut-off: %d records, want 4", n)
	}
}
