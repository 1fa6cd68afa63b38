// Package searcheval measures the quality of search: labelled queries,
// the metrics (nDCG@10, Recall@10, MRR@10, precision at 1), and the public
// benchmarks of testdata/search-eval as records to index. The quality
// tests of packages search and semantic and "agentry search-eval" use it;
// the server does not.
package searcheval

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"runtime"
	"sync"

	"github.com/agentry/agentry/search"
)

// Cutoff is the rank cut-off of the metrics.
const Cutoff = 10

// Query is one labelled query: the records that answer it, by record
// id or by record name. The JSON Lines form is
// {"id": "q1", "query": "...", "relevant": ["name-or-id", ...]}.
type Query struct {
	ID       string   `json:"id"`
	Text     string   `json:"query"`
	Relevant []string `json:"relevant"`
}

// Result holds the mean metrics over the queries that have at least
// one relevant record, with binary relevance: nDCG@10, Recall@10,
// MRR@10 and precision at 1; and the mean number of results returned
// over all queries, those without a relevant record included.
type Result struct {
	Queries  int
	NDCG10   float64
	Recall10 float64
	MRR10    float64
	P1       float64
	Returned float64
}

func (r Result) String() string {
	return fmt.Sprintf("queries=%d nDCG@10=%.3f Recall@10=%.3f MRR@10=%.3f P@1=%.3f returned=%.2f",
		r.Queries, r.NDCG10, r.Recall10, r.MRR10, r.P1, r.Returned)
}

// ReadQueries reads labelled queries as JSON Lines; blank lines are
// skipped.
func ReadQueries(r io.Reader) ([]Query, error) {
	var out []Query
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), 16<<20)
	for line := 1; sc.Scan(); line++ {
		b := sc.Bytes()
		if len(b) == 0 || string(b) == "\r" {
			continue
		}
		var q Query
		if err := json.Unmarshal(b, &q); err != nil {
			return nil, fmt.Errorf("line %d: %w", line, err)
		}
		out = append(out, q)
	}
	return out, sc.Err()
}

// Evaluate runs the queries against one registry of ix, exactly as
// SearchRegistryRecords would (maxResults 10, no filter), and returns the
// mean metrics. A hit is relevant when its record id or name is listed.
func Evaluate(ctx context.Context, ix *search.Index, registryID string, queries []Query) (Result, error) {
	rank := func(ctx context.Context, text string) ([]Ranked, error) {
		hits, err := ix.Search(ctx, search.Query{RegistryID: registryID, Text: text, MaxResults: Cutoff})
		out := make([]Ranked, len(hits))
		for i, h := range hits {
			out[i] = Ranked{ID: h.RecordID, Name: h.Revision().Name}
		}
		return out, err
	}
	return EvaluateRanking(ctx, queries, rank, runtime.GOMAXPROCS(0))
}

// Ranked is one record a search returned.
type Ranked struct{ ID, Name string }

// Ranking searches for one query's text and returns what was found, best
// first: the index in process, or a registry over the network.
type Ranking func(ctx context.Context, text string) ([]Ranked, error)

// EvaluateRanking scores rank on the queries with the given number of
// concurrent searches. A hit is relevant when its record id or name is
// listed; queries without relevant records count only in Returned.
func EvaluateRanking(ctx context.Context, queries []Query, rank Ranking, workers int) (Result, error) {
	type metrics struct{ ndcg, recall, rr, p1 float64 }
	per := make([]metrics, len(queries))
	counted := make([]bool, len(queries))
	returned := make([]int, len(queries))
	errs := make([]error, len(queries))
	var wg sync.WaitGroup
	workers = min(max(1, workers), max(1, len(queries)))
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < len(queries); i += workers {
				q := queries[i]
				relevant := map[string]bool{}
				for _, r := range q.Relevant {
					relevant[r] = true
				}
				hits, err := rank(ctx, q.Text)
				if err != nil {
					errs[i] = fmt.Errorf("query %q: %w", q.ID, err)
					return
				}
				returned[i] = len(hits)
				if len(relevant) == 0 {
					continue
				}
				var m metrics
				found := map[string]bool{}
				for r, h := range hits[:min(len(hits), Cutoff)] {
					key := h.ID
					if !relevant[key] {
						key = h.Name
					}
					if !relevant[key] || found[key] {
						continue
					}
					found[key] = true
					m.ndcg += 1 / math.Log2(float64(r+2))
					if m.rr == 0 {
						m.rr = 1 / float64(r+1)
					}
					if r == 0 {
						m.p1 = 1
					}
				}
				var ideal float64
				for i := range min(len(relevant), Cutoff) {
					ideal += 1 / math.Log2(float64(i+2))
				}
				m.ndcg /= ideal
				m.recall = float64(len(found)) / float64(len(relevant))
				per[i], counted[i] = m, true
			}
		}()
	}
	wg.Wait()
	var res Result
	for i, m := range per {
		if errs[i] != nil {
			return Result{}, errs[i]
		}
		res.Returned += float64(returned[i])
		if !counted[i] {
			continue
		}
		res.Queries++
		res.NDCG10 += m.ndcg
		res.Recall10 += m.recall
		res.MRR10 += m.rr
		res.P1 += m.p1
	}
	if res.Queries > 0 {
		n := float64(res.Queries)
		res.NDCG10, res.Recall10, res.MRR10, res.P1 = res.NDCG10/n, res.Recall10/n, res.MRR10/n, res.P1/n
	}
	if len(queries) > 0 {
		res.Returned /= float64(len(queries))
	}
	return res, nil
}
