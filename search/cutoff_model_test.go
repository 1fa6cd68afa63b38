package search_test

import (
	"context"
	"flag"
	"fmt"
	"testing"

	"github.com/agentry/agentry/internal/searcheval"
	"github.com/agentry/agentry/search"
)

var (
	calibrate      = flag.Bool("calibrate", false, "print the cut-off calibration sweep (TestCutOffCalibration)")
	calibrateSoft  = flag.Float64("calibrate-soft", 1e-6, "Fusion.SoftWeight while calibrating")
	calibrateFloor = flag.Float64("calibrate-floor", 0, "soft matching's floor while calibrating")
)

type featHit struct {
	r                searcheval.Ranked
	sem, lexCov, cov float32
}

// TestCutOffCalibration searches every evaluation set once without the
// cut-off, keeps each hit's features, and scores cut-off rules on them.
func TestCutOffCalibration(t *testing.T) {
	if !*calibrate {
		t.Skip("run with -calibrate")
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
	opts := search.Options{Embedder: m, Fusion: search.Fusion{Method: search.FusionConvex, MinSimilarity: -1, MinSoftCoverage: -1, SoftWeight: *calibrateSoft}, Ablation: search.Ablation{SoftFloor: *calibrateFloor}}
	ctx := context.Background()
	cached := make([]map[string][]featHit, len(sets))
	for i, s := range sets {
		ix := search.NewIndex(opts)
		ix.PutMany(s.Records)
		cached[i] = map[string][]featHit{}
		for _, q := range s.Queries {
			hits, err := ix.Search(ctx, search.Query{RegistryID: searcheval.RegistryID, Text: q.Text, MaxResults: 10})
			if err != nil {
				t.Fatal(err)
			}
			var fh []featHit
			for _, h := range hits {
				sem, lc, cov := search.HitFeatures(h)
				fh = append(fh, featHit{searcheval.Ranked{ID: h.RecordID, Name: h.Revision.Name}, sem, lc, cov})
			}
			cached[i][q.Text] = fh
		}
	}
	eval := func(weak func(h featHit) bool) []searcheval.Result {
		var out []searcheval.Result
		for i, s := range sets {
			rank := func(_ context.Context, text string) ([]searcheval.Ranked, error) {
				var r []searcheval.Ranked
				for _, h := range cached[i][text] {
					if weak(h) {
						break
					}
					r = append(r, h.r)
				}
				return r, nil
			}
			res, err := searcheval.EvaluateRanking(ctx, s.Queries, rank, 2)
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, res)
		}
		return out
	}
	ref := eval(func(featHit) bool { return false })
	row := func(name string, rs []searcheval.Result) {
		worst := 0.0
		line := "| " + name
		for i, r := range rs[:len(rs)-1] {
			worst = max(worst, ref[i].NDCG10-r.NDCG10)
			line += fmt.Sprintf(" | %.3f", r.NDCG10)
		}
		fmt.Printf("%s | %.2f | %.3f |\n", line, rs[len(rs)-1].Returned, worst)
	}
	fmt.Println("| rule | MetaTool single | multi | LiveMCP server | tool | paraphrase | user | no answer: results | worst drop |")
	row("none", ref)
	row("cos < .16 and coverage < .02 (session 4)", eval(func(h featHit) bool { return h.sem < 0.16 && h.lexCov < 0.02 }))
	// Best rule of each family within a drop of at most .01.
	type cand struct {
		fam  int
		name string
		weak func(featHit) bool
	}
	var cands []cand
	for c := 0.0; c <= 0.4; c += 0.02 {
		cands = append(cands, cand{0, fmt.Sprintf("soft < %.2f", c), func(h featHit) bool { return float64(h.cov) < c }})
		for s := 0.12; s <= 0.24; s += 0.02 {
			cands = append(cands, cand{1, fmt.Sprintf("(cos < %.2f and lex < .02) or soft < %.2f", s, c), func(h featHit) bool {
				return (float64(h.sem) < s && h.lexCov < 0.02) || float64(h.cov) < c
			}})
			cands = append(cands, cand{2, fmt.Sprintf("cos < %.2f and lex < .02 and soft < %.2f", s, c), func(h featHit) bool {
				return float64(h.sem) < s && h.lexCov < 0.02 && float64(h.cov) < c
			}})
			for _, a := range []float64{0.5, 1, 2} {
				cands = append(cands, cand{3 + int(a), fmt.Sprintf("cos + %.1f soft < %.2f (lex < .02)", a, s+a*c), func(h featHit) bool {
					return float64(h.sem)+a*float64(h.cov) < s+a*c && h.lexCov < 0.02
				}})
			}
		}
	}
	best := map[int]float64{}
	bestName := map[int]string{}
	bestRes := map[int][]searcheval.Result{}
	for _, c := range cands {
		rs := eval(c.weak)
		worst := 0.0
		for i := range rs[:len(rs)-1] {
			worst = max(worst, ref[i].NDCG10-rs[i].NDCG10)
		}
		fam := c.fam
		if worst <= 0.01 {
			if v, ok := best[fam]; !ok || rs[len(rs)-1].Returned < v {
				best[fam], bestName[fam], bestRes[fam] = rs[len(rs)-1].Returned, c.name, rs
			}
		}
	}
	for fam := range best {
		row(bestName[fam], bestRes[fam])
	}
}
