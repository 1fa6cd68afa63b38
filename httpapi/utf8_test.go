package httpapi

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestBadStringPath(t *testing.T) {
	cases := []struct {
		doc  string
		path string // "" = every string is text
	}{
		{`{"a":"plain","b":[1,true,null,{"c":"caf\u00e9 \ud83d\ude00 \uDBFF\uDFFF"}]}`, ""},
		{`{"escaped":"a\"b\\ud800 \\\"\ud800"}`, "escaped"}, // \\ud800 is a backslash and text
		{`{"escaped":"a\"b\\ud800"}`, ""},
		{`"x\udc00"`, "body"},
		{`{"a":{"b":["ok","x\ud800"]}}`, "a.b[1]"},
		{`{"a":{"b":["x\ud800\u0041"]}}`, "a.b[0]"}, // a high surrogate before a non-surrogate
		{`{"a":{"b":["x\ud800\n"]}}`, "a.b[0]"},
		{`{"a":{"b":["x\ud800"]}}`, "a.b[0]"},       // at the end of the string
		{`{"a":{"b":["x\udfff\ud800"]}}`, "a.b[0]"}, // low before high
		{`[[1,2],[3,{"k":"v","w":"` + "\xff" + `"}]]`, "[1][1].w"},
		{`{"a" : "ok", "` + "\xc3" + `" : 1}`, "\ufffd"},
		{`{"a":[],"b":{},"c":"` + "\xed\xa0\x80" + `"}`, "c"}, // a surrogate encoded in UTF-8
		{`{"a":"` + "\xe2\x82" + `"}`, "a"},                   // a truncated sequence
	}
	for _, c := range cases {
		if !json.Valid([]byte(c.doc)) {
			t.Fatalf("test document %q is not valid JSON", c.doc)
		}
		err := checkUTF8([]byte(c.doc))
		switch {
		case c.path == "" && err != nil:
			t.Errorf("%q: %v", c.doc, err)
		case c.path != "" && (err == nil || !strings.HasPrefix(err.Error(), c.path+": must be valid UTF-8")):
			t.Errorf("%q: got %v, want an error naming %q", c.doc, err, c.path)
		}
	}
}

// FuzzCheckUTF8 checks the walk against encoding/json, which decodes what
// is not text as U+FFFD: in a document without a U+FFFD of its own, a
// string is text when its decoding has none.
func FuzzCheckUTF8(f *testing.F) {
	for _, s := range []string{`{"a":"b"}`, `["\ud83d\ude00"]`, `{"a":"\ud800"}`, "{\"a\":\"\xff\"}", `{"a\\u":["\\ud800"]}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, doc []byte) {
		var v any
		if strings.Contains(strings.ToLower(string(doc)), "fffd") || strings.Contains(string(doc), "\uFFFD") ||
			json.Unmarshal(doc, &v) != nil {
			return
		}
		_, ok := badStringPath(doc)
		if want := !containsRuneError(v); ok != want {
			t.Fatalf("%q: badStringPath says text=%v, want %v", doc, ok, want)
		}
	})
}

func containsRuneError(v any) bool {
	switch v := v.(type) {
	case string:
		return strings.Contains(v, "\uFFFD")
	case []any:
		for _, e := range v {
			if containsRuneError(e) {
				return true
			}
		}
	case map[string]any:
		for k, e := range v {
			if containsRuneError(k) || containsRuneError(e) {
				return true
			}
		}
	}
	return false
}

// BenchmarkCheckUTF8 measures the check on a 90 KB record body: plain
// UTF-8 (one pass), and written with escaped surrogate pairs (the walk).
func BenchmarkCheckUTF8(b *testing.B) {
	text := strings.Repeat(`caf\u00e9 au lait \ud83d\ude00 and a longer run of plain ASCII words `, 1300)
	for _, c := range []struct{ name, text string }{
		{"plain", strings.ReplaceAll(text, `\ud83d\ude00`, "\U0001F600")},
		{"escaped-pairs", text},
	} {
		body := []byte(`{"name":"r","descriptorType":"CUSTOM","descriptors":{"custom":{"inlineContent":"` + c.text + `"}}}`)
		b.Run(c.name, func(b *testing.B) {
			b.SetBytes(int64(len(body)))
			for b.Loop() {
				if err := checkUTF8(body); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
