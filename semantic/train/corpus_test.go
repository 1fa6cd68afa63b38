package train

import (
	"bytes"
	"compress/gzip"
	"reflect"
	"strings"
	"testing"
)

func readAll(t *testing.T, input string) (Format, []Record) {
	t.Helper()
	var out []Record
	f, err := ReadCorpus(strings.NewReader(input), func(r Record) error {
		out = append(out, r)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return f, out
}

func TestReadPackageTSV(t *testing.T) {
	input := "name\tversion\tdownloads\tsummary (words in [tested here: ...] are notes)\n" +
		"left-pad\t1.3.0\t100\tString left pad\n" +
		"old-thing\t0.1\t\t[DEPRECATED] Talks to [the] mail server\n" +
		"biome\t2.0\t5\t[tested here: pin [1.0], see notes] Formatter and linter\n" +
		"empty\t1.0\t3\t\n" +
		"only-note\t1.0\t3\t[DEPRECATED]\n" +
		"short\t1.0\n"
	format, got := readAll(t, input)
	want := []Record{
		{"left-pad", "String left pad"},
		{"old-thing", "Talks to [the] mail server"},
		{"biome", "Formatter and linter"},
	}
	if format != FormatPackageTSV || !reflect.DeepEqual(got, want) {
		t.Errorf("%v: got %q, want %q", format, got, want)
	}
	if s := (Record{"left-pad", "String\tleft  pad\n"}).Text(); s != "left-pad String left pad" {
		t.Errorf("Text() = %q", s)
	}
	// The summary column is found by name, wherever it is.
	_, got = readAll(t, "name\tsummary\tversion\nx\tA parser\t1.0\n")
	if !reflect.DeepEqual(got, []Record{{"x", "A parser"}}) {
		t.Errorf("summary not last: %q", got)
	}
}

func TestReadDebian(t *testing.T) {
	input := "Package: 0ad\n" +
		"Description-md5: d943033bedada21853d2ae54a2578a7b\n" +
		"Description-en: Real-time strategy game\n" +
		" 0 A.D. is a free game\n" +
		" .\n" +
		" of ancient warfare.\n" +
		"\n" +
		"Package: mutt\n" +
		"Version: 2.2\n" +
		"Description: text-based mailreader\n" +
		" Mutt is a small mail client.\n" +
		"Homepage: http://www.mutt.org/\n" +
		"\n" +
		"Package: nodesc\n" +
		"Version: 1\n"
	format, got := readAll(t, input)
	want := []Record{
		{"0ad", "Real-time strategy game 0 A.D. is a free game of ancient warfare."},
		{"mutt", "text-based mailreader Mutt is a small mail client."},
	}
	if format != FormatDebian || !reflect.DeepEqual(got, want) {
		t.Errorf("%v: got %q, want %q", format, got, want)
	}
}

func TestReadTextAndGzip(t *testing.T) {
	input := "first context\n\n   \nsecond context\r\nthird without newline"
	var z bytes.Buffer
	zw := gzip.NewWriter(&z)
	zw.Write([]byte(input))
	zw.Close()
	for _, in := range []string{input, z.String()} {
		format, got := readAll(t, in)
		want := []Record{{Body: "first context"}, {Body: "second context"}, {Body: "third without newline"}}
		if format != FormatText || !reflect.DeepEqual(got, want) {
			t.Errorf("%v: got %q", format, got)
		}
	}
	// An overlong line is cut, not an error.
	long := strings.Repeat("word ", maxLineBytes/4)
	_, got := readAll(t, long+"\nnext\n")
	if len(got) != 2 || len(got[0].Body) != maxLineBytes || got[1].Body != "next" {
		t.Errorf("overlong line: %d records, first %d bytes", len(got), len(got[0].Body))
	}
}

func TestCorpusDropsDuplicateBodies(t *testing.T) {
	c := NewCorpus(nil)
	if !c.Add(Record{"pkg-a", "A small example package"}) {
		t.Fatal("first record dropped")
	}
	if c.Add(Record{"pkg-b", "A small example package."}) {
		t.Error("the same body under another name was kept")
	}
	if c.Add(Record{"pkg-c", "the of and"}) {
		t.Error("a body of stop words only was kept")
	}
	if !c.Add(Record{"pkg-a", "Another package"}) {
		t.Error("a new body was dropped")
	}
	s := c.Stats()
	if s.Records != 4 || s.Contexts != 2 || s.Duplicates != 1 || s.Empty != 1 {
		t.Errorf("stats %+v", s)
	}
	if s.Tokens != int64(len(c.tokens)) || len(c.ends) != 2 {
		t.Errorf("%d tokens counted, %d held", s.Tokens, len(c.tokens))
	}
}

func TestDecontamination(t *testing.T) {
	// Twelve content words, each its own token.
	eval := "Fetches weather forecasts, radar images, storm warnings and pollen counts for any city worldwide"
	words := strings.Fields("weather forecasts radar images storm warnings pollen counts city worldwide")
	d := NewDecontaminator()
	n, err := d.ReadEvalFile(strings.NewReader(`{"id": "w1", "name": "Weather", "description": "` + eval + `", "tools": [{"description": "unrelated short text"}]}` + "\n\nplain line of text\n"))
	if err != nil || n != 5 {
		t.Fatalf("%d texts, %v", n, err)
	}
	run := func(k int) string { return "my package " + strings.Join(words[1:1+k], " ") + " made simple" }
	c := NewCorpus(d)
	if !c.Add(Record{"seven", run(7)}) {
		t.Errorf("a line sharing 7 words was dropped: %q", run(7))
	}
	if c.Add(Record{"eight", run(8)}) {
		t.Errorf("a line sharing 8 words was kept: %q", run(8))
	}
	// The run counts tokens: the name, case and punctuation do not matter.
	if c.Add(Record{"Forecasts", "Radar images; storm warnings, pollen COUNTS, city worldwide"}) {
		t.Error("a run across name and body was kept")
	}
	if s := c.Stats(); s.Contaminated != 2 || s.Contexts != 1 {
		t.Errorf("stats %+v", s)
	}
	var none *Decontaminator
	if none.Contaminated(strings.Fields(eval)) {
		t.Error("a nil Decontaminator drops lines")
	}
}

// A pretty-printed JSON document (the MCP Registry seed) is read whole:
// its texts are its strings, not its lines with their keys and brackets.
func TestDecontaminationJSONDocument(t *testing.T) {
	eval := "Fetches weather forecasts, radar images, storm warnings and pollen counts for any city worldwide"
	d := NewDecontaminator()
	doc := "[\n  {\n    \"name\": \"io.github.x/weather\",\n    \"description\": \"" + eval + "\"\n  }\n]\n"
	n, err := d.ReadEvalFile(strings.NewReader(doc))
	if err != nil || n != 2 {
		t.Fatalf("%d texts, %v", n, err)
	}
	if c := NewCorpus(d); c.Add(Record{"w", "radar images storm warnings pollen counts city worldwide"}) {
		t.Error("a line sharing a run with the document was kept")
	}
}
