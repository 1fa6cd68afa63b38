package train

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"slices"
	"time"

	"github.com/agentry/agentry/semantic"
)

// Config sets the training. DefaultConfig gives the values that made the
// shipped model.
type Config struct {
	Dim             int     // vector length
	Oversample      int     // extra random directions of the randomized SVD
	PowerIterations int     // power iterations of the randomized SVD
	MinCount        int     // a word must be seen this often to be learnt
	Window          int     // words either side that count as context
	Words           int     // the most frequent words kept in the model; 0 keeps all
	Seed            uint64  // seeds the random projection
	Smoothing       float64 // context-distribution smoothing exponent of PPMI
	SIFA            float64 // the a of the SIF weight a / (a + p(w))
	Shift           float64 // log k subtracted from every PMI (shifted PPMI); 0 for plain PPMI
	// SigmaPower is the exponent p of a word vector U Sigma^p: below 0
	// it damps the top singular directions, which carry frequency and
	// genre more than topic.
	SigmaPower float64
	// Workers is how many goroutines share the work; 0 means GOMAXPROCS.
	// The result does not depend on it.
	Workers int
	// Logf, when set, hears of progress.
	Logf func(format string, args ...any)
}

// DefaultConfig returns the settings of the shipped model.
func DefaultConfig() Config {
	return Config{Dim: 256, Oversample: 24, PowerIterations: 2, MinCount: 5, Window: 10,
		Words: 30000, Seed: 1, Smoothing: 0.75, SIFA: 1e-3, SigmaPower: -0.5}
}

func (c Config) check() error {
	switch {
	case c.Dim < 1 || c.Dim > semantic.MaxDim:
		return fmt.Errorf("train: dimension %d is not within 1 to %d", c.Dim, semantic.MaxDim)
	case c.Oversample < 0 || c.PowerIterations < 0 || c.Words < 0:
		return fmt.Errorf("train: negative setting in %+v", c)
	case c.MinCount < 1:
		return fmt.Errorf("train: min count %d is below 1", c.MinCount)
	case c.Window < 1 || c.Window > 1000:
		return fmt.Errorf("train: window %d is not within 1 to 1000", c.Window)
	case !(c.Smoothing > 0 && c.Smoothing <= 1):
		return fmt.Errorf("train: smoothing %v is not within (0, 1]", c.Smoothing)
	case !(c.SIFA > 0):
		return fmt.Errorf("train: SIF a %v is not positive", c.SIFA)
	case !(c.Shift >= 0 && c.Shift <= 10):
		return fmt.Errorf("train: PMI shift %v is not within 0 to 10", c.Shift)
	case !(c.SigmaPower >= -2 && c.SigmaPower <= 1):
		return fmt.Errorf("train: singular-value power %v is not within -2 to 1", c.SigmaPower)
	}
	return nil
}

// Run learns a model from the corpus:
//
//  1. the vocabulary is the tokens seen at least MinCount times that are
//     not one character or only digits, most frequent first;
//  2. co-occurrences within Window tokens of each other in a context,
//     weighted (Window+1-d)/Window, give a positive PMI matrix with
//     context-distribution smoothing;
//  3. a randomized truncated SVD gives U and Sigma; a word's vector is its
//     row of U Sigma^(-1/2), L2-normalised (the top singular directions
//     carry frequency and genre more than topic, so they are damped);
//  4. the Words most frequent words are kept, as int8 with a scale per
//     row, with their SIF weights;
//  5. the first principal component of the training contexts' SIF
//     vectors is stored, to be removed from every sentence vector.
//
// The result depends only on the corpus and cfg (not on Workers or
// scheduling), on a given platform.
func Run(ctx context.Context, c *Corpus, cfg Config) (*semantic.Model, error) {
	if err := cfg.check(); err != nil {
		return nil, err
	}
	f, err := factor(ctx, c, cfg)
	if err != nil {
		return nil, err
	}
	return f.build(cfg)
}

// factors is what the SVD leaves: the vocabulary (corpus word ids, most
// frequent first), the corpus re-coded to it, U and Sigma.
type factors struct {
	c      *Corpus
	vocab  []uint32
	tokens []uint32
	ends   []int
	u      []float64
	sigma  []float64
	step   func(format string, args ...any)
}

// factor runs steps 1 to 3 of Run.
func factor(ctx context.Context, c *Corpus, cfg Config) (*factors, error) {
	workers := cfg.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	logf := cfg.Logf
	if logf == nil {
		logf = func(string, ...any) {}
	}
	start := time.Now()
	step := func(format string, args ...any) {
		logf("%6.1fs "+format, append([]any{time.Since(start).Seconds()}, args...)...)
	}

	// Vocabulary, most frequent first (ties by word, for a fixed order).
	var vocab []uint32
	for id, n := range c.counts {
		if n >= int64(cfg.MinCount) && validWord(c.words[id]) {
			vocab = append(vocab, uint32(id))
		}
	}
	slices.SortFunc(vocab, func(a, b uint32) int {
		if d := cmp.Compare(c.counts[b], c.counts[a]); d != 0 {
			return d
		}
		return cmp.Compare(c.words[a], c.words[b])
	})
	n := len(vocab)
	if n < cfg.Dim {
		return nil, fmt.Errorf("train: the vocabulary has %d words, fewer than the %d dimensions", n, cfg.Dim)
	}
	newID := make([]int32, len(c.words))
	for i := range newID {
		newID[i] = -1
	}
	for i, id := range vocab {
		newID[id] = int32(i)
	}
	tokens := make([]uint32, 0, len(c.tokens))
	ends := make([]int, 0, len(c.ends))
	begin := 0
	for _, end := range c.ends {
		for _, t := range c.tokens[begin:end] {
			if id := newID[t]; id >= 0 {
				tokens = append(tokens, uint32(id))
			}
		}
		begin = end
		ends = append(ends, len(tokens))
	}
	step("vocabulary: %d words (of %d distinct tokens); %d of %d tokens in it",
		n, len(c.words), len(tokens), len(c.tokens))
	if err := ctx.Err(); err != nil {
		return nil, err
	}

	p, err := countPairs(tokens, ends, n, cfg.Window, workers)
	if err != nil {
		return nil, err
	}
	step("co-occurrence: %d distinct pairs", len(p.keys))
	m := newPPMI(p, n, cfg.Smoothing, cfg.Shift, workers)
	p = pairs{}
	step("PPMI: %d stored cells", m.nnz())
	if err := ctx.Err(); err != nil {
		return nil, err
	}

	rng := rand.New(rand.NewPCG(cfg.Seed, 0x5eed_a6e7_57a7_1c00))
	u, sigma := randomizedSVD(m, cfg.Dim, cfg.Oversample, cfg.PowerIterations, rng, workers, step)
	step("SVD: singular values %.1f ... %.1f", sigma[0], sigma[len(sigma)-1])
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return &factors{c: c, vocab: vocab, tokens: tokens, ends: ends, u: u, sigma: sigma, step: step}, nil
}

// build runs steps 3 to 5 of Run on the factors: only cfg's Dim (at most
// the SVD's), SigmaPower, Words and SIFA are read, so that several
// models can be cut from one SVD.
func (f *factors) build(cfg Config) (*semantic.Model, error) {
	c, vocab, tokens, ends, step := f.c, f.vocab, f.tokens, f.ends, f.step
	n, full := len(vocab), len(f.sigma)
	sigma := f.sigma[:min(cfg.Dim, full)]
	// Word vectors U Sigma^p, normalised, for the kept words.
	dim := len(sigma)
	keep := n
	if cfg.Words > 0 {
		keep = min(n, cfg.Words)
	}
	damp := make([]float64, dim)
	for j, s := range sigma {
		if s > 1e-9*sigma[0] {
			damp[j] = math.Pow(s, cfg.SigmaPower)
		}
	}
	model := semantic.Parts{
		Info: semantic.Info{
			Dim: dim, Window: cfg.Window, MinCount: cfg.MinCount, Oversample: cfg.Oversample,
			PowerIterations: cfg.PowerIterations, Seed: cfg.Seed, Smoothing: cfg.Smoothing, SIFA: cfg.SIFA,
			SigmaPower: cfg.SigmaPower, Shift: cfg.Shift,
			Contexts: int64(len(c.ends)), Tokens: int64(len(c.tokens)), TrainedWords: n, Words: keep,
		},
		Words:   make([]string, keep),
		Weights: make([]float32, keep),
		Scales:  make([]float32, keep),
		Rows:    make([]int8, keep*dim),
	}
	vec := make([]float64, dim)
	for i := range keep {
		model.Words[i] = c.words[vocab[i]]
		p := float64(c.counts[vocab[i]]) / float64(len(c.tokens))
		model.Weights[i] = float32(cfg.SIFA / (cfg.SIFA + p))
		var norm float64
		for j := range dim {
			vec[j] = f.u[i*full+j] * damp[j]
			norm += vec[j] * vec[j]
		}
		if norm == 0 {
			continue
		}
		norm = math.Sqrt(norm)
		for j := range vec {
			vec[j] /= norm
		}
		model.Scales[i] = semantic.Quantize(model.Rows[i*dim:(i+1)*dim], vec)
	}
	model.PC = principalComponent(&model, tokens, ends)
	step("kept %d words; principal component computed", keep)
	return semantic.Build(model)
}

// principalComponent returns the first (uncentred) principal component of
// the SIF vectors of the training contexts, as Arora, Liang and Ma (2017)
// remove it: power iteration on S^T S without forming S, since S = C E
// for the sparse context-by-word weights C and the dequantised vectors E.
func principalComponent(m *semantic.Parts, tokens []uint32, ends []int) []float32 {
	dim, words := m.Info.Dim, len(m.Words)
	e := make([]float64, words*dim)
	for i := range words {
		for j, q := range m.Rows[i*dim : (i+1)*dim] {
			e[i*dim+j] = float64(q) * float64(m.Scales[i])
		}
	}
	// c_sw = weight(w) / (known words of s): the SIF average.
	coef := make([]float64, len(tokens))
	begin := 0
	for _, end := range ends {
		known := 0
		for _, t := range tokens[begin:end] {
			if int(t) < words {
				known++
			}
		}
		for k := begin; k < end; k++ {
			if t := tokens[k]; int(t) < words {
				coef[k] = float64(m.Weights[t]) / float64(known)
			}
		}
		begin = end
	}
	// y = C^T (C t), per word.
	through := func(t []float64) []float64 {
		y := make([]float64, words)
		begin := 0
		for _, end := range ends {
			var r float64
			for k := begin; k < end; k++ {
				if w := tokens[k]; int(w) < words {
					r += coef[k] * t[w]
				}
			}
			if r != 0 {
				for k := begin; k < end; k++ {
					if w := tokens[k]; int(w) < words {
						y[w] += coef[k] * r
					}
				}
			}
			begin = end
		}
		return y
	}
	etimes := func(y []float64) []float64 { // E^T y
		u := make([]float64, dim)
		for i, yi := range y {
			if yi == 0 {
				continue
			}
			for j := range dim {
				u[j] += yi * e[i*dim+j]
			}
		}
		return u
	}
	timesE := func(u []float64) []float64 { // E u
		t := make([]float64, words)
		for i := range t {
			var s float64
			for j, x := range u {
				s += x * e[i*dim+j]
			}
			t[i] = s
		}
		return t
	}
	unit := func(u []float64) bool {
		var s float64
		for _, x := range u {
			s += x * x
		}
		if s == 0 {
			return false
		}
		s = math.Sqrt(s)
		for i := range u {
			u[i] /= s
		}
		return true
	}
	// Start from the mean sentence vector, which the component is near.
	ones := make([]float64, words)
	for k, t := range tokens {
		if int(t) < words {
			ones[t] += coef[k]
		}
	}
	u := etimes(ones)
	if !unit(u) {
		return make([]float32, dim)
	}
	for range 500 {
		next := etimes(through(timesE(u)))
		if !unit(next) {
			return make([]float32, dim)
		}
		var dot float64
		for j := range u {
			dot += u[j] * next[j]
		}
		u = next
		if 1-math.Abs(dot) < 1e-12 {
			break
		}
	}
	big := 0
	for j := range u {
		if math.Abs(u[j]) > math.Abs(u[big]) {
			big = j
		}
	}
	out := make([]float32, dim)
	for j, x := range u {
		if u[big] < 0 {
			x = -x
		}
		out[j] = float32(x)
	}
	return out
}
