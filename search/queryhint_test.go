package search

import (
	"slices"
	"testing"

	"github.com/agentry/agentry/registry"
)

func TestHasPath(t *testing.T) {
	for text, want := range map[string]bool{
		"save it to /root/markdown/report.md":              true,
		"write the table in /root/excel/goods.xlsx.":       true,
		"put it in ~/notes":                                true,
		"read ./data.csv":                                  true,
		"open reports/q3.pdf":                              true,
		"summarise https://www.example.com/page.html":      false,
		"query a postgres database":                        false,
		"and/or either":                                    false,
		"the /login route":                                 false,
		"a CI/CD pipeline":                                 false,
		"redirect users to `/login` in /root/code/mw.ts. ": true,
	} {
		if got := hasPath(text); got != want {
			t.Errorf("hasPath(%q) = %v, want %v", text, got, want)
		}
	}
}

// A query with a path also finds the records about files, lexically
// too; Ablation.NoPathHint turns that off.
func TestPathHint(t *testing.T) {
	for _, c := range []struct {
		ab   Ablation
		want bool
	}{{Ablation{}, true}, {Ablation{NoPathHint: true}, false}} {
		ix := NewIndex(Options{Ablation: c.ab})
		ix.Put(approved("r1", "disk", "Read and write files on the local disk", registry.DescriptorCustom, registry.Descriptors{}))
		ix.Put(approved("r2", "weather", "Forecasts for any city", registry.DescriptorCustom, registry.Descriptors{}))
		got := search(t, ix, "weather forecast for Paris into /root/out/paris.md")
		if found := slices.Contains(got, "r1"); found != c.want {
			t.Errorf("%+v: %v, want the file record found: %v", c.ab, got, c.want)
		}
	}
}

// What the path check costs a query without a path, and one with.
func BenchmarkHasPath(b *testing.B) {
	for _, q := range []string{"query a postgres database for the monthly sales figures",
		"Generate a deep report of bitcoin and save it in /root/markdown/bitcoin.md"} {
		b.Run(map[bool]string{false: "plain", true: "path"}[hasPath(q)], func(b *testing.B) {
			for b.Loop() {
				hasPath(q)
			}
		})
	}
}
