package semantic

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/agentry/agentry/search"
)

func TestDefaultModel(t *testing.T) {
	m, err := Default()
	if err != nil {
		t.Fatal(err)
	}
	if again, _ := Default(); again != m {
		t.Error("Default loads the model twice")
	}
	if m.Dimension() != 256 || m.Len() < 20000 || !strings.HasPrefix(m.Fingerprint(), "agentry-static:") {
		t.Fatalf("dimension %d, %d words, fingerprint %q", m.Dimension(), m.Len(), m.Fingerprint())
	}
	// Written before the file recorded it: Load supplies the -0.5 it was trained with.
	if p := m.Info().SigmaPower; p != -0.5 {
		t.Errorf("singular-value power %v, want -0.5", p)
	}
	if len(defaultModel) > 16<<20 {
		t.Errorf("the model is %d bytes, over 16 MB", len(defaultModel))
	}
	// Loose checks of what it learnt (docs/model.md lists more): each
	// expected word is among the 20 nearest.
	for word, want := range map[string][]string{
		"email":      {"mail", "inbox", "smtp", "gmail"},
		"database":   {"sql", "db", "postgres", "sqlite", "mysql"},
		"kubernetes": {"k8s", "docker", "helm"},
		"weather":    {"forecast", "noaa", "meteo"},
		"payment":    {"pay", "checkout", "stripe", "refund"},
		"scrape":     {"scraper", "crawler"},
	} {
		var got []string
		for _, nb := range m.Nearest(token(t, word), 20) {
			got = append(got, nb.Word)
		}
		for _, w := range want {
			if !slices.Contains(got, token(t, w)) {
				t.Errorf("%s: %s is not among the 20 nearest: %v", word, w, got)
			}
		}
	}
	vecs, err := m.Embed(context.Background(), []string{
		"send a message to my inbox",
		"email client that delivers mail over SMTP",
		"run SQL queries against a Postgres database",
	})
	if err != nil {
		t.Fatal(err)
	}
	if same, other := dot(vecs[0], vecs[1]), dot(vecs[0], vecs[2]); same <= other {
		t.Errorf("mail query: %.2f to a mail tool, %.2f to a database tool", same, other)
	}
}

// token is word as the model knows it: its one search.Tokenize token.
func token(t testing.TB, word string) string {
	t.Helper()
	toks := search.Tokenize(word)
	if len(toks) != 1 {
		t.Fatalf("%q tokenizes to %q", word, toks)
	}
	return toks[0]
}

// BenchmarkEmbedQuery measures a typical query; the allocations are the
// output vector and search.Tokenize's tokens.
func BenchmarkEmbedQuery(b *testing.B) {
	m, err := Default()
	if err != nil {
		b.Fatal(err)
	}
	texts := []string{"find a tool that sends transactional email through SMTP"}
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := m.Embed(ctx, texts); err != nil {
			b.Fatal(err)
		}
	}
}
