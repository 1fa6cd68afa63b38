package search

import (
	"bytes"
	"encoding/json"
	"io"
	"slices"
	"testing"
	"unicode/utf8"
)

// stringsOf lists the string values of a JSON document in order, object
// keys excluded, as encoding/json reads them.
func stringsOf(t *testing.T, doc []byte) []string {
	dec := json.NewDecoder(bytes.NewReader(doc))
	dec.UseNumber()
	var out []string
	type frame struct{ object, key bool }
	var stack []frame
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatalf("%q: %v", doc, err)
		}
		isKey := len(stack) > 0 && stack[len(stack)-1].object && stack[len(stack)-1].key
		switch v := tok.(type) {
		case json.Delim:
			if v == '{' || v == '[' {
				if len(stack) > 0 && stack[len(stack)-1].object {
					stack[len(stack)-1].key = true
				}
				stack = append(stack, frame{object: v == '{', key: true})
				continue
			}
			stack = stack[:len(stack)-1]
			continue
		case string:
			if !isKey {
				out = append(out, v)
			}
		}
		if len(stack) > 0 && stack[len(stack)-1].object {
			stack[len(stack)-1].key = !isKey
		}
	}
}

func TestJSONReader(t *testing.T) {
	doc := `{"a": "x", "b": [1, true, null, "y\n\u00e9\ud83d\ude80\ud800\u0041", {"c": "z"}], "d": -1.5e3, "e": {}}`
	r := &jsonReader{s: doc}
	var got []string
	r.strings(func(s string) bool { got = append(got, s); return true })
	if want := stringsOf(t, []byte(doc)); !slices.Equal(got, want) || r.bad {
		t.Errorf("got %q (bad %v), want %q", got, r.bad, want)
	}
}

// FuzzJSONReader checks that the reader never panics and, on valid JSON,
// reads exactly the strings encoding/json reads.
func FuzzJSONReader(f *testing.F) {
	for _, s := range []string{`{"a":"b","c":["d",{"e":"f"}]}`, `[1,2,"x\"y"]`, `"\u00e9\ud800\u0041"`, `{"a":`, `[[[[`, `{"tools":[{"name":"x","inputSchema":{"properties":{"p":{}}}}]}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, doc []byte) {
		r := &jsonReader{s: string(doc)}
		var got []string
		r.strings(func(s string) bool { got = append(got, s); return true })
		d := &docText{}
		extractServer(d, string(doc))
		extractTools(d, string(doc))
		extractAgentCard(d, string(doc))
		extractNamedJSON(d, string(doc))
		if !json.Valid(doc) || !utf8.Valid(doc) {
			return
		}
		if want := stringsOf(t, doc); !slices.Equal(got, want) || r.bad {
			t.Fatalf("%q: got %q (bad %v), want %q", doc, got, r.bad, want)
		}
	})
}
