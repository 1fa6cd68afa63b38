package main

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/agentry/agentry/semantic"
)

// The contrastive stage from the command line: in one run, or from a
// model of the same corpus with --init, the same bytes.
func TestModelTrainContrastive(t *testing.T) {
	dir := t.TempDir()
	topics := [][]string{
		{"email", "mail", "inbox", "smtp", "imap", "mailbox", "sender", "newsletter"},
		{"database", "sql", "postgres", "mysql", "sqlite", "query", "schema", "migration"},
		{"weather", "forecast", "rain", "temperature", "wind", "climate", "storm", "snow"},
	}
	var b strings.Builder
	for i := range 300 {
		words := topics[i%3]
		fmt.Fprintf(&b, "pkg-%s%d", words[i%5], i)
		for k := range 6 {
			fmt.Fprintf(&b, " %s", words[(i*7+k*3)%len(words)])
		}
		b.WriteString(" tool\n")
	}
	corpus := filepath.Join(dir, "corpus.txt")
	if err := os.WriteFile(corpus, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	small := []string{"--corpus", corpus, "--dim", "4", "--oversample", "4", "--min-count", "2", "--vocab", "0"}
	contrast := []string{"--contrastive-epochs", "1", "--contrastive-pairs", "128", "--contrastive-batch", "32", "--contrastive-weights"}
	run := func(out string, args ...string) []byte {
		t.Helper()
		args = append(append([]string{}, args...), "--out", filepath.Join(dir, out))
		if err := modelTrain(args, io.Discard, io.Discard); err != nil {
			t.Fatalf("%v: %v", args, err)
		}
		data, err := os.ReadFile(filepath.Join(dir, out, semantic.ModelFile))
		if err != nil {
			t.Fatal(err)
		}
		return data
	}
	run("base", small...)
	whole := run("whole", append(small, contrast...)...)
	fromInit := run("init", append(append(small, contrast...), "--init", filepath.Join(dir, "base", semantic.ModelFile))...)
	if !bytes.Equal(whole, fromInit) {
		t.Error("--init gave another model than training in one run")
	}
	m, err := semantic.Load(bytes.NewReader(whole))
	if err != nil {
		t.Fatal(err)
	}
	if c := m.Info().Contrastive; c == nil || c.Epochs != 1 || c.Batch != 32 || !c.Weights {
		t.Errorf("contrastive stage recorded as %+v", c)
	}
	if err := modelTrain(append(small, "--out", filepath.Join(dir, "x"), "--init", filepath.Join(dir, "base", semantic.ModelFile)), io.Discard, io.Discard); err == nil {
		t.Error("--init without --contrastive-epochs accepted")
	}
}
