package console

import "testing"

func TestSafeNextStaysInTheConsole(t *testing.T) {
	for next, want := range map[string]string{
		"/console/queue":            "/console/queue",
		"/console/search?q=x&max=3": "/console/search?q=x&max=3",
		"":                          "/console/registries",
		"https://evil.example/":     "/console/registries",
		"//evil.example/console/":   "/console/registries",
		"/console/../registries":    "/console/registries",
		"/registries":               "/console/registries",
		"/console\\..\\x":           "/console/registries",
		"javascript:alert(1)":       "/console/registries",
	} {
		if got := safeNext(next); got != want {
			t.Errorf("safeNext(%q) = %q, want %q", next, got, want)
		}
	}
}

func TestDiffLines(t *testing.T) {
	a := "a\nb\nc\nd\ne\nf\ng\nh\ni\nj"
	b := "a\nb\nc\nd\nE\nf\ng\nh\ni\nj\nk"
	got, note := diffLines(a, b)
	var ops string
	for _, l := range got {
		ops += l.Op
	}
	if note != "" || ops != "~   -+     +" {
		t.Errorf("diff ops %q (note %q), want context around the change and the added line", ops, note)
	}
}
