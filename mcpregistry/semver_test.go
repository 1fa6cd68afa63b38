package mcpregistry

import "testing"

func TestCompareSemver(t *testing.T) {
	for _, c := range []struct {
		a, b string
		want int
		ok   bool
	}{
		{"1.10.0", "1.9.0", 1, true},
		{"1.0.0", "1.0.0-rc.1", 1, true},
		{"1.0.0-rc.2", "1.0.0-rc.10", -1, true},
		{"1.0.0-alpha", "1.0.0-1", 1, true},
		{"v2.0.0", "2.0.0+build", 0, true},
		{"2024-05-01", "1.0.0", 0, false},
		{"01.0.0", "1.0.0", 0, false},
	} {
		got, ok := compareSemver(c.a, c.b)
		if got != c.want || ok != c.ok {
			t.Errorf("compareSemver(%q, %q) = %d, %v; want %d, %v", c.a, c.b, got, ok, c.want, c.ok)
		}
	}
}
