package train

import (
	"bytes"
	"context"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/agentry/agentry/search"
	"github.com/agentry/agentry/semantic"
)

// Topic clusters of the synthetic corpus: a line talks of one topic, with
// a few words that every topic uses.
var clusters = [][]string{
	{"email", "mail", "inbox", "smtp", "imap", "mailbox", "sender", "recipient", "attachment", "newsletter"},
	{"database", "sql", "postgres", "mysql", "sqlite", "query", "table", "schema", "migration", "transaction"},
	{"weather", "forecast", "rain", "temperature", "wind", "climate", "storm", "humidity", "snow", "sunny"},
	{"payment", "invoice", "checkout", "stripe", "refund", "card", "billing", "price", "wallet", "merchant"},
}

var fillers = []string{"tool", "library", "simple", "fast", "client", "api", "server", "python"}

// syntheticCorpus returns lines of six to nine topic words and one or two
// fillers.
func syntheticCorpus(lines int) []string {
	rng := rand.New(rand.NewPCG(7, 7))
	out := make([]string, 0, lines)
	for i := range lines {
		topic := clusters[i%len(clusters)]
		var words []string
		for range 6 + rng.IntN(4) {
			words = append(words, topic[rng.IntN(len(topic))])
		}
		for range 1 + rng.IntN(2) {
			words = slices.Insert(words, rng.IntN(len(words)+1), fillers[rng.IntN(len(fillers))])
		}
		out = append(out, strings.Join(words, " "))
	}
	return out
}

func smallConfig() Config {
	cfg := DefaultConfig()
	cfg.Dim, cfg.Oversample, cfg.MinCount, cfg.Words = 4, 4, 2, 0
	return cfg
}

func trainLines(t testing.TB, lines []string, cfg Config) *semantic.Model {
	t.Helper()
	c := NewCorpus(nil)
	for _, l := range lines {
		c.Add(Record{Body: l})
	}
	m, err := Run(context.Background(), c, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func token(t testing.TB, word string) string {
	t.Helper()
	toks := search.Tokenize(word)
	if len(toks) != 1 {
		t.Fatalf("%q tokenizes to %q", word, toks)
	}
	return toks[0]
}

func TestTrainClusters(t *testing.T) {
	m := trainLines(t, syntheticCorpus(400), smallConfig())
	if m.Dimension() != smallConfig().Dim || m.Len() != 4*10+len(fillers) {
		t.Fatalf("dimension %d, %d words", m.Dimension(), m.Len())
	}
	cluster := map[string]int{}
	for ci, words := range clusters {
		for _, w := range words {
			cluster[token(t, w)] = ci
		}
	}
	for ci, words := range clusters {
		for _, w := range words {
			near := m.Nearest(token(t, w), 3)
			for _, nb := range near {
				if c, ok := cluster[nb.Word]; !ok || c != ci {
					t.Errorf("%s: neighbours %v leave its cluster", w, near)
					break
				}
			}
		}
	}
	// Sentences follow their words.
	vecs, err := m.Embed(context.Background(), []string{
		"send an email to an inbox", "smtp mail sender", "query a postgres database",
	})
	if err != nil {
		t.Fatal(err)
	}
	if same, other := dot(vecs[0], vecs[1]), dot(vecs[0], vecs[2]); same <= other+0.2 {
		t.Errorf("email texts: cosine %.2f, email vs database %.2f", same, other)
	}
}

func dot(a, b []float32) float64 {
	var s float64
	for i := range a {
		s += float64(a[i]) * float64(b[i])
	}
	return s
}

func encoded(t testing.TB, m *semantic.Model) []byte {
	t.Helper()
	var b bytes.Buffer
	if _, err := m.WriteTo(&b); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestTrainDeterministic(t *testing.T) {
	lines := syntheticCorpus(300)
	cfg := smallConfig()
	cfg.Workers = 1
	a := encoded(t, trainLines(t, lines, cfg))
	cfg.Workers = 4
	b := encoded(t, trainLines(t, lines, cfg))
	if !bytes.Equal(a, b) {
		t.Fatal("same seed, different models (1 and 4 workers)")
	}
	cfg.Seed = 2
	if c := encoded(t, trainLines(t, lines, cfg)); bytes.Equal(a, c) {
		t.Error("seeds 1 and 2 gave the same model")
	}
}

func TestTrainErrors(t *testing.T) {
	c := NewCorpus(nil)
	c.Add(Record{Body: "only a few words here"})
	if _, err := Run(context.Background(), c, smallConfig()); err == nil {
		t.Error("a vocabulary smaller than the dimension trained")
	}
	bad := smallConfig()
	bad.Window = 0
	if _, err := Run(context.Background(), c, bad); err == nil {
		t.Error("window 0 accepted")
	}
}

// The singular-value power and the PMI shift change the model, and the
// clusters survive the values tried for the shipped model.
func TestTrainSigmaPowerAndShift(t *testing.T) {
	lines := syntheticCorpus(400)
	base := encoded(t, trainLines(t, lines, smallConfig()))
	for _, change := range []func(*Config){
		func(c *Config) { c.SigmaPower = 0 },
		func(c *Config) { c.SigmaPower = -0.75 },
		func(c *Config) { c.Shift = 0.7 },
	} {
		cfg := smallConfig()
		change(&cfg)
		m := trainLines(t, lines, cfg)
		if bytes.Equal(base, encoded(t, m)) {
			t.Errorf("%+v gave the default model", cfg)
		}
		again, err := semantic.Load(bytes.NewReader(encoded(t, m)))
		if err != nil {
			t.Fatal(err)
		}
		if i := again.Info(); i.SigmaPower != cfg.SigmaPower || i.Shift != cfg.Shift {
			t.Errorf("%+v recorded as power %v, shift %v", cfg, i.SigmaPower, i.Shift)
		}
		var database []string
		for _, w := range clusters[1] {
			database = append(database, token(t, w))
		}
		if near := m.Nearest(token(t, "postgres"), 1); len(near) == 0 || !slices.Contains(database, near[0].Word) {
			t.Errorf("%+v: postgres's neighbours %v", cfg, near)
		}
	}
	for _, bad := range []func(*Config){
		func(c *Config) { c.SigmaPower = -3 },
		func(c *Config) { c.Shift = -1 },
	} {
		cfg := smallConfig()
		bad(&cfg)
		if _, err := Run(context.Background(), NewCorpus(nil), cfg); err == nil {
			t.Errorf("%+v accepted", cfg)
		}
	}
}
