package semantic

import (
	"slices"
	"testing"

	"github.com/agentry/agentry/internal/searcheval"
	"github.com/agentry/agentry/search"
)

// paraphraseSet is the official MCP Registry seed (471 servers) searched
// with 33 requests written in other words than their targets': no query
// shares a content word (a token of the lexical leg) with the names and
// descriptions of the servers it should find, which this checks. Written
// for agentry and judged by hand; testdata/search-eval/paraphrase/README.md.
func paraphraseSet(t testing.TB) evalSet {
	set, err := searcheval.LoadParaphrase(evalDir)
	if err != nil {
		t.Fatal(err)
	}
	texts := map[string]string{}
	for _, r := range set.Records {
		texts[r.Approved.Name] = r.Approved.Name + " " + r.Approved.Description
	}
	for _, q := range set.Queries {
		words := search.Tokenize(q.Text)
		for _, r := range q.Relevant {
			for _, tok := range search.Tokenize(texts[r]) {
				if slices.Contains(words, tok) {
					t.Errorf("%s %q shares the word %q with %s", q.ID, q.Text, tok, r)
				}
			}
		}
	}
	return evalSet{set}
}

// TestParaphrase requires the hybrid default to beat the lexical leg on
// requests that share no words with their answers.
func TestParaphrase(t *testing.T) {
	set := paraphraseSet(t)
	if len(set.Queries) < 30 {
		t.Fatalf("%d paraphrase queries, want at least 30", len(set.Queries))
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
