package train

import (
	"bytes"
	"context"
	"slices"
	"testing"

	"github.com/agentry/agentry/semantic"
)

// brands name the packages of each cluster of the synthetic corpus.
var brands = []string{"zorblat", "quendix", "velmora", "plintup"}

// brandCorpus is the synthetic corpus with each line named by its
// cluster's brand.
func brandCorpus(lines int) *Corpus {
	c := NewCorpus(nil)
	for i, l := range syntheticCorpus(lines) {
		c.Add(Record{Name: brands[i%len(brands)], Body: l})
	}
	return c
}

func smallContrast(workers int) ContrastConfig {
	cfg := DefaultContrastConfig()
	cfg.Epochs, cfg.Pairs, cfg.Batch, cfg.LearningRate, cfg.Workers = 3, 512, 64, 0.01, workers
	return cfg
}

// margin is the mean cosine of a brand with its cluster's sentences less
// that with the other clusters' sentences.
func margin(t *testing.T, m *semantic.Model) float64 {
	t.Helper()
	texts := append([]string(nil), brands...)
	for _, words := range clusters {
		texts = append(texts, words[0]+" "+words[1]+" "+words[2])
	}
	v, err := m.Embed(context.Background(), texts)
	if err != nil {
		t.Fatal(err)
	}
	var own, other float64
	for b := range brands {
		for k := range clusters {
			if b == k {
				own += dot(v[b], v[len(brands)+k])
			} else {
				other += dot(v[b], v[len(brands)+k]) / float64(len(clusters)-1)
			}
		}
	}
	return (own - other) / float64(len(brands))
}

func TestContrast(t *testing.T) {
	c := brandCorpus(400)
	cfg := smallConfig()
	cfg.Dim = 8
	base, err := Run(context.Background(), c, cfg)
	if err != nil {
		t.Fatal(err)
	}
	m1, err := Contrast(context.Background(), c, base, smallContrast(1))
	if err != nil {
		t.Fatal(err)
	}
	m4, err := Contrast(context.Background(), c, base, smallContrast(4))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(encoded(t, m1), encoded(t, m4)) {
		t.Fatal("same corpus and settings, different models (1 and 4 workers)")
	}
	if bytes.Equal(encoded(t, m1), encoded(t, base)) {
		t.Fatal("the contrastive stage changed nothing")
	}
	info := m1.Info().Contrastive
	if info == nil || info.Epochs != 3 || info.Base != base.Fingerprint() || info.Candidates != 400 {
		t.Errorf("recorded as %+v", info)
	}
	if m1.Len() != base.Len() || m1.Dimension() != base.Dimension() {
		t.Errorf("%d words x %d, base %d x %d", m1.Len(), m1.Dimension(), base.Len(), base.Dimension())
	}
	// The brands move toward their clusters' sentences.
	if before, after := margin(t, base), margin(t, m1); after <= before || after < 0.3 {
		t.Errorf("brand margin %.3f before, %.3f after", before, after)
	}
	// Weights only: the rows stay, the weights move, the filler words'
	// (in every cluster) fall below the topic words'.
	wcfg := smallContrast(2)
	wcfg.Weights, wcfg.FixedRows, wcfg.WeightRate = true, true, 0.05
	mw, err := Contrast(context.Background(), c, base, wcfg)
	if err != nil {
		t.Fatal(err)
	}
	pb, pw := base.Parts(), mw.Parts()
	if !bytes.Equal(int8Bytes(pb.Rows), int8Bytes(pw.Rows)) || slices.Equal(pb.Weights, pw.Weights) {
		t.Error("weights only: rows changed or weights did not")
	}
	if i := mw.Info().Contrastive; i == nil || !i.Weights || !i.FixedRows {
		t.Errorf("weights only recorded as %+v", i)
	}
	factor := func(word string) float32 {
		w := token(t, word)
		k := slices.Index(pw.Words, w)
		return pw.Weights[k] / pb.Weights[k]
	}
	if f, g := factor("tool"), factor("postgres"); f >= g {
		t.Errorf("weight factors: filler %q %.3f, topic word %q %.3f", "tool", f, "postgres", g)
	}
	// Anchored batches and disjoint pairs: another model, as deterministic.
	acfg := smallContrast(1)
	acfg.Anchored, acfg.Disjoint = 1, true
	a1, err := Contrast(context.Background(), c, base, acfg)
	if err != nil {
		t.Fatal(err)
	}
	acfg.Workers = 4
	a4, err := Contrast(context.Background(), c, base, acfg)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(encoded(t, a1), encoded(t, a4)) || bytes.Equal(encoded(t, a1), encoded(t, m1)) {
		t.Error("anchored batches, disjoint pairs: models differ by workers, or equal the unanchored one")
	}
	// The spread penalty lowers the cosines between clusters.
	scfg := smallContrast(1)
	scfg.Spread = 50
	ms, err := Contrast(context.Background(), c, base, scfg)
	if err != nil {
		t.Fatal(err)
	}
	if with, without := crossCosine(t, ms), crossCosine(t, m1); with >= without {
		t.Errorf("mean cosine between clusters %.3f with the spread penalty, %.3f without", with, without)
	}
	bad := smallContrast(1)
	bad.Temperature = 0
	if _, err := Contrast(context.Background(), c, base, bad); err == nil {
		t.Error("temperature 0 accepted")
	}
}

func int8Bytes(a []int8) []byte {
	b := make([]byte, len(a))
	for i, x := range a {
		b[i] = byte(x)
	}
	return b
}

// crossCosine is the mean cosine between sentences of different clusters.
func crossCosine(t *testing.T, m *semantic.Model) float64 {
	t.Helper()
	var texts []string
	for _, words := range clusters {
		texts = append(texts, words[3]+" "+words[4]+" "+words[5])
	}
	v, err := m.Embed(context.Background(), texts)
	if err != nil {
		t.Fatal(err)
	}
	var sum float64
	var n int
	for i := range v {
		for j := i + 1; j < len(v); j++ {
			sum += dot(v[i], v[j])
			n++
		}
	}
	return sum / float64(n)
}
