package search_test

import (
	"context"
	"flag"
	"fmt"
	"hash/fnv"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/agentry/agentry/internal/searcheval"
	"github.com/agentry/agentry/search"
	"github.com/agentry/agentry/semantic"
)

var (
	rerankTrain = flag.Bool("rerank-train", false, "train and measure the re-ranker (TestTrainReranker)")
	rerankOnly  = flag.String("rerank-only", "", "run only TestTrainReranker's variants whose name contains this")
	rerankDepth = flag.Int("rerank-depth", search.RerankDepth, "fused records kept per query for TestTrainReranker's variants")
)

// rrTruncate returns the queries with their first n candidates, features
// passed through f when it is not nil.
func rrTruncate(qs []rrQuery, n int, f func([]float32) []float32) []rrQuery {
	out := make([]rrQuery, len(qs))
	for i, q := range qs {
		k := min(n, len(q.ids))
		q.ids, q.names, q.relevant, q.feats = q.ids[:k], q.names[:k], q.relevant[:k], q.feats[:k]
		if f != nil {
			fs := make([][]float32, k)
			for j, x := range q.feats {
				fs[j] = f(slices.Clone(x))
			}
			q.feats = fs
		}
		out[i] = q
	}
	return out
}

// rrQuery is one query's fused candidates with their features and
// whether each is relevant.
type rrQuery struct {
	text     string
	group    string // what the folds split by: the query's first relevant record
	ids      []string
	names    []string
	feats    [][]float32
	relevant []bool
}

// rrCandidates searches every query of s once, with the re-ranker off,
// and keeps the fused ranking's first RerankDepth records.
func rrCandidates(t *testing.T, s searcheval.Set, opts search.Options, depth int) []rrQuery {
	ix := search.NewIndex(opts)
	ix.PutMany(s.Records)
	names := map[string]string{}
	for _, r := range s.Records {
		names[r.ID] = r.Approved.Name
	}
	var out []rrQuery
	for _, q := range s.Queries {
		ids, feats := search.RerankCandidates(ix, searcheval.RegistryID, q.Text, depth)
		rq := rrQuery{text: q.Text, ids: ids, feats: feats}
		if len(q.Relevant) > 0 {
			rq.group = q.Relevant[0]
		}
		for _, id := range ids {
			rq.names = append(rq.names, names[id])
			rq.relevant = append(rq.relevant, slices.Contains(q.Relevant, id) || slices.Contains(q.Relevant, names[id]))
		}
		out = append(out, rq)
	}
	return out
}

// rrScore is the linear model's score of a candidate.
func rrScore(w []float64, x []float32) float64 {
	var v float64
	for j, f := range x {
		v += w[j] * float64(f)
	}
	return v
}

// rrOrder returns the candidates' indexes, best first: by score (ties in
// fused order), or in fused order when score is nil.
func rrOrder(q rrQuery, score func([]float32) float64) []int {
	idx := make([]int, len(q.ids))
	for i := range idx {
		idx[i] = i
	}
	if score != nil {
		s := make([]float64, len(idx))
		for i := range idx {
			s[i] = score(q.feats[i])
		}
		slices.SortStableFunc(idx, func(a, b int) int {
			switch {
			case s[a] > s[b]:
				return -1
			case s[a] < s[b]:
				return 1
			}
			return 0
		})
	}
	return idx
}

// float32Round rounds as the search's float32 score does, so that ties
// are ties here too.
func float32Round(v float64) float64 { return float64(float32(v)) }

// rrEvaluate scores the re-ranked candidates (first 10, no cut-off) on
// the queries of s whose index keep says to keep.
func rrEvaluate(t *testing.T, s searcheval.Set, qs []rrQuery, w []float64, keep func(i int) bool) searcheval.Result {
	var score func([]float32) float64
	if w != nil {
		score = func(x []float32) float64 { return float32Round(rrScore(w, x)) }
	}
	return rrEvaluateBy(t, s, qs, score, keep)
}

// rrEvaluateBy is rrEvaluate for any score.
func rrEvaluateBy(t *testing.T, s searcheval.Set, qs []rrQuery, score func([]float32) float64, keep func(i int) bool) searcheval.Result {
	lists := map[string][]searcheval.Ranked{}
	var queries []searcheval.Query
	for i, q := range qs {
		if !keep(i) {
			continue
		}
		queries = append(queries, s.Queries[i])
		var r []searcheval.Ranked
		for _, j := range rrOrder(q, score)[:min(10, len(q.ids))] {
			r = append(r, searcheval.Ranked{ID: q.ids[j], Name: q.names[j]})
		}
		lists[q.text] = r
	}
	res, err := searcheval.EvaluateRanking(context.Background(), queries, func(_ context.Context, text string) ([]searcheval.Ranked, error) {
		return lists[text], nil
	}, 1)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// rrPart is a training set: its queries that keep keeps. Each part
// weighs the same in the loss, whatever its number of queries.
type rrPart struct {
	qs   []rrQuery
	keep func(i int) bool
}

// rrTrain fits the weights by pairwise logistic regression: every
// relevant candidate of a query against every other, the pairs of a
// query weighing the same in all, with L2 regularisation, by full-batch
// gradient descent on standardised features from zero. Features off in
// use get no weight. It is deterministic.
//
// With top set, a pair weighs as much as swapping its two records in the
// fused ranking would change the DCG (LambdaRank's weights), so that
// pairs near the top count more.
func rrTrain(parts []rrPart, use []bool, lambda float64, iters int, top bool) []float64 {
	nf := len(use)
	mean, sd := make([]float64, nf), make([]float64, nf)
	count := 0
	for _, p := range parts {
		for i, q := range p.qs {
			if !p.keep(i) {
				continue
			}
			for _, x := range q.feats {
				for j, v := range x {
					mean[j] += float64(v)
					sd[j] += float64(v) * float64(v)
				}
				count++
			}
		}
	}
	for j := range mean {
		mean[j] /= float64(count)
		sd[j] = math.Sqrt(max(sd[j]/float64(count)-mean[j]*mean[j], 1e-12))
	}
	type pair struct {
		d []float64 // standardised features of the relevant less the other's
		w float64
	}
	var pairs []pair
	for _, p := range parts {
		queries := 0
		for i, q := range p.qs {
			if p.keep(i) && slices.Contains(q.relevant, true) {
				queries++
			}
		}
		for i, q := range p.qs {
			if !p.keep(i) || !slices.Contains(q.relevant, true) {
				continue
			}
			var ps []pair
			for a := range q.ids {
				if !q.relevant[a] {
					continue
				}
				for b := range q.ids {
					if q.relevant[b] {
						continue
					}
					d := make([]float64, nf)
					for j := range d {
						if use[j] {
							d[j] = (float64(q.feats[a][j]) - float64(q.feats[b][j])) / sd[j]
						}
					}
					w := 1.0
					if top {
						w = math.Abs(1/math.Log2(float64(a+2)) - 1/math.Log2(float64(b+2)))
					}
					ps = append(ps, pair{d: d, w: w})
				}
			}
			var sum float64
			for _, p := range ps {
				sum += p.w
			}
			for k := range ps {
				ps[k].w /= sum * float64(queries*len(parts))
			}
			pairs = append(pairs, ps...)
		}
	}
	w := make([]float64, nf)
	grad := make([]float64, nf)
	const rate = 0.5
	for range iters {
		clear(grad)
		for _, p := range pairs {
			var z float64
			for j, v := range p.d {
				z += w[j] * v
			}
			g := -p.w / (1 + math.Exp(z)) // d/dz of log(1 + e^-z)
			for j, v := range p.d {
				grad[j] += g * v
			}
		}
		for j := range w {
			w[j] -= rate * (grad[j] + lambda*w[j])
		}
	}
	raw := make([]float64, nf)
	for j := range w {
		raw[j] = w[j] / sd[j]
	}
	return raw
}

// rrTextCosines appends to each candidate's features its cosine with the
// query of its name alone and of its description alone: features the
// index does not have (a second and third vector per record), measured
// here to see whether they would be worth having.
func rrTextCosines(t *testing.T, m *semantic.Model, s searcheval.Set, qs []rrQuery) {
	ctx := context.Background()
	unit := func(text string) []float32 {
		vs, err := m.Embed(ctx, []string{text})
		if err != nil {
			t.Fatal(err)
		}
		v := vs[0]
		var n float64
		for _, x := range v {
			n += float64(x) * float64(x)
		}
		if n == 0 {
			return nil
		}
		out := make([]float32, len(v))
		for i, x := range v {
			out[i] = x / float32(math.Sqrt(n))
		}
		return out
	}
	cos := func(a, b []float32) float32 {
		if a == nil || b == nil {
			return 0
		}
		var d float32
		for i := range a {
			d += a[i] * b[i]
		}
		return d
	}
	names, descs := map[string][]float32{}, map[string][]float32{}
	for _, r := range s.Records {
		names[r.ID], descs[r.ID] = unit(r.Approved.Name), unit(r.Approved.Description)
	}
	for qi := range qs {
		q := &qs[qi]
		qv := unit(q.text)
		for j, id := range q.ids {
			q.feats[j] = append(q.feats[j], cos(qv, names[id]), cos(qv, descs[id]))
		}
	}
}

// rrToolName is the name of the record id in s.
func rrToolName(t *testing.T, s searcheval.Set, id string) string {
	for _, r := range s.Records {
		if r.ID == id {
			return r.Approved.Name
		}
	}
	t.Fatalf("no record %s", id)
	return ""
}

// rrFold is a record's fold, by a hash of its id: the queries of one
// fifth of the tools are held out at a time.
func rrFold(group string) int {
	h := fnv.New32a()
	h.Write([]byte(group))
	return int(h.Sum32() % 5)
}

var rrFeatureNames = []string{"fused", "lexShare", "lexCov", "sem", "semGap", "idfShare", "rareShare",
	"nameScore", "toolScore", "descScore", "nameWords", "length", "lexRank", "semRank",
	"nameCos", "descCos"} // the last two computed by the test alone (rrTextCosines)

// TestTrainReranker prints the error analysis of the fused ranking on
// MetaTool (single-tool queries), trains the re-ranker with five folds
// split by tool, and measures it held out and on every set:
//
//	go test ./search/ -run TestTrainReranker -rerank-train -v
func TestTrainReranker(t *testing.T) {
	if !*rerankTrain {
		t.Skip("run with -rerank-train")
	}
	if len(rrFeatureNames) != search.NumRerankFeatures+2 {
		t.Fatalf("%d feature names for %d features", len(rrFeatureNames), search.NumRerankFeatures)
	}
	m := builtinModel(t)
	single, multi, err := searcheval.LoadMetaTool(evalDir)
	if err != nil {
		t.Fatal(err)
	}
	servers, tools, err := searcheval.LoadLiveMCPBench(evalDir, true)
	if err != nil {
		t.Fatal(err)
	}
	para, err := searcheval.LoadParaphrase(evalDir)
	if err != nil {
		t.Fatal(err)
	}
	user, err := searcheval.LoadUserReported(evalDir)
	if err != nil {
		t.Fatal(err)
	}
	sets := []searcheval.Set{single, multi, servers, tools, para, user}
	opts := search.Options{Embedder: m, Fusion: search.Fusion{Method: search.FusionConvex}}
	allCands := make([][]rrQuery, len(sets))
	for i, s := range sets {
		allCands[i] = rrCandidates(t, s, opts, *rerankDepth)
		rrTextCosines(t, m, s, allCands[i])
	}
	mt := rrTruncate(allCands[0], search.RerankDepth, nil)
	all := func(int) bool { return true }

	// The error analysis: what ranks above the right tool when it misses
	// the first 10.
	shown := 0
	if testing.Verbose() && false {
		shown = 20
	}
	feat := func(x []float32) string {
		var b strings.Builder
		for j, v := range x {
			fmt.Fprintf(&b, " %s=%.2f", rrFeatureNames[j], v)
		}
		return b.String()
	}
	missing, outside := 0, 0
	for _, q := range mt {
		r := slices.Index(q.relevant, true)
		if r >= 0 && r < 10 {
			continue
		}
		missing++
		if r < 0 {
			outside++
		}
		if shown < 20 {
			shown++
			fmt.Printf("\n%q -> %s at %d\n", q.text, q.group, r+1)
			if r >= 0 {
				fmt.Printf("  right %-28s%s\n", q.names[r], feat(q.feats[r]))
			}
			for j := range min(3, len(q.ids)) {
				fmt.Printf("  %d     %-28s%s\n", j+1, q.names[j], feat(q.feats[j]))
			}
		}
	}
	type toolMiss struct {
		tool             string
		queries, missing int
	}
	var byTool []toolMiss
	for _, q := range mt {
		k := slices.IndexFunc(byTool, func(m toolMiss) bool { return m.tool == q.group })
		if k < 0 {
			byTool = append(byTool, toolMiss{tool: q.group})
			k = len(byTool) - 1
		}
		byTool[k].queries++
		if r := slices.Index(q.relevant, true); r < 0 || r >= 10 {
			byTool[k].missing++
		}
	}
	slices.SortStableFunc(byTool, func(a, b toolMiss) int { return b.missing - a.missing })
	fmt.Println("\ntools with the most queries missing the first 10:")
	for _, m := range byTool[:12] {
		fmt.Printf("  %s %-28s %4d of %4d\n", m.tool, rrToolName(t, single, m.tool), m.missing, m.queries)
	}
	fmt.Printf("\nMetaTool single: %d of %d queries miss the first 10, %d of them the first %d\n\n", missing, len(mt), outside, search.RerankDepth)

	folds := func(qs []rrQuery, fold int, held bool) func(int) bool {
		return func(i int) bool { return (rrFold(qs[i].group) == fold) == held }
	}
	use := func(off ...int) []bool {
		u := make([]bool, search.NumRerankFeatures+2)
		for j := range u {
			u[j] = !slices.Contains(off, j)
		}
		return u
	}
	for _, v := range []struct {
		name       string
		depth      int
		feat       func([]float32) []float32
		use        []bool
		withServer bool // LiveMCPBench server is a second training set
		top        bool // LambdaRank's pair weights
	}{
		{"N=30, all features", 30, nil, use(14, 15), false, false},
		{"N=30, all features, + name and description cosines", 30, nil, use(), false, false},
		{"N=30, no length, + name and description cosines", 30, nil, use(11), false, false},
		{"N=30, + name cosine only", 30, nil, use(15), false, false},
		{"N=30, + name and description cosines, no tool score, + LiveMCPBench server", 30, nil, use(8), true, false},
		{"N=30, no length, + name and description cosines, no tool score, + LiveMCPBench server", 30, nil, use(8, 11), true, false},
	} {
		if !strings.Contains(v.name, *rerankOnly) {
			continue
		}
		const lambda, iters = 0.01, 200
		cands := make([][]rrQuery, len(sets))
		for i := range sets {
			cands[i] = rrTruncate(allCands[i], v.depth, v.feat)
		}
		mt := cands[0]
		// Five folds split by tool (server): the index holds every record,
		// the weights see the queries of four fifths of them.
		var ndcg, recall, sNDCG, sRecall float64
		for fold := range 5 {
			parts := []rrPart{{mt, folds(mt, fold, false)}}
			if v.withServer {
				parts = append(parts, rrPart{cands[2], folds(cands[2], fold, false)})
			}
			w := rrTrain(parts, v.use, lambda, iters, v.top)
			res := rrEvaluate(t, sets[0], mt, w, folds(mt, fold, true))
			ndcg += res.NDCG10 / 5
			recall += res.Recall10 / 5
			if v.withServer {
				res := rrEvaluate(t, sets[2], cands[2], w, folds(cands[2], fold, true))
				sNDCG += res.NDCG10 / 5
				sRecall += res.Recall10 / 5
			}
		}
		parts := []rrPart{{mt, all}}
		if v.withServer {
			parts = append(parts, rrPart{cands[2], all})
		}
		w := rrTrain(parts, v.use, lambda, iters, v.top)
		if v.name == "N=30, all features" {
			// The frozen weights are these, to the digits printed.
			for j, x := range search.RerankWeights()[:search.NumRerankFeatures] {
				if math.Abs(x-w[j]) > 1e-4 {
					t.Errorf("weight of %s: trained %.4f, frozen %.4f", rrFeatureNames[j], w[j], x)
				}
			}
		}
		fmt.Printf("%s: MetaTool single held out (mean of 5 folds by tool) %.3f / %.3f", v.name, ndcg, recall)
		if v.withServer {
			fmt.Printf("; LiveMCPBench server held out %.3f / %.3f", sNDCG, sRecall)
		}
		fmt.Printf("\n  weights:")
		for j, x := range w {
			fmt.Printf(" %s=%.4f", rrFeatureNames[j], x)
		}
		fmt.Println()
		for i, s := range sets {
			base := rrEvaluate(t, s, cands[i], nil, all)
			res := rrEvaluate(t, s, cands[i], w, all)
			fmt.Printf("  %-32s fused %.3f / %.3f  re-ranked %.3f / %.3f  (%+.3f)\n", s.Name, base.NDCG10, base.Recall10, res.NDCG10, res.Recall10, res.NDCG10-base.NDCG10)
		}
	}

	// The tree set, on the same 30 candidates.
	rows := func(qs []rrQuery, keep func(int) bool) (x [][]float32, y []bool) {
		for i, q := range qs {
			if keep(i) && slices.Contains(q.relevant, true) {
				x = append(x, q.feats...)
				y = append(y, q.relevant...)
			}
		}
		return x, y
	}
	for _, v := range []struct {
		name string
		use  []bool
	}{
		{"trees, all features", use(14, 15)},
		{"trees, no length", use(11, 14, 15)},
		{"trees, all features, + name and description cosines", use()},
	} {
		if !strings.Contains(v.name, *rerankOnly) {
			continue
		}
		const rounds, rate = 60, 0.2
		var ndcg, recall float64
		for fold := range 5 {
			x, y := rows(mt, folds(mt, fold, false))
			gb := gbTrain(x, y, v.use, rounds, rate)
			res := rrEvaluateBy(t, sets[0], mt, gb.score, folds(mt, fold, true))
			ndcg += res.NDCG10 / 5
			recall += res.Recall10 / 5
		}
		x, y := rows(mt, all)
		gb := gbTrain(x, y, v.use, rounds, rate)
		fmt.Printf("%s: MetaTool single held out (mean of 5 folds by tool) %.3f / %.3f\n", v.name, ndcg, recall)
		for i, s := range sets {
			cands := rrTruncate(allCands[i], 30, nil)
			base := rrEvaluate(t, s, cands, nil, all)
			res := rrEvaluateBy(t, s, cands, gb.score, all)
			fmt.Printf("  %-32s fused %.3f / %.3f  re-ranked %.3f / %.3f  (%+.3f)\n", s.Name, base.NDCG10, base.Recall10, res.NDCG10, res.Recall10, res.NDCG10-base.NDCG10)
		}
	}
}
