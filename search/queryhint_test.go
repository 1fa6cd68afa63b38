package search

import (
	"slices"
	"testing"

	"github.com/agentry/agentry/registry"
)

func TestHintFor(t *testing.T) {
	for text, want := range map[string]string{
		"save it to /root/markdown/report.md":              writePathHint,
		"write the table in /root/excel/goods.xlsx.":       writePathHint,
		"put it in ~/notes":                                pathHint,
		"read ./data.csv":                                  pathHint,
		"open reports/q3.pdf":                              pathHint,
		"summarise https://www.example.com/page.html":      "",
		"query a postgres database":                        "",
		"and/or either":                                    "",
		"the /login route":                                 "",
		"a CI/CD pipeline":                                 "",
		"redirect users to `/login` in /root/code/mw.ts. ": pathHint,
		// The verb must be in the path's clause.
		"Generate a deep report of bitcoin and save it in /root/markdown/bitcoin.md": writePathHint,
		"Read /root/excel/sales.xlsx, plot it and save it in /root/figs/sale.png":    writePathHint,
		"Save the list. Then read /root/data/people.xlsx":                            pathHint,
		"write a summary, using /root/pdf/paper.pdf":                                 pathHint,
		"store and then load /root/cache/state.json":                                 pathHint,
		"the data was Exported: /root/out/data.csv":                                  pathHint,
		"the data was Exported to /root/out/data.csv":                                writePathHint,
	} {
		if got := hintFor(text); got != want {
			t.Errorf("hintFor(%q) = %q, want %q", text, got, want)
		}
	}
}

// A request to save into a path finds the record that writes files
// before the one that reads them (lexically here: "write" is in the
// hint), where "files" alone ranked them as equals.
func TestWritePathHint(t *testing.T) {
	ix := NewIndex(Options{})
	ix.Put(approved("r1", "read_file", "Read a file from the disk", registry.DescriptorCustom, registry.Descriptors{}))
	ix.Put(approved("r2", "write_file", "Write a file to the disk", registry.DescriptorCustom, registry.Descriptors{}))
	ix.Put(approved("r3", "news", "Today's headlines", registry.DescriptorCustom, registry.Descriptors{}))
	got := search(t, ix, "fetch the headlines and save them to /root/out/news.md")
	if len(got) < 2 || got[0] != "r3" || got[1] != "r2" {
		t.Errorf("got %v, want r3 (the news), then r2 (the writer)", got)
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
func BenchmarkHintFor(b *testing.B) {
	for _, q := range []string{"query a postgres database for the monthly sales figures",
		"Generate a deep report of bitcoin and save it in /root/markdown/bitcoin.md"} {
		b.Run(map[bool]string{false: "plain", true: "path"}[hintFor(q) != ""], func(b *testing.B) {
			for b.Loop() {
				hintFor(q)
			}
		})
	}
}
