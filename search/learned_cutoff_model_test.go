package search_test

import (
	"context"
	"flag"
	"fmt"
	"hash/fnv"
	"math"
	"slices"
	"sort"
	"testing"

	"github.com/agentry/agentry/internal/searcheval"
	"github.com/agentry/agentry/registry"
	"github.com/agentry/agentry/search"
)

var (
	learn       = flag.Bool("learn", false, "train the learned cut-off and print its trade-off curve (TestLearnedCutOff)")
	learnDedup  = flag.Bool("learn-dedup", false, "with -learn: remove each removed tool's nearest duplicate too")
	learnCross  = flag.Bool("learn-cross", false, "with -learn: add out-of-domain lists (each set's requests in the other's registry) as \"no answer\"")
	learnOracle = flag.Bool("learn-oracle", false, "with -learn: also fit on the real sets, no-answer included (a diagnostic upper bound, never shipped)")
)

// list is one search's result list before any cut-off: its hits and the
// features of the whole list.
type list struct {
	hits []featHit
	feat []float32
}

// searchLists searches each text in ix without the cut-off and keeps its
// list; sequential, since ObserveLists reports through one variable.
func searchLists(t *testing.T, ix *search.Index, texts []string) []list {
	t.Helper()
	var cur []float32
	search.ObserveLists(ix, func(_ string, f []float32) { cur = slices.Clone(f) })
	defer search.ObserveLists(ix, nil)
	out := make([]list, len(texts))
	for i, text := range texts {
		cur = nil
		hits, err := ix.Search(context.Background(), search.Query{RegistryID: searcheval.RegistryID, Text: text, MaxResults: 10})
		if err != nil {
			t.Fatal(err)
		}
		var fh []featHit
		for _, h := range hits {
			sem, lc := search.HitFeatures(h)
			fh = append(fh, featHit{searcheval.Ranked{ID: h.RecordID, Name: h.Revision().Name}, sem, lc})
		}
		out[i] = list{fh, cur}
	}
	return out
}

// example is one synthetic list: its features, whether its answer had
// been removed, its weight, and the fold of its query's answer.
type example struct {
	x      []float32
	none   bool
	weight float64
	fold   int
}

func foldOf(id string) int {
	h := fnv.New32a()
	h.Write([]byte(id))
	return int(h.Sum32() % 2)
}

// logistic is a logistic regression on standardized features.
type logistic struct {
	w    []float64
	b    float64
	mean []float64
	std  []float64
}

func (m *logistic) score(x []float32) float64 {
	if x == nil {
		return 0 // no list features: a lexical-only list
	}
	z := m.b
	for j, v := range x {
		z += m.w[j] * (float64(v) - m.mean[j]) / m.std[j]
	}
	return 1 / (1 + math.Exp(-z))
}

// trainLogistic fits by full-batch gradient descent from zero: the same
// examples give the same weights.
func trainLogistic(ex []example, l2 float64, iters int) *logistic {
	d := len(ex[0].x)
	m := &logistic{w: make([]float64, d), mean: make([]float64, d), std: make([]float64, d)}
	var wsum float64
	for _, e := range ex {
		wsum += e.weight
		for j, v := range e.x {
			m.mean[j] += e.weight * float64(v)
		}
	}
	for j := range m.mean {
		m.mean[j] /= wsum
	}
	for _, e := range ex {
		for j, v := range e.x {
			dv := float64(v) - m.mean[j]
			m.std[j] += e.weight * dv * dv
		}
	}
	for j := range m.std {
		m.std[j] = math.Sqrt(m.std[j]/wsum) + 1e-6
	}
	xs := make([][]float64, len(ex))
	for i, e := range ex {
		xs[i] = make([]float64, d)
		for j, v := range e.x {
			xs[i][j] = (float64(v) - m.mean[j]) / m.std[j]
		}
	}
	gw := make([]float64, d)
	for range iters {
		clear(gw)
		gb := 0.0
		for i, e := range ex {
			z := m.b
			for j, v := range xs[i] {
				z += m.w[j] * v
			}
			y := 0.0
			if e.none {
				y = 1
			}
			g := e.weight * (1/(1+math.Exp(-z)) - y)
			gb += g
			for j, v := range xs[i] {
				gw[j] += g * v
			}
		}
		for j := range m.w {
			m.w[j] -= 0.5 * (gw[j]/wsum + l2*m.w[j])
		}
		m.b -= 0.5 * gb / wsum
	}
	return m
}

// TestLearnedCutOff builds synthetic lists with and without their answer
// (MetaTool's single-tool queries and LiveMCPBench's server-level tasks,
// searched with the labelled records removed and present), trains a
// logistic regression on them to tell the two apart, and prints the
// trade-off of rules that cut a list when the model says "no answer",
// measured on the real evaluation sets, the no-answer set never used for
// training or choosing.
func TestLearnedCutOff(t *testing.T) {
	if !*learn {
		t.Skip("run with -learn")
	}
	m := builtinModel(t)
	dir := evalDir
	single, multi, err := searcheval.LoadMetaTool(dir)
	if err != nil {
		t.Fatal(err)
	}
	servers, tools, err := searcheval.LoadLiveMCPBench(dir, true)
	if err != nil {
		t.Fatal(err)
	}
	para, err := searcheval.LoadParaphrase(dir)
	if err != nil {
		t.Fatal(err)
	}
	user, err := searcheval.LoadUserReported(dir)
	if err != nil {
		t.Fatal(err)
	}
	none, err := searcheval.LoadNoAnswer(dir)
	if err != nil {
		t.Fatal(err)
	}
	sets := []searcheval.Set{single, multi, servers, tools, para, user, none}
	opts := search.Options{Embedder: m, Fusion: search.Fusion{Method: search.FusionConvex, MinSimilarity: -1}}
	texts := func(qs []searcheval.Query) []string {
		var out []string
		for _, q := range qs {
			out = append(out, q.Text)
		}
		return out
	}
	real := make([][]list, len(sets))
	for i, s := range sets {
		ix := search.NewIndex(opts)
		ix.PutMany(s.Records)
		real[i] = searchLists(t, ix, texts(s.Queries))
	}

	// Synthetic lists. MetaTool: every 4th single-tool query of each
	// tool, searched without that tool (label "none") and with it (the
	// real list). MetaTool has near-duplicate tools, so some "none" lists
	// still have an answer: label noise, kept.
	var ex []example
	byTool := map[string][]int{}
	for qi, q := range single.Queries {
		byTool[q.Relevant[0]] = append(byTool[q.Relevant[0]], qi)
	}
	recOf := map[string]registry.Record{}
	for _, r := range single.Records {
		recOf[r.ID] = r
	}
	ixMT := search.NewIndex(opts)
	ixMT.PutMany(single.Records)
	toolIDs := make([]string, 0, len(byTool))
	for id := range byTool {
		toolIDs = append(toolIDs, id)
	}
	sort.Strings(toolIDs)
	var synthNone []list // the "none" lists, to measure rules on
	for _, id := range toolIDs {
		var qs []string
		var qis []int
		for j, qi := range byTool[id] {
			if j%4 == 0 {
				qs, qis = append(qs, single.Queries[qi].Text), append(qis, qi)
			}
		}
		ixMT.Remove(searcheval.RegistryID, id)
		gone := searchLists(t, ixMT, qs)
		if *learnDedup {
			// The nearest duplicate: the tool most often first without id.
			firsts := map[string]int{}
			dup := ""
			for _, l := range gone {
				if len(l.hits) > 0 {
					f := l.hits[0].r.ID
					firsts[f]++
					if dup == "" || firsts[f] > firsts[dup] || (firsts[f] == firsts[dup] && f < dup) {
						dup = f
					}
				}
			}
			if dup != "" {
				ixMT.Remove(searcheval.RegistryID, dup)
				gone = searchLists(t, ixMT, qs)
				ixMT.Put(recOf[dup])
			}
		}
		ixMT.Put(recOf[id])
		for j, l := range gone {
			if l.feat == nil || real[0][qis[j]].feat == nil {
				continue
			}
			ex = append(ex, example{l.feat, true, 1, foldOf(id)}, example{real[0][qis[j]].feat, false, 1, foldOf(id)})
			synthNone = append(synthNone, l)
		}
	}
	// LiveMCPBench: each server-level task without the servers it needs.
	srvOf := map[string]registry.Record{}
	for _, r := range servers.Records {
		srvOf[r.ID] = r
	}
	ixLM := search.NewIndex(opts)
	ixLM.PutMany(servers.Records)
	nMT := len(ex)
	for qi, q := range servers.Queries {
		for _, id := range q.Relevant {
			ixLM.Remove(searcheval.RegistryID, id)
		}
		gone := searchLists(t, ixLM, []string{q.Text})
		for _, id := range q.Relevant {
			ixLM.Put(srvOf[id])
		}
		if gone[0].feat == nil || real[2][qi].feat == nil {
			continue
		}
		// Weighted so that the 94 tasks count as much as a fifth of MetaTool's lists.
		w := float64(nMT) / 5 / float64(2*len(servers.Queries))
		ex = append(ex, example{gone[0].feat, true, w, -1}, example{real[2][qi].feat, false, w, -1})
		synthNone = append(synthNone, gone[0])
	}
	fmt.Printf("synthetic lists: %d MetaTool, %d LiveMCPBench\n", nMT, len(ex)-nMT)
	if *learnCross {
		// Out-of-domain requests: MetaTool's (every 20th) in LiveMCPBench's
		// registry and LiveMCPBench's tasks in MetaTool's, all labelled "no
		// answer" (some have one: noise), each group weighing as much as
		// a fifth of MetaTool's in-domain lists.
		var qs []string
		for qi, q := range single.Queries {
			if qi%20 == 0 {
				qs = append(qs, q.Text)
			}
		}
		cross := searchLists(t, ixLM, qs)
		cross2 := searchLists(t, ixMT, texts(servers.Queries))
		for _, group := range [][]list{cross, cross2} {
			w := float64(nMT) / 5 / float64(len(group))
			for _, l := range group {
				if l.feat != nil {
					ex = append(ex, example{l.feat, true, w, -1})
					synthNone = append(synthNone, l)
				}
			}
		}
		fmt.Printf("cross-registry lists: %d\n", len(cross)+len(cross2))
	}

	model := trainLogistic(ex, 1e-3, 1500)
	names := []string{"topSim", "sem1", "sem3", "sem10", "semLast", "semGap2", "semGap5", "topCov", "lexCov", "unknownShare", "rarestMatched", "lexMatched", "queryWords", "topInLex", "topInSem", "fusedGap", "fusedTop", "topFullCov", "lexFullCov", "sem1xUnknown"}
	for j := range model.w {
		fmt.Printf("%-14s w %+.3f  mean %.3f  std %.3f\n", names[j], model.w[j], model.mean[j], model.std[j])
	}
	fmt.Printf("bias %+.3f\n", model.b)
	// Training accuracy.
	acc := 0.0
	for _, e := range ex[:nMT] {
		if (model.score(e.x) > 0.5) == e.none {
			acc++
		}
	}
	fmt.Printf("MetaTool synthetic accuracy (in sample) %.3f\n", acc/float64(nMT))

	ctx := context.Background()
	// A rule: given a list and its no-answer probability p, how many of
	// its hits to keep (the per-record cut-off of session 4 applies too).
	type rule func(l list, p float64) int
	perHit := func(l list, keep int) int {
		if keep < 0 { // no cut-off at all
			return len(l.hits)
		}
		for j, h := range l.hits[:min(keep, len(l.hits))] {
			if h.sem < 0.16 && h.lexCov < 0.02 {
				return j
			}
		}
		return min(keep, len(l.hits))
	}
	eval := func(lists [][]list, scorer *logistic, r rule, only []func(int) bool) []searcheval.Result {
		var out []searcheval.Result
		for i, s := range sets {
			byText := map[string]list{}
			for qi, q := range s.Queries {
				byText[q.Text] = lists[i][qi]
			}
			qs := s.Queries
			if only != nil && only[i] != nil {
				qs = nil
				for qi, q := range s.Queries {
					if only[i](qi) {
						qs = append(qs, q)
					}
				}
			}
			rank := func(_ context.Context, text string) ([]searcheval.Ranked, error) {
				l := byText[text]
				n := perHit(l, r(l, scorer.score(l.feat)))
				var out []searcheval.Ranked
				for _, h := range l.hits[:n] {
					out = append(out, h.r)
				}
				return out, nil
			}
			res, err := searcheval.EvaluateRanking(ctx, qs, rank, 2)
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, res)
		}
		return out
	}
	synthMean := func(scorer *logistic, r rule) float64 {
		n := 0
		for _, l := range synthNone {
			n += perHit(l, r(l, scorer.score(l.feat)))
		}
		return float64(n) / float64(len(synthNone))
	}
	ref := eval(real, model, func(list, float64) int { return -1 }, nil)
	type cand struct {
		name string
		r    rule
	}
	sweep := func(title string, model *logistic) (best cand, found bool) {
		fmt.Println("### " + title)
		worstDrop := func(rs []searcheval.Result) float64 {
			w := 0.0
			for i := range rs[:5] {
				w = max(w, ref[i].NDCG10-rs[i].NDCG10)
			}
			return w
		}
		row := func(name string, rs []searcheval.Result, synth float64) {
			line := "| " + name
			for _, r := range rs[:6] {
				line += fmt.Sprintf(" | %.3f", r.NDCG10)
			}
			fmt.Printf("%s | %.2f | %.2f | %.3f |\n", line, synth, rs[6].Returned, worstDrop(rs))
		}
		fmt.Println("| rule | MetaTool single | multi | LiveMCP server | tool | paraphrase | user | synthetic none: results | no answer: results | worst drop |")
		row("no cut-off", ref, synthMean(model, func(list, float64) int { return -1 }))
		row("session 4 per-record cut alone", eval(real, model, func(list, float64) int { return 10 }, nil), synthMean(model, func(list, float64) int { return 10 }))
		weak := func(l list) int {
			if len(l.hits) == 0 {
				return 0
			}
			top := l.hits[0]
			if top.lexCov < 0.02 && top.sem < 0.24 {
				return 0
			}
			if top.lexCov < 0.02 && top.sem < 0.38 {
				return 2
			}
			return 10
		}
		def := func(l list, _ float64) int { return weak(l) }
		row("session 5 default (per-record cut, capWeak)", eval(real, model, def, nil), synthMean(model, def))
		var cands []cand
		grid := []float64{0.3, 0.4, 0.5, 0.55, 0.6, 0.65, 0.7, 0.75, 0.8, 0.85, 0.9, 0.95, 0.98, 0.99, 0.995, 0.999}
		for _, withWeak := range []bool{false, true} {
			for _, t0 := range grid {
				for m := 1; m <= 3; m++ {
					for _, t1 := range grid {
						if t1 > t0 {
							break
						}
						t0, t1, m, withWeak := t0, t1, m, withWeak
						name := fmt.Sprintf("none when p > %.2f, at most %d when p > %.2f", t0, m, t1)
						if withWeak {
							name += ", and capWeak"
						}
						cands = append(cands, cand{name, func(l list, p float64) int {
							k := 10
							if withWeak {
								k = weak(l)
							}
							switch {
							case p > t0:
								return 0
							case p > t1:
								return min(k, m)
							}
							return k
						}})
					}
				}
			}
		}
		type scoredRule struct {
			c     cand
			synth float64
			rs    []searcheval.Result
		}
		var ok, all []scoredRule
		for _, c := range cands {
			rs := eval(real, model, c.r, nil)
			all = append(all, scoredRule{c, 0, rs})
			if worstDrop(rs) <= 0.01 {
				ok = append(ok, scoredRule{c, synthMean(model, c.r), rs})
			}
		}
		// Chosen on the synthetic lists alone: the fewest results for them
		// within the budget; the no-answer set is only reported.
		sort.SliceStable(ok, func(i, j int) bool { return ok[i].synth < ok[j].synth })
		for _, s := range ok[:min(3, len(ok))] {
			row(s.c.name, s.rs, s.synth)
		}
		if len(ok) > 0 {
			best, found = ok[0].c, true
		}
		// The trade-off curve: for each worst drop, the fewest no-answer results.
		fmt.Println("trade-off (all candidates, best no-answer mean per worst-drop bucket):")
		buckets := map[int]scoredRule{}
		for _, s := range all {
			b := int(math.Ceil(worstDrop(s.rs) / 0.005))
			if o, seen := buckets[b]; !seen || s.rs[6].Returned < o.rs[6].Returned {
				buckets[b] = s
			}
		}
		keys := make([]int, 0, len(buckets))
		for b := range buckets {
			keys = append(keys, b)
		}
		sort.Ints(keys)
		for _, b := range keys[:min(8, len(keys))] {
			s := buckets[b]
			row(fmt.Sprintf("drop <= %.3f: %s", float64(b)*0.005, s.c.name), s.rs, synthMean(model, s.c.r))
		}
		return best, found
	}
	best, found := sweep("trained on the synthetic lists", model)
	// MetaTool held out by tool: models trained without one fold's tools,
	// the chosen rule measured on that fold's queries.
	if found {
		for f := range 2 {
			var train []example
			for _, e := range ex {
				if e.fold != f {
					train = append(train, e)
				}
			}
			fm := trainLogistic(train, 1e-3, 1500)
			only := []func(int) bool{func(qi int) bool { return foldOf(single.Queries[qi].Relevant[0]) == f }}
			only = append(only, make([]func(int) bool, len(sets)-1)...)
			noCut := eval(real, fm, func(list, float64) int { return -1 }, only)
			in := eval(real, model, best.r, only)
			out := eval(real, fm, best.r, only)
			fmt.Printf("MetaTool single, tools of fold %d (%d queries): no cut-off %.3f, in-sample model %.3f, held-out model %.3f; held-out model on the other sets: %.3f %.3f %.3f %.3f %.3f, no answer %.2f\n",
				f, noCut[0].Queries, noCut[0].NDCG10, in[0].NDCG10, out[0].NDCG10, out[1].NDCG10, out[2].NDCG10, out[3].NDCG10, out[4].NDCG10, out[5].NDCG10, out[6].Returned)
		}
	}
	// The separation the model reaches on the real lists that matter:
	// each no-answer list and each paraphrase list whose answer is found.
	for i, name := range map[int]string{4: "paraphrase", 6: "no answer"} {
		var ps []string
		for qi, l := range real[i] {
			found := i == 6
			for _, h := range l.hits {
				found = found || slices.Contains(sets[i].Queries[qi].Relevant, h.r.Name) || slices.Contains(sets[i].Queries[qi].Relevant, h.r.ID)
			}
			if found {
				ps = append(ps, fmt.Sprintf("%.2f", model.score(l.feat)))
			}
		}
		slices.Sort(ps)
		fmt.Printf("p(none) of %s lists (answer in the top 10): %v\n", name, ps)
	}
	if *learnOracle {
		var oex []example
		pos := 0.0
		for _, l := range real[6] {
			oex = append(oex, example{l.feat, true, 1, 0})
			pos++
		}
		// Each set weighs as much as the no-answer set, whatever its size.
		for i := range 6 {
			n := 0
			for _, l := range real[i] {
				if l.feat != nil {
					n++
				}
			}
			for _, l := range real[i] {
				if l.feat != nil {
					oex = append(oex, example{l.feat, false, pos / float64(n), 0})
				}
			}
		}
		sweep("DIAGNOSTIC: fit on the real sets, no-answer included (in sample)", trainLogistic(oex, 1e-3, 3000))
	}
	_ = multi
}
