package semantic

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/agentry/agentry/search"
)

// paraphraseSet is the official MCP Registry seed (471 servers) searched
// with 33 requests written in other words than their targets': no query
// shares a content word (a token of the lexical leg) with the names and
// descriptions of the servers it should find. Written for agentry and
// judged by hand; testdata/search-eval/paraphrase/README.md.
func paraphraseSet(t testing.TB) evalSet {
	type server struct{ Name, Description string }
	b, err := os.ReadFile(filepath.Join(evalDir, "mcp-registry-seed", "seed_2025_05_16.json"))
	if err != nil {
		t.Fatal(err)
	}
	var seed []server
	if err := json.Unmarshal(b, &seed); err != nil {
		t.Fatal(err)
	}
	set := evalSet{name: "paraphrase (MCP Registry seed)"}
	texts := map[string]string{}
	for i, s := range seed {
		server := map[string]any{"name": s.Name, "description": s.Description, "version": "1.0.0"}
		set.records = append(set.records, mcpRecord(recordID("seed", i), recordName(s.Name), s.Description, server, nil))
		texts[recordName(s.Name)] = s.Name + " " + s.Description
	}
	set.queries = readJSONL[search.EvalQuery](t, filepath.Join(evalDir, "paraphrase", "seed_paraphrase.jsonl"))
	for _, q := range set.queries {
		words := search.Tokenize(q.Text)
		for _, r := range q.Relevant {
			text, ok := texts[r]
			if !ok {
				t.Fatalf("%s: relevant record %q is not in the seed", q.ID, r)
			}
			for _, tok := range search.Tokenize(text) {
				if slices.Contains(words, tok) {
					t.Errorf("%s %q shares the word %q with %s", q.ID, q.Text, tok, r)
				}
			}
		}
	}
	return set
}

// TestParaphrase requires the hybrid default to beat the lexical leg on
// requests that share no words with their answers.
func TestParaphrase(t *testing.T) {
	set := paraphraseSet(t)
	if len(set.queries) < 30 {
		t.Fatalf("%d paraphrase queries, want at least 30", len(set.queries))
	}
	m, err := Default()
	if err != nil {
		t.Fatal(err)
	}
	lexical := set.run(t, search.Options{})
	hybrid := set.run(t, search.Options{Embedder: m, Fusion: search.Fusion{Method: search.FusionConvex}})
	rrf := set.run(t, search.Options{Embedder: m, Fusion: search.Fusion{Method: search.FusionRRF}})
	t.Logf("lexical only:       %v", lexical)
	t.Logf("hybrid, convex 0.45: %v", hybrid)
	t.Logf("hybrid, RRF:        %v", rrf)
	if hybrid.NDCG10 <= lexical.NDCG10 || hybrid.Recall10 <= lexical.Recall10 {
		t.Fatalf("the hybrid (nDCG %.3f, Recall %.3f) does not beat lexical only (nDCG %.3f, Recall %.3f)",
			hybrid.NDCG10, hybrid.Recall10, lexical.NDCG10, lexical.Recall10)
	}
}
