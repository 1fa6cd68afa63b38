package main

import (
	"bytes"
	"io"
	"runtime/debug"
	"strings"
	"testing"

	"github.com/agentry/agentry/iam"
)

// TestKeysNew checks that the printed entry is accepted by the IAM file
// parser as it is, and that each run makes a different key.
func TestKeysNew(t *testing.T) {
	var first string
	for range 2 {
		var out bytes.Buffer
		if err := keysCommand([]string{"new", "publisher-ci"}, &out, io.Discard); err != nil {
			t.Fatal(err)
		}
		cfg, err := iam.Parse([]byte(`{"principals": [`+out.String()+`]}`), "000000000000")
		if err != nil {
			t.Fatalf("the printed entry is not a valid IAM file entry: %v\n%s", err, out.String())
		}
		if ps := cfg.Principals(); len(ps) != 1 || ps[0].Name != "publisher-ci" {
			t.Fatalf("principals = %v", cfg.Principals())
		}
		if out.String() == first {
			t.Fatal("two runs printed the same key")
		}
		first = out.String()
	}
	for _, args := range [][]string{{"new"}, {"new", "bad name"}, {"old", "x"}, {"new", strings.Repeat("a", 65)}} {
		if err := keysCommand(args, io.Discard, io.Discard); err == nil {
			t.Errorf("keys %q: no error", args)
		}
	}
}

// TestRevision checks the VCS part of "agentry version". (The go command
// records no VCS information in a git worktree, so this is not checked on
// a built binary.)
func TestRevision(t *testing.T) {
	for _, c := range []struct {
		settings []debug.BuildSetting
		want     string
	}{
		{nil, ""},
		{[]debug.BuildSetting{{Key: "vcs.revision", Value: "abc"}}, " (revision abc)"},
		{[]debug.BuildSetting{{Key: "vcs.revision", Value: "abc"}, {Key: "vcs.time", Value: "2026-12-06T14:00:00Z"},
			{Key: "vcs.modified", Value: "true"}}, " (revision abc, 2026-12-06T14:00:00Z, modified)"},
	} {
		if got := revisionOf(c.settings); got != c.want {
			t.Errorf("revisionOf(%v) = %q, want %q", c.settings, got, c.want)
		}
	}
}
