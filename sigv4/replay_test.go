package sigv4

import (
	"testing"
	"time"
)

func TestReplayGuard(t *testing.T) {
	now := time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)
	g := NewReplayGuard(3)
	until := now.Add(5 * time.Minute)
	if g.check("a", now, until) {
		t.Fatal("first sight reported as replay")
	}
	if !g.check("a", now.Add(time.Minute), until) {
		t.Fatal("replay within the window not detected")
	}
	if g.check("a", until.Add(time.Second), until.Add(time.Hour)) {
		t.Fatal("a signature past its window is no longer a replay (it fails the time check instead)")
	}
	// Capacity: the oldest signatures are forgotten first.
	for _, s := range []string{"b", "c", "d", "e"} {
		g.check(s, now, until)
	}
	if len(g.seen) > 3 || len(g.order) > 3 {
		t.Fatalf("guard holds %d signatures, capacity 3", len(g.seen))
	}
}
