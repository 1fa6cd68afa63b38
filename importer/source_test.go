package importer

import (
	"strings"
	"testing"
	"time"
)

func TestCutAtWord(t *testing.T) {
	long := strings.Repeat("word ", 30)
	got := cutAtWord(long, 100)
	if n := len([]rune(got)); n > 100 || !strings.HasSuffix(got, "word…") {
		t.Errorf("cutAtWord = %q (%d)", got, n)
	}
	if cutAtWord("short", 100) != "short" {
		t.Error("a short text changed")
	}
}

func TestRecordName(t *testing.T) {
	for _, c := range []struct{ name, version, want string }{
		{"io.example/weather", "1.0.0", "io.example/weather/1.0.0"},
		{"Recipe Agent", "", "Recipe_Agent"},
		{"io.example/x", "1.0.0+build.5", "io.example/x/1.0.0_build.5"},
	} {
		it := Item{Name: c.name, Version: c.version}
		if got := it.RecordName(); got != c.want {
			t.Errorf("RecordName(%q, %q) = %q, want %q", c.name, c.version, got, c.want)
		}
	}
}

// TestSeedShape converts a 2025-05 seed entry and reports each change.
func TestSeedShape(t *testing.T) {
	it := serverItem("seed", []byte(`{"id": "x", "name": "io.github.a/b", "description": "d",
		"version_detail": {"version": "0.0.1-seed"},
		"packages": [{"registry_name": "pypi", "name": "b", "version": "latest", "package_arguments": [{"type": "positional", "value_hint": "dir"}]}],
		"remotes": [{"transport_type": "", "url": "http://localhost/sse"}]}`), time.Time{})
	want := `{"$schema":"https://static.modelcontextprotocol.io/schemas/2025-12-11/server.schema.json","description":"d","name":"io.github.a/b",` +
		`"packages":[{"identifier":"b","packageArguments":[{"type":"positional","valueHint":"dir"}],"registryType":"pypi","transport":{"type":"stdio"}}],` +
		`"remotes":[{"type":"sse","url":"http://localhost/sse"}],"version":"0.0.1-seed"}`
	if it.Skip != "" || it.Content != want {
		t.Fatalf("skip %q, content\n%s\nwant\n%s", it.Skip, it.Content, want)
	}
	if len(it.Conversions) < 5 {
		t.Errorf("conversions: %q", it.Conversions)
	}
}
