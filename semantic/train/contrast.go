package train

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"slices"
	"time"

	"github.com/agentry/agentry/semantic"
)

// ContrastConfig sets the contrastive stage (Contrast). DefaultContrastConfig
// gives its defaults; Epochs 0 skips the stage.
type ContrastConfig struct {
	Epochs       int     // passes; each samples Pairs pairs
	Pairs        int     // pairs per epoch
	Batch        int     // pairs per step: each pair's other texts are its negatives
	Temperature  float64 // of the softmax over a batch's cosines
	LearningRate float64 // Adam's step size, decayed linearly to a tenth by the last step
	Seed         uint64  // seeds the sampling of pairs and of word-dropout halves
	// Weights learns a factor per word on its SIF weight (stored as the
	// word's weight), at WeightRate, Adam's step on the factor's log.
	Weights    bool
	WeightRate float64
	// Anchored is the share of batches whose pairs all come from contexts
	// that contain one word, drawn from the AnchorWords most frequent
	// words: in those, genre words ("python", "server", "mcp") cannot
	// tell a pair from its negatives, as in a registry where every record
	// is an MCP server; in batches drawn from all contexts they can, and
	// training rewards them.
	Anchored    float64
	AnchorWords int
	// Disjoint drops from a pair's second text the words its first has,
	// so that a pair is matched by what it does not share: BM25 already
	// finds shared words, the semantic leg is there for the rest.
	Disjoint bool
	// Spread adds Spread times the mean squared cosine of a batch's
	// texts that are not pairs to the loss: InfoNCE only needs the
	// unrelated below the related, the cut-off needs them low.
	Spread float64
	// FixedRows keeps the rows as they are (with Weights: only the weights
	// are learnt).
	FixedRows bool
	// Workers is how many goroutines share the work; 0 means GOMAXPROCS.
	// The result does not depend on it.
	Workers int
	// Logf, when set, hears of progress.
	Logf func(format string, args ...any)
}

// DefaultContrastConfig returns the stage's default settings, with no
// epochs.
func DefaultContrastConfig() ContrastConfig {
	return ContrastConfig{Pairs: 500_000, Batch: 512, Temperature: 0.05, LearningRate: 1e-3, WeightRate: 0.02, AnchorWords: 200, Seed: 1}
}

func (c ContrastConfig) check() error {
	switch {
	case c.Epochs < 0 || c.Epochs > 1000:
		return fmt.Errorf("train: %d contrastive epochs is not within 0 to 1000", c.Epochs)
	case c.Pairs < 1 || c.Batch < 2 || c.Batch > 8192:
		return fmt.Errorf("train: contrastive pairs %d and batch %d: want at least 1 pair and a batch of 2 to 8192", c.Pairs, c.Batch)
	case !(c.Temperature > 0 && c.Temperature <= 10):
		return fmt.Errorf("train: temperature %v is not within (0, 10]", c.Temperature)
	case !(c.LearningRate > 0 && c.LearningRate <= 1) || !(c.WeightRate > 0 && c.WeightRate <= 1):
		return fmt.Errorf("train: learning rates %v and %v are not within (0, 1]", c.LearningRate, c.WeightRate)
	case !(c.Anchored >= 0 && c.Anchored <= 1) || c.AnchorWords < 0:
		return fmt.Errorf("train: anchored share %v (want 0 to 1) or %d anchor words", c.Anchored, c.AnchorWords)
	case !(c.Spread >= 0 && c.Spread <= 1000):
		return fmt.Errorf("train: spread %v is not within 0 to 1000", c.Spread)
	case c.FixedRows && !c.Weights:
		return fmt.Errorf("train: fixed rows and no weights: nothing to learn")
	}
	return nil
}

// Contrast trains the word rows of base for retrieval and returns the new
// model: same vocabulary, SIF weights and principal component, same
// inference. Positive pairs come from the corpus only, two kinds, drawn
// with equal odds when a context allows both:
//
//   - a context's name and its body (a package's name, identifier split,
//     and its summary): this teaches brands ("neon" with "postgres"). The
//     name is the record's Name or, in plain text, a line's first field,
//     as the lines that "agentry model corpus" writes begin with it;
//   - two disjoint random halves of a body of at least four known words
//     (word dropout): texts that share a topic but not their words.
//
// Each text is embedded as at inference (rows times SIF weights, summed,
// the principal component taken out, L2-normalised), and the loss is
// InfoNCE, both ways, over a batch's cosines divided by the temperature:
// every other text of the batch is a negative. The gradients are written
// out by hand and the rows move by Adam, only those a step touched. Rows
// are not renormalised, so a row's length acts as a learnt weight: a word
// that does not tell texts apart ("server", "tool") can shrink. With
// cfg.Weights a factor per word on its SIF weight is learnt as well (its
// log, by Adam), and with cfg.FixedRows only that.
//
// The result depends only on the corpus, base and cfg (not on Workers):
// sampling is sequential from one seed, parallel work writes disjoint
// outputs, and gradients are summed in a fixed order.
func Contrast(ctx context.Context, c *Corpus, base *semantic.Model, cfg ContrastConfig) (*semantic.Model, error) {
	if err := cfg.check(); err != nil {
		return nil, err
	}
	workers := cfg.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	logf := cfg.Logf
	if logf == nil {
		logf = func(string, ...any) {}
	}
	start := time.Now()
	parts := base.Parts()
	dim, n := parts.Info.Dim, len(parts.Words)

	// The corpus as model rows: per context, its name's known words then
	// its body's.
	row := make(map[string]int32, n)
	for i, w := range parts.Words {
		row[w] = int32(i)
	}
	rowOf := make([]int32, len(c.words))
	for id, w := range c.words {
		if r, ok := row[w]; ok {
			rowOf[id] = r
		} else {
			rowOf[id] = -1
		}
	}
	type candidate struct{ begin, head, end int32 }
	var ids []int32
	var cands []candidate
	begin := 0
	for k, end := range c.ends {
		b := len(ids)
		h := b // where the name ends among the known words
		for p := begin; p < end; p++ {
			if r := rowOf[c.tokens[p]]; r >= 0 {
				ids = append(ids, r)
				if p < begin+int(c.heads[k]) {
					h++
				}
			}
		}
		e := len(ids)
		if (h > b && e > h) || e-h >= 4 {
			cands = append(cands, candidate{int32(b), int32(h), int32(e)})
		} else {
			ids = ids[:b]
		}
		begin = end
	}
	if len(cands) < cfg.Batch {
		return nil, fmt.Errorf("train: %d contexts can give a pair, fewer than a batch of %d", len(cands), cfg.Batch)
	}
	// The candidates that contain each anchor word (the model's words are
	// most frequent first), for anchored batches; anchors with fewer
	// candidates than a batch are left out.
	var anchors [][]int32
	if cfg.Anchored > 0 {
		lists := make([][]int32, min(cfg.AnchorWords, n))
		for k, cd := range cands {
			for p, w := range ids[cd.begin:cd.end] {
				if int(w) < len(lists) && !slices.Contains(ids[cd.begin:int(cd.begin)+p], w) {
					lists[w] = append(lists[w], int32(k))
				}
			}
		}
		for _, l := range lists {
			if len(l) >= cfg.Batch {
				anchors = append(anchors, l)
			}
		}
	}
	logf("%6.1fs contrastive: %d candidate contexts, %d known tokens", time.Since(start).Seconds(), len(cands), len(ids))

	e := make([]float32, n*dim) // the rows being trained, as floats
	for i := range n {
		s := parts.Scales[i]
		for j, q := range parts.Rows[i*dim : (i+1)*dim] {
			e[i*dim+j] = float32(q) * s
		}
	}
	pc := parts.PC
	weight := append([]float32(nil), parts.Weights...)
	logw := make([]float32, n) // log of the learnt factor on the SIF weight
	gw := make([]float32, n)
	mw := make([]float32, n)
	vw := make([]float32, n)
	grad := make([]float32, n*dim)
	mom := make([]float32, n*dim)
	vel := make([]float32, n*dim)
	touched := make([]bool, n)
	var touchedList []int32

	B := cfg.Batch
	invT := float32(1 / cfg.Temperature)
	texts := make([][]int32, 2*B) // A_0..A_{B-1}, then B_0..B_{B-1}
	store := make([][]int32, 2*B)
	vecs := make([]float32, 2*B*dim) // unit vectors
	norms := make([]float32, 2*B)
	sims := make([]float32, B*B)
	rowP := make([]float32, B*B)
	colP := make([]float32, B*B)
	gvec := make([]float32, 2*B*dim)
	rng := rand.New(rand.NewPCG(cfg.Seed, 0xc0de_c0de_a11e_5eed))
	steps := cfg.Epochs * ((cfg.Pairs + B - 1) / B)
	const beta1, beta2, eps = 0.9, 0.999, 1e-8
	step := 0
	var lastLoss float64
	for epoch := range cfg.Epochs {
		var lossSum float64
		batches := 0
		for done := 0; done < cfg.Pairs; done += B {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
			// Sample the batch.
			var anchor []int32
			if len(anchors) > 0 && rng.Float64() < cfg.Anchored {
				anchor = anchors[rng.IntN(len(anchors))]
			}
			for i := range B {
				var cd candidate
				if anchor != nil {
					cd = cands[anchor[rng.IntN(len(anchor))]]
				} else {
					cd = cands[rng.IntN(len(cands))]
				}
				name, body := ids[cd.begin:cd.head], ids[cd.head:cd.end]
				dropout := len(body) >= 4
				if dropout && len(name) > 0 && len(body) > 0 {
					dropout = rng.IntN(2) == 0
				}
				a, b := store[i][:0], store[B+i][:0]
				if dropout {
					perm := append(a, body...)
					for k := len(perm) - 1; k > 0; k-- {
						j := rng.IntN(k + 1)
						perm[k], perm[j] = perm[j], perm[k]
					}
					half := len(perm) / 2
					a = perm
					b = append(b, perm[half:]...)
					texts[i], texts[B+i] = a[:half], b
				} else {
					a = append(a, name...)
					b = append(b, body...)
					texts[i], texts[B+i] = a, b
				}
				if cfg.Disjoint {
					first := texts[i]
					kept := texts[B+i][:0]
					for _, w := range texts[B+i] {
						if !slices.Contains(first, w) {
							kept = append(kept, w)
						}
					}
					texts[B+i] = kept
				}
				store[i], store[B+i] = a, b
			}
			// Forward: the unit vectors.
			parallelRange(2*B, 16, workers, func(lo, hi int) {
				for i := lo; i < hi; i++ {
					norms[i] = pool(vecs[i*dim:(i+1)*dim], texts[i], e, weight, pc, dim)
				}
			})
			// Cosines over the temperature, and both softmaxes.
			parallelRange(B, 8, workers, func(lo, hi int) {
				for i := lo; i < hi; i++ {
					a := vecs[i*dim : (i+1)*dim]
					for j := range B {
						sims[i*B+j] = dot32(a, vecs[(B+j)*dim:(B+j+1)*dim]) * invT
					}
					softmax(rowP[i*B:(i+1)*B], sims[i*B:(i+1)*B])
				}
			})
			parallelRange(B, 8, workers, func(lo, hi int) {
				col := make([]float32, B)
				out := make([]float32, B)
				for j := lo; j < hi; j++ {
					for i := range B {
						col[i] = sims[i*B+j]
					}
					softmax(out, col)
					for i := range B {
						colP[i*B+j] = out[i]
					}
				}
			})
			var loss float64
			for i := range B {
				loss -= math.Log(float64(max(rowP[i*B+i], 1e-30))) + math.Log(float64(max(colP[i*B+i], 1e-30)))
			}
			lossSum += loss / float64(2*B)
			batches++
			// dL/dsim_ij = (rowP + colP - 2[i=j]) / 2B; then to the unit
			// vectors, through the normalisation and the projection.
			scale := invT / float32(2*B)
			// The spread penalty, Spread times the mean squared cosine of
			// the batch's non-pairs: d/dcos = 2 Spread cos / (B(B-1)),
			// with cos = sims / invT.
			spread := float32(2*cfg.Spread/float64(B*(B-1))) / invT
			// coef is the coefficient of text B+j in text i's gradient and of
			// text i in text B+j's.
			coef := func(i, j int) float32 {
				d := rowP[i*B+j] + colP[i*B+j]
				if i == j {
					return (d - 2) * scale
				}
				return d*scale + spread*sims[i*B+j]
			}
			parallelRange(2*B, 16, workers, func(lo, hi int) {
				for t := lo; t < hi; t++ {
					g := gvec[t*dim : (t+1)*dim]
					clear(g)
					if t < B {
						for j := range B {
							axpy(g, coef(t, j), vecs[(B+j)*dim:(B+j+1)*dim])
						}
					} else {
						for i := range B {
							axpy(g, coef(i, t-B), vecs[i*dim:(i+1)*dim])
						}
					}
					if norms[t] == 0 {
						clear(g)
						continue
					}
					u := vecs[t*dim : (t+1)*dim]
					axpy(g, -dot32(u, g), u)
					for k := range g {
						g[k] /= norms[t]
					}
					axpy(g, -dot32(pc, g), pc)
				}
			})
			// Into the rows, in a fixed order.
			for t := range 2 * B {
				g := gvec[t*dim : (t+1)*dim]
				for _, w := range texts[t] {
					if !touched[w] {
						touched[w] = true
						touchedList = append(touchedList, w)
					}
					row := int(w) * dim
					if !cfg.FixedRows {
						axpy(grad[row:row+dim], weight[w], g)
					}
					if cfg.Weights {
						gw[w] += weight[w] * dot32(e[row:row+dim], g)
					}
				}
			}
			// Adam on the touched rows, the step size decayed linearly.
			step++
			lr := cfg.LearningRate * (1 - 0.9*float64(step-1)/float64(max(1, steps-1)))
			c1 := 1 - math.Pow(beta1, float64(step))
			c2 := 1 - math.Pow(beta2, float64(step))
			alpha := float32(lr * math.Sqrt(c2) / c1)
			if cfg.Weights {
				alphaW := float32(cfg.WeightRate / cfg.LearningRate * lr * math.Sqrt(c2) / c1)
				for _, w := range touchedList {
					gk := gw[w]
					mw[w] = beta1*mw[w] + (1-beta1)*gk
					vw[w] = beta2*vw[w] + (1-beta2)*gk*gk
					logw[w] -= alphaW * mw[w] / (float32(math.Sqrt(float64(vw[w]))) + eps)
					logw[w] = max(-6, min(3, logw[w]))
					weight[w] = parts.Weights[w] * float32(math.Exp(float64(logw[w])))
					gw[w] = 0
				}
			}
			if cfg.FixedRows {
				for _, w := range touchedList {
					touched[w] = false
				}
				touchedList = touchedList[:0]
				alpha = 0
			}
			parallelRange(len(touchedList), 64, workers, func(lo, hi int) {
				for _, w := range touchedList[lo:hi] {
					o := int(w) * dim
					for k := o; k < o+dim; k++ {
						gk := grad[k]
						mom[k] = beta1*mom[k] + (1-beta1)*gk
						vel[k] = beta2*vel[k] + (1-beta2)*gk*gk
						e[k] -= alpha * mom[k] / (float32(math.Sqrt(float64(vel[k]))) + eps)
						grad[k] = 0
					}
					touched[w] = false
				}
			})
			touchedList = touchedList[:0]
			if step%200 == 0 {
				logf("%6.1fs contrastive step %d of %d: mean loss %.4f", time.Since(start).Seconds(), step, steps, lossSum/float64(batches))
			}
		}
		lastLoss = lossSum / float64(batches)
		logf("%6.1fs contrastive epoch %d: mean loss %.4f", time.Since(start).Seconds(), epoch+1, lastLoss)
	}

	out := parts
	info := parts.Info
	info.Contrastive = &semantic.ContrastiveInfo{
		Epochs: cfg.Epochs, Pairs: cfg.Pairs, Batch: cfg.Batch, Temperature: cfg.Temperature,
		LearningRate: cfg.LearningRate, Seed: cfg.Seed, Candidates: len(cands),
		Weights: cfg.Weights, WeightRate: cfg.WeightRate, FixedRows: cfg.FixedRows,
		Anchored: cfg.Anchored, AnchorWords: cfg.AnchorWords, Disjoint: cfg.Disjoint, Spread: cfg.Spread,
		Loss: math.Round(lastLoss*1e4) / 1e4, Base: base.Fingerprint(),
	}
	out.Info = info
	out.Weights = weight
	vec := make([]float64, dim)
	for i := range n {
		for j := range dim {
			vec[j] = float64(e[i*dim+j])
		}
		out.Scales[i] = semantic.Quantize(out.Rows[i*dim:(i+1)*dim], vec)
	}
	return semantic.Build(out)
}

// pool writes the unit vector of a text (model rows) into v, as
// semantic.Model embeds it, and returns the length it had before
// normalisation (0 for no vector).
func pool(v []float32, text []int32, e, weight, pc []float32, dim int) float32 {
	clear(v)
	for _, w := range text {
		axpy(v, weight[w], e[int(w)*dim:int(w+1)*dim])
	}
	axpy(v, -dot32(v, pc), pc)
	norm := float32(math.Sqrt(float64(dot32(v, v))))
	if norm == 0 {
		return 0
	}
	for k := range v {
		v[k] /= norm
	}
	return norm
}

func dot32(a, b []float32) float32 {
	b = b[:len(a)]
	var s0, s1, s2, s3 float32
	k := 0
	for ; k+4 <= len(a); k += 4 {
		s0 += a[k] * b[k]
		s1 += a[k+1] * b[k+1]
		s2 += a[k+2] * b[k+2]
		s3 += a[k+3] * b[k+3]
	}
	for ; k < len(a); k++ {
		s0 += a[k] * b[k]
	}
	return (s0 + s1) + (s2 + s3)
}

// axpy adds a*x to y.
func axpy(y []float32, a float32, x []float32) {
	x = x[:len(y)]
	for k := range y {
		y[k] += a * x[k]
	}
}

// softmax writes the softmax of x into out.
func softmax(out, x []float32) {
	big := x[0]
	for _, v := range x {
		big = max(big, v)
	}
	var sum float64
	for k, v := range x {
		ex := math.Exp(float64(v - big))
		out[k] = float32(ex)
		sum += ex
	}
	inv := float32(1 / sum)
	for k := range out {
		out[k] *= inv
	}
}
