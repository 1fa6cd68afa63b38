package searcheval

import (
	"context"
	"math"
	"strings"
	"testing"

	"github.com/agentry/agentry/registry"
	"github.com/agentry/agentry/search"
)

func TestEvaluateMetrics(t *testing.T) {
	ix := search.NewIndex(search.Options{})
	server := func(name string) map[string]any { return map[string]any{"name": name, "version": "1.0.0"} }
	ix.PutMany([]registry.Record{
		Record("aaa000000001", "apple", "apple fruit", server("apple"), nil),
		Record("bbb000000001", "banana", "banana fruit", server("banana"), nil),
		Record("ccc000000001", "cherry", "cherry", server("cherry"), nil),
	})
	queries, err := ReadQueries(strings.NewReader(`{"id": "1", "query": "apple", "relevant": ["aaa000000001"]}

{"id": "2", "query": "fruit banana", "relevant": ["banana", "cherry"]}
{"id": "3", "query": "nothing", "relevant": []}
`))
	if err != nil || len(queries) != 3 {
		t.Fatalf("ReadQueries: %v, %d", err, len(queries))
	}
	res, err := Evaluate(context.Background(), ix, RegistryID, queries)
	if err != nil {
		t.Fatal(err)
	}
	// Query 1: hit at rank 1. Query 2: banana at rank 1, cherry not found:
	// DCG 1, ideal 1 + 1/log2(3); recall 1/2.
	ndcg2 := 1 / (1 + 1/math.Log2(3))
	want := Result{Queries: 2, NDCG10: (1 + ndcg2) / 2, Recall10: 0.75, MRR10: 1, P1: 1}
	// Returned counts every query: 1 (apple), 2 (banana, apple), 0.
	want.Returned = 1
	if res.Queries != want.Queries || math.Abs(res.NDCG10-want.NDCG10) > 1e-9 || res.Recall10 != want.Recall10 || res.MRR10 != want.MRR10 || res.P1 != want.P1 || res.Returned != want.Returned {
		t.Errorf("Evaluate = %+v, want %+v", res, want)
	}
	if _, err := ReadQueries(strings.NewReader("{bad")); err == nil || !strings.Contains(err.Error(), "line 1") {
		t.Errorf("bad line: %v", err)
	}
}
