package embedding

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

type golden struct {
	Texts      []string             `json:"texts"`
	Tokenizers map[string][][]int32 `json:"tokenizers"`
}

func loadGolden(t testing.TB) golden {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", "tokenizers", "golden.json"))
	if err != nil {
		t.Fatal(err)
	}
	var g golden
	if err := json.Unmarshal(data, &g); err != nil {
		t.Fatal(err)
	}
	if len(g.Tokenizers) < 10 || len(g.Texts) < 100 {
		t.Fatalf("golden.json has %d tokenizers and %d texts", len(g.Tokenizers), len(g.Texts))
	}
	return g
}

func loadTestTokenizer(t testing.TB, name string) *tokenizer {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", "tokenizers", name))
	if err != nil {
		t.Fatal(err)
	}
	tok, err := parseTokenizer(data)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return tok
}

// known drops the -1 of pieces that have no unknown token to stand for.
func known(ids []int32) []int32 {
	return slices.DeleteFunc(ids, func(id int32) bool { return id < 0 })
}

// TestTokenizersMatchReference checks every stage against the tokenizers
// library's own output (testdata/tokenizers/README.md).
func TestTokenizersMatchReference(t *testing.T) {
	g := loadGolden(t)
	for name, want := range g.Tokenizers {
		t.Run(strings.TrimSuffix(name, ".json"), func(t *testing.T) {
			tok := loadTestTokenizer(t, name)
			sc := new(scratch)
			bad := 0
			for i, text := range g.Texts {
				got := known(tok.encode(nil, text, sc))
				if !slices.Equal(got, want[i]) && !(len(got) == 0 && len(want[i]) == 0) {
					if bad++; bad <= 5 {
						t.Errorf("%q: ids %v, want %v", text, got, want[i])
					}
				}
			}
			if bad > 0 {
				t.Errorf("%d of %d texts differ", bad, len(g.Texts))
			}
		})
	}
}

func TestSplitBehaviors(t *testing.T) {
	isDot := func(r rune) bool { return r == '.' }
	for _, c := range []struct {
		how  behavior
		in   string
		want []string
	}{
		{removed, "a..b.", []string{"a", "b"}},
		{isolated, "a..b.", []string{"a", ".", ".", "b", "."}},
		{contiguous, "a..b.", []string{"a", "..", "b", "."}},
		{mergedWithPrevious, "a..b.", []string{"a.", ".", "b."}},
		{mergedWithPrevious, ".a", []string{".", "a"}},
		{mergedWithNext, "a..b.", []string{"a", ".", ".b", "."}},
		{mergedWithNext, "..a", []string{".", ".a"}},
		{isolated, "", nil},
		{removed, "...", nil},
	} {
		var out words
		splitWord(&out, []byte(c.in), isDot, c.how, new(scratch))
		var got []string
		for _, s := range out.spans {
			got = append(got, string(out.buf[s.start:s.end]))
		}
		if !slices.Equal(got, c.want) {
			t.Errorf("split(%q, %d) = %q, want %q", c.in, c.how, got, c.want)
		}
	}
}

func TestGPT2Split(t *testing.T) {
	for _, c := range []struct {
		in   string
		want []string
	}{
		{"Hello world", []string{"Hello", " world"}},
		{"it's 2024!!", []string{"it", "'s", " 2024", "!!"}},
		{"a   b", []string{"a", "  ", " b"}},
		{"end  ", []string{"end", "  "}},
		{" \nx", []string{" ", "\n", "x"}},
		{"we'll'VE", []string{"we", "'ll", "'", "VE"}},
		{"café中文", []string{"café中文"}},
	} {
		var got []string
		for b := []byte(c.in); len(b) > 0; {
			n := gpt2Match(b)
			got = append(got, string(b[:n]))
			b = b[n:]
		}
		if !slices.Equal(got, c.want) {
			t.Errorf("gpt2 split of %q = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestTokenizerErrors(t *testing.T) {
	for name, js := range map[string]string{
		"bad regex":           `{"normalizer":{"type":"Replace","pattern":{"Regex":"(?<=a)b"},"content":""},"model":{"type":"WordLevel","vocab":{"a":0}}}`,
		"empty replace":       `{"normalizer":{"type":"Replace","pattern":{"String":""},"content":"x"},"model":{"type":"WordLevel","vocab":{"a":0}}}`,
		"no pattern":          `{"normalizer":{"type":"Replace","content":"x"},"model":{"type":"WordLevel","vocab":{"a":0}}}`,
		"NFKC":                `{"normalizer":{"type":"NFKC"},"model":{"type":"WordLevel","vocab":{"a":0}}}`,
		"untyped normalizer":  `{"normalizer":{},"model":{"type":"WordLevel","vocab":{"a":0}}}`,
		"split pre-tokenizer": `{"pre_tokenizer":{"type":"Split","pattern":{"Regex":"x"},"behavior":"Isolated"},"model":{"type":"WordLevel","vocab":{"a":0}}}`,
		"bad behavior":        `{"pre_tokenizer":{"type":"Punctuation","behavior":"Sideways"},"model":{"type":"WordLevel","vocab":{"a":0}}}`,
		"bad metaspace":       `{"pre_tokenizer":{"type":"Metaspace","replacement":"ab"},"model":{"type":"WordLevel","vocab":{"a":0}}}`,
		"bad prepend scheme":  `{"pre_tokenizer":{"type":"Metaspace","prepend_scheme":"sometimes"},"model":{"type":"WordLevel","vocab":{"a":0}}}`,
		"empty vocab":         `{"model":{"type":"WordPiece","vocab":{}}}`,
		"no vocab":            `{"model":{"type":"WordPiece"}}`,
		"unigram unk_id":      `{"model":{"type":"Unigram","unk_id":5,"vocab":[["a",-1]]}}`,
		"unigram bad entry":   `{"model":{"type":"Unigram","vocab":[["a","x"]]}}`,
		"unigram long piece":  `{"model":{"type":"Unigram","vocab":[["` + strings.Repeat("a", maxPieceBytes+1) + `",-1]]}}`,
		"bpe bad merge":       `{"model":{"type":"BPE","vocab":{"a":0,"b":1},"merges":["a b"]}}`,
		"bpe merge not pair":  `{"model":{"type":"BPE","vocab":{"a":0,"b":1,"ab":2},"merges":["a b c"]}}`,
		"not an object":       `[1, 2]`,
	} {
		if _, err := parseTokenizer([]byte(js)); err == nil {
			t.Errorf("%s: parsed", name)
		}
	}
	// Old files without a model type are recognised by their fields.
	for js, want := range map[string]string{
		`{"model":{"vocab":{"a":0},"merges":[]}}`:                      "*embedding.bpe",
		`{"model":{"vocab":[["a",-1]]}}`:                               "*embedding.unigram",
		`{"model":{"vocab":{"a":0},"continuing_subword_prefix":"##"}}`: "*embedding.wordPiece",
		`{"model":{"vocab":{"a":0}}}`:                                  "*embedding.wordLevel",
		`{"model":{"type":"WordPiece","vocab":{"a":0,"##b":1}},"added_tokens":[{"id":9,"content":"x","special":true}]}`: "*embedding.wordPiece",
	} {
		tok, err := parseTokenizer([]byte(js))
		if err != nil {
			t.Errorf("%s: %v", js, err)
			continue
		}
		if got := typeName(tok.model); got != want {
			t.Errorf("%s: model %s, want %s", js, got, want)
		}
	}
}

func typeName(v any) string {
	switch v.(type) {
	case *bpe:
		return "*embedding.bpe"
	case *unigram:
		return "*embedding.unigram"
	case *wordPiece:
		return "*embedding.wordPiece"
	case *wordLevel:
		return "*embedding.wordLevel"
	}
	return "?"
}

// FuzzTokenize checks that no text makes a tokenizer panic or produce an
// id outside its vocabulary.
func FuzzTokenize(f *testing.F) {
	g := loadGolden(f)
	for _, text := range g.Texts {
		f.Add(text)
	}
	var toks []*tokenizer
	for name := range g.Tokenizers {
		toks = append(toks, loadTestTokenizer(f, name))
	}
	f.Fuzz(func(t *testing.T, text string) {
		sc := new(scratch)
		for _, tok := range toks {
			for _, id := range tok.encode(nil, text, sc) {
				if id < -1 || int(id) >= tok.size {
					t.Fatalf("id %d outside a vocabulary of %d", id, tok.size)
				}
			}
		}
	})
}
