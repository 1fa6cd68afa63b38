package semantic

import (
	"flag"
	"fmt"
	"strings"
	"testing"

	"github.com/agentry/agentry/search"
)

var softSweep = flag.String("soft-sweep", "", "print the soft-matching sweep: rerank or cut")

func TestSoftSweep(t *testing.T) {
	if *softSweep == "" {
		t.Skip("run with -soft-sweep")
	}
	m := qualityModelUnderTest(t)
	single, multi := metatoolSets(t)
	servers, tools := liveMCPSets(t)
	sets := []evalSet{single, multi, servers, tools, paraphraseSet(t), userReportedSet(t)}
	noAnswer := noAnswerSet(t)
	type variant struct {
		name string
		opts search.Options
	}
	base := func(w, floor float64, n int, minSoft float64, mode int) search.Options {
		return search.Options{Embedder: m, Fusion: search.Fusion{Method: search.FusionConvex, SoftWeight: w, SoftCandidates: n, MinSoftCoverage: minSoft},
			Ablation: search.Ablation{SoftFloor: floor, SoftCut: mode}}
	}
	var vs []variant
	vs = append(vs, variant{"off", base(-1, 0, 20, -1, 0)})
	switch *softSweep {
	case "rerank":
		for _, floor := range []float64{0, 0.3} {
			for _, w := range []float64{0.1, 0.2, 0.35, 0.5} {
				vs = append(vs, variant{fmt.Sprintf("w=%.2f floor=%.1f n=20", w, floor), base(w, floor, 20, -1, 0)})
			}
		}
	case "prf":
		for _, d := range []int{5, 10, 20} {
			for _, w := range []float64{0.2, 0.35, 0.5} {
				o := base(-1, 0, 20, -1, 0)
				o.Ablation.PRFWeight, o.Ablation.PRFDocs = w, d
				vs = append(vs, variant{fmt.Sprintf("prf w=%.2f docs=%d", w, d), o})
			}
		}
	case "path":
		for _, h := range []string{"files", "read and write files", "write files in directories", "file system: read, write and list files and directories"} {
			o := base(-1, 0, 20, -1, 0)
			o.Ablation.PathHint = h
			vs = append(vs, variant{fmt.Sprintf("path hint %q", h), o})
		}
	case "cut":
		for _, mode := range []int{1, 2, 3} {
			for _, c := range []float64{0.3, 0.4, 0.5, 0.6} {
				vs = append(vs, variant{fmt.Sprintf("mode=%d min=%.2f", mode, c), base(-1, 0, 20, c, mode)})
			}
		}
	}
	fmt.Println("| variant | MetaTool single | MetaTool multi | LiveMCPBench server | LiveMCPBench tool | paraphrase | user-reported | no answer: results |")
	fmt.Println("|---|---|---|---|---|---|---|---|")
	for _, v := range vs {
		var cells []string
		for _, s := range sets {
			r := s.run(t, v.opts)
			cells = append(cells, fmt.Sprintf("%.3f / %.3f", r.NDCG10, r.Recall10))
		}
		cells = append(cells, fmt.Sprintf("%.2f", noAnswer.run(t, v.opts).Returned))
		fmt.Printf("| %s | %s |\n", v.name, strings.Join(cells, " | "))
	}
}
