package search

import (
	"context"
	"fmt"
	"math"
	"math/bits"
	"slices"
	"strings"

	"github.com/viterin/vek/vek32"
)

// Embedder turns texts into vectors for the semantic leg: an HTTP client
// for an embeddings API, or a static embedding table loaded from disk.
// Implementations must be safe for concurrent use.
type Embedder interface {
	// Embed returns one vector of Dimension() numbers per text, in order.
	Embed(ctx context.Context, texts []string) ([][]float32, error)
	// Fingerprint names the model and its version; vectors made under
	// different fingerprints must never be compared.
	Fingerprint() string
	// Dimension is the length of every vector.
	Dimension() int
}

// FusionMethod says how the lexical and semantic rankings are combined.
type FusionMethod int

const (
	// FusionRRF is weighted reciprocal-rank fusion: each leg adds
	// weight / (K + rank). It needs no calibration.
	FusionRRF FusionMethod = iota
	// FusionConvex mixes the legs' scores, each min-max normalised over
	// its candidates: LexicalWeight * lexical + (1 - LexicalWeight) * cosine.
	FusionConvex
)

// Fusion configures the hybrid ranking. Zero values take the defaults.
type Fusion struct {
	Method FusionMethod
	// K is the RRF rank constant (default 60).
	K float64
	// LexicalWeight is the lexical leg's share, 0 to 1 (default 0.5 for
	// RRF; 0.45 for convex, chosen on MetaTool with the built-in model and
	// then frozen, docs/model.md). The semantic leg is never used alone: it
	// loses to BM25 on exact names and identifiers.
	LexicalWeight float64
	// Candidates is how many of each leg's best records are fused
	// (default 100).
	Candidates int
	// MinSimilarity and MinCoverage are the cut-off: the results end at
	// the first record whose similarity to the query (the semantic leg's
	// cosine) is below MinSimilarity and whose lexical score is below
	// MinCoverage times that of a record matching every query word that
	// the registry has. Defaults 0.16 and 0.02, chosen on the evaluation
	// sets and frozen (docs/search-quality.md); a negative MinSimilarity
	// turns the cut-off off.
	MinSimilarity, MinCoverage float64
	// WeakSimilarity and WeakResults: when even the best result is weak
	// (its cosine below WeakSimilarity and its lexical score below
	// MinCoverage of a whole-query match), at most WeakResults are
	// returned, and none when its cosine is below 0.24 too. Defaults 0.38
	// and 2, chosen on the evaluation sets and frozen like the cut-off
	// (search/cutoff.go); a negative WeakSimilarity turns it off.
	WeakSimilarity float64
	WeakResults    int
}

func (f Fusion) resolve() Fusion {
	if f.K <= 0 {
		f.K = 60
	}
	if f.LexicalWeight <= 0 || f.LexicalWeight > 1 {
		f.LexicalWeight = 0.5
		if f.Method == FusionConvex {
			f.LexicalWeight = 0.45
		}
	}
	if f.Candidates <= 0 {
		f.Candidates = 100
	}
	if f.MinSimilarity == 0 {
		f.MinSimilarity = 0.16
	}
	if f.MinCoverage <= 0 {
		f.MinCoverage = 0.02
	}
	if f.WeakSimilarity == 0 {
		f.WeakSimilarity = defaultWeakSimilarity
	}
	if f.WeakResults <= 0 {
		f.WeakResults = defaultWeakResults
	}
	return f
}

// embedBatch is how many texts go to the embedder in one call.
const embedBatch = 64

// embedDocs fills in the vectors of analysed records, from the vector
// store or the embedder. It fails when the embedder does, leaving the
// records it was asked for without vectors.
func (ix *Index) embedDocs(ctx context.Context, docs []*analyzed) error {
	e := ix.set.embedder
	if e == nil {
		return nil
	}
	var batch []*analyzed
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		batch = ix.loadVectors(ctx, batch)
		if len(batch) == 0 {
			return nil
		}
		texts := make([]string, len(batch))
		for i, a := range batch {
			texts[i] = a.embedText
		}
		vecs, err := e.Embed(ctx, texts)
		if err == nil && len(vecs) != len(texts) {
			err = fmt.Errorf("embedder %s returned %d vectors for %d texts", e.Fingerprint(), len(vecs), len(texts))
		}
		if err != nil {
			err = fmt.Errorf("search: embedding records: %w", err)
			if ctx.Err() == nil {
				ix.report(err)
			}
			return err
		}
		for i, a := range batch {
			a.vec = ix.unit(vecs[i])
		}
		ix.saveVectors(ctx, batch)
		batch = batch[:0]
		return nil
	}
	for _, a := range docs {
		if a == nil || a.embedText == "" {
			continue
		}
		batch = append(batch, a)
		if len(batch) == embedBatch {
			if err := flush(); err != nil {
				return err
			}
		}
	}
	return flush()
}

// loadVectors gives the records of batch the vectors stored for their
// text under this model, and returns those still without one.
func (ix *Index) loadVectors(ctx context.Context, batch []*analyzed) []*analyzed {
	vs := ix.set.vectors
	if vs == nil {
		return batch
	}
	keys := make([][32]byte, len(batch))
	for i, a := range batch {
		keys[i] = a.textKey
	}
	stored, err := vs.LoadVectors(ctx, ix.set.embedder.Fingerprint(), keys)
	if err != nil {
		if ctx.Err() == nil {
			ix.report(fmt.Errorf("search: loading stored vectors: %w", err))
		}
		return batch
	}
	missing := batch[:0:0]
	for i, a := range batch {
		if v, ok := decodeVector(stored[keys[i]]); ok {
			if a.vec = ix.unit(v); a.vec != nil {
				continue
			}
		}
		missing = append(missing, a)
	}
	return missing
}

// saveVectors stores the vectors just computed for batch.
func (ix *Index) saveVectors(ctx context.Context, batch []*analyzed) {
	vs := ix.set.vectors
	if vs == nil {
		return
	}
	out := make(map[[32]byte][]byte, len(batch))
	for _, a := range batch {
		if a.vec != nil {
			out[a.textKey] = encodeVector(a.vec)
		}
	}
	if len(out) == 0 {
		return
	}
	if err := vs.SaveVectors(ctx, ix.set.embedder.Fingerprint(), out); err != nil && ctx.Err() == nil {
		ix.report(fmt.Errorf("search: storing vectors: %w", err))
	}
}

// maxQuerySentences bounds how many sentences of a query are embedded on
// their own; the rest of a longer text stays in the last one.
const maxQuerySentences = 8

// queryVectors are a query's unit vectors: the whole text's and, for a
// request of several sentences (a task of several steps), each
// sentence's.
type queryVectors struct {
	whole []float32
	parts [][]float32
}

// similarity is how close a record's vector v is to the query, given its
// cosine with the whole query: that cosine or, for a query of several
// sentences, the mean of it and v's best cosine with one sentence, so that
// a record that serves one step of a task is not lost in the average of
// all the steps.
func (q *queryVectors) similarity(whole float32, v []float32) float32 {
	if len(q.parts) == 0 {
		return whole
	}
	best := float32(-1)
	for _, p := range q.parts {
		best = max(best, vek32.Dot(v, p))
	}
	return (whole + best) / 2
}

// sentences splits text after each '.', '!' or '?' that ends a word, and at
// each ';' and line break, into at most maxQuerySentences pieces.
func sentences(text string) []string {
	var out []string
	start := 0
	for i := 0; i < len(text) && len(out) < maxQuerySentences-1; i++ {
		switch c := text[i]; {
		case c == '\n' || c == ';',
			(c == '.' || c == '!' || c == '?') && (i+1 == len(text) || text[i+1] == ' ' || text[i+1] == '\n'):
			if s := strings.TrimSpace(text[start:i]); s != "" {
				out = append(out, s)
			}
			start = i + 1
		}
	}
	if s := strings.TrimSpace(text[start:]); s != "" {
		out = append(out, s)
	}
	return out
}

// vectorKeys returns the keys (VectorStore's text hashes) of the vectors
// every indexed record has, and whether the list is complete: false while
// some record that has text to embed still lacks its vector, because the
// background worker has not reached it or the embedder is failing. It is
// for pruning a VectorStore of what no record uses any more, which only a
// complete list allows.
func (ix *Index) vectorKeys() (keys [][32]byte, complete bool) {
	complete = true
	for _, sh := range ix.allShards() {
		sh.mu.RLock()
		for slot := range sh.docs {
			d := &sh.docs[slot]
			switch {
			case sh.dead[slot] || d.textKey == [32]byte{}:
			case d.vec == nil:
				complete = false
			default:
				keys = append(keys, d.textKey)
			}
		}
		sh.mu.RUnlock()
	}
	return keys, complete
}

// embedQuery returns the query's vectors, or nil when the embedder fails
// (the search then ranks lexically).
func (ix *Index) embedQuery(ctx context.Context, text string) *queryVectors {
	text = truncateUTF8(text, maxEmbedBytes)
	texts := []string{text}
	if parts := sentences(text); len(parts) > 1 {
		texts = append(texts, parts...)
	}
	embedCtx, cancel := context.WithTimeout(ctx, ix.set.queryTimeout)
	defer cancel()
	vecs, err := ix.set.embedder.Embed(embedCtx, texts)
	if err == nil && len(vecs) != len(texts) {
		err = fmt.Errorf("embedder returned %d vectors for %d texts", len(vecs), len(texts))
	}
	if err != nil {
		if ctx.Err() == nil { // the embedder failed or was too slow, not the caller
			ix.report(fmt.Errorf("search: embedding query: %w", err))
		}
		return nil
	}
	q := &queryVectors{whole: ix.unit(vecs[0])}
	if q.whole == nil {
		return nil
	}
	for _, v := range vecs[1:] {
		if u := ix.unit(v); u != nil { // a sentence of unknown words has none
			q.parts = append(q.parts, u)
		}
	}
	return q
}

// unit returns v scaled to length 1, or nil when v is not a usable vector
// of the embedder's dimension.
func (ix *Index) unit(v []float32) []float32 {
	// An embedder may learn its dimension from its first answer (an API
	// whose model is not known in advance): until then, any length goes,
	// and vectors of other lengths are never compared.
	if dim := ix.set.embedder.Dimension(); len(v) == 0 || (dim != 0 && len(v) != dim) {
		ix.report(fmt.Errorf("search: embedder %s returned a vector of %d numbers, want %d",
			ix.set.embedder.Fingerprint(), len(v), ix.set.embedder.Dimension()))
		return nil
	}
	var sum float64
	for _, x := range v {
		sum += float64(x) * float64(x)
	}
	if sum == 0 || math.IsNaN(sum) || math.IsInf(sum, 0) {
		return nil
	}
	inv := float32(1 / math.Sqrt(sum))
	out := make([]float32, len(v))
	for i, x := range v {
		out[i] = x * inv
	}
	return out
}

func (ix *Index) report(err error) {
	if ix.set.onError != nil {
		ix.set.onError(err)
	}
}

func (s *shard) hasVectors() bool {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.vectors > 0
}

// semantic ranks the live records that pass the filter by their
// similarity to the query: the k nearest to the whole query (through the
// approximate index when the shard has one ready, else by an exact scan of
// every vector), ranked again by similarity when the query has several
// sentences. That costs one vector's search whatever the query, and
// measured the same as scanning by similarity. The result aliases acc.
func (s *shard) semantic(acc *accumulator, q *queryVectors, f *Filter, k int) []scored {
	top := s.nearest(acc, q.whole, f, k)
	if len(q.parts) == 0 {
		return top
	}
	again := newTopK(acc, k, s)
	for _, c := range top {
		if sim := q.similarity(c.score, s.docs[c.slot].vec); sim > 0 {
			again.push(c.slot, sim)
		}
	}
	acc.rescored = again.sorted(acc, acc.rescored)
	return acc.rescored
}

// nearest returns the k live records nearest to qvec that pass the filter.
func (s *shard) nearest(acc *accumulator, qvec []float32, f *Filter, k int) []scored {
	if a := s.ann; a != nil && s.vectors >= s.set.approx && len(qvec) == a.dim && a.ready.Load() {
		if top, ok := a.search(s, acc, qvec, f, k); ok {
			return top
		}
	}
	return s.scan(acc, qvec, f, k)
}

// scan is the exact semantic ranking: the query against every vector, in
// two stages (dot8.go). The first compares the int8 copies of the vectors
// and keeps, with an upper bound of its score, each record that may still
// rank in the top k: one whose upper bound reaches the k-th best lower
// bound seen so far, since at least k records score at least that. The
// second computes the float32 dot product of the records whose upper bound
// reaches the final k-th best lower bound, best bound first, until the
// bounds fall below the k-th best float32 score.
//
// The k-th best lower bound rises as the first stage goes, so it let
// through most of the first blocks, six times as many records as the
// second stage needed. So the first stage starts from a guess of the final
// value, taken from a sample of the records (guess); the guess is checked
// at the end (at least k records must have a lower bound above it), and
// the first stage runs again without it when it was too high. Either way
// the second stage sees the same records.
func (s *shard) scan(acc *accumulator, qvec []float32, f *Filter, k int) []scored {
	qq, v8 := &acc.q16, &s.vec8
	if v8.dim != len(qvec) || !quantizeQuery(qq, qvec) || k <= 0 {
		return s.scanFloat(acc, qvec, f, k)
	}
	n := len(v8.scale)
	if cap(acc.dots) < n {
		acc.dots, acc.mask = make([]int32, n+n/4), make([]uint16, (n+n/4)/16+1)
	}
	dots := acc.dots[:n]
	st := stage1{s: s, f: f, qq: qq, k: k, first: acc.first[:0], lower: acc.lower[:0], floor: float32(math.Inf(-1))}
	dot8Batch(v8, 0, qq, dots)
	if guessMargin > 0 {
		st.floor = st.guess(dots)
	}
	st.run(dots, acc.mask)
	if guessed := !math.IsInf(float64(st.floor), -1); guessed && (len(st.lower) < k || st.lower[0] < st.floor) {
		st.first, st.lower, st.floor = st.first[:0], st.lower[:0], float32(math.Inf(-1))
		st.run(dots, acc.mask)
	}
	// The second stage goes through the candidates by decreasing upper
	// bound and stops at the first whose bound is below the k-th best
	// float32 score so far: it and the rest cannot rank. At 10,000
	// records and k = 100 it computes 125 of the 147 candidates (mean
	// over the queries of BenchmarkHybridCost10k).
	first, kth := st.first, st.kth
	order := acc.order[:0]
	for _, c := range first {
		if c.score >= kth {
			order = append(order, uint64(^scoreBits(c.score))<<32|uint64(c.slot))
		}
	}
	slices.Sort(order)
	top := newTopK(acc, k, s)
	best := st.lower[:0] // a min-heap of the k best float32 scores
	for _, o := range order {
		if len(best) == k && ^uint32(o>>32) < scoreBits(best[0]) { // its bound < the k-th best
			break
		}
		slot := uint32(o)
		// vek32.Dot uses the processor's vector instructions (AVX2) where
		// it has them: some fifty times faster than a plain loop.
		if dot := vek32.Dot(v8.f[slot], qvec); dot > 0 {
			top.add(slot, dot)
			best, _ = pushLower(best, dot, k)
		}
	}
	acc.first, acc.lower, acc.order = first, best, order
	acc.sem = top.sorted(acc, acc.sem)
	return acc.sem
}

// stage1 is the state of the scan's first stage.
type stage1 struct {
	s     *shard
	f     *Filter
	qq    *query16
	k     int
	first []scored  // the records kept, with their upper bounds
	lower []float32 // a min-heap of the k best lower bounds
	floor float32   // the guess of the final k-th best lower bound
	kth   float32   // the larger of floor and the k-th best lower bound
}

// Sampling every guessStride-th record, the guess is the lower bound
// that guessMargin times k records are expected to reach: a guess too high
// costs the first stage twice, one too low lets more records through.
// guessMargin is a variable so that benchmarks can turn the guess off (0)
// and tests make it too high about half the time (1): ScanVariant.
const guessStride = 8

var guessMargin = 2

// guess returns a guess of the k-th best lower bound of the records that
// pass the filter, from a sample of them, or minus infinity when there
// are too few records to sample.
func (st *stage1) guess(dots []int32) float32 {
	r := (guessMargin*st.k + guessStride - 1) / guessStride
	none := float32(math.Inf(-1))
	if len(dots) < 2*r*guessStride {
		return none
	}
	v8, h, g := &st.s.vec8, st.lower[:0], none
	for slot := guessStride / 2; slot < len(dots); slot += guessStride {
		scale := v8.scale[slot]
		if scale == 0 || st.s.dead[slot] || !st.f.matchDoc(&st.s.docs[slot]) {
			continue
		}
		x := float32(dots[slot])*st.qq.scale*scale - st.qq.bound(scale, v8.resid[slot])
		if len(h) < r || x > h[0] {
			h, g = pushLower(h, x, r)
		}
	}
	st.lower = h[:0]
	return g
}

// run is the first stage over the dot products of every slot.
func (st *stage1) run(dots []int32, mask []uint16) {
	st.kth = st.floor
	qq, v8 := st.qq, &st.s.vec8
	for from := 0; from < len(dots); from += scanBlock {
		block := dots[from:min(from+scanBlock, len(dots))]
		i := 0
		if n := len(block) &^ 15; (haveMask || haveDot8) && n > 0 {
			// The test in SIMD first, against the k-th best lower bound
			// as the block starts (it only rises) less a margin for
			// rounding; the records it lets through are tested again.
			const margin = 1e-5
			c := [6]float32{qq.scale, qq.byScale, qq.byResid, qq.slack, st.kth - margin, -margin}
			if haveMask {
				scanMaskAVX512(&block[0], &v8.scale[from], &v8.resid[from], n, &c, &mask[0])
			} else {
				scanMaskAVX2(&block[0], &v8.scale[from], &v8.resid[from], n, &c, &mask[0])
			}
			for j, m := range mask[:n/16] {
				for ; m != 0; m &= m - 1 {
					i := j*16 + bits.TrailingZeros16(m)
					st.consider(from+i, block[i])
				}
			}
			i = n
		}
		for ; i < len(block); i++ {
			st.consider(from+i, block[i])
		}
	}
}

// consider keeps slot, whose first-stage dot product is d, if it may
// still rank in the top k.
func (st *stage1) consider(slot int, d int32) {
	v8 := &st.s.vec8
	scale := v8.scale[slot]
	if scale == 0 || st.s.dead[slot] { // no vector, or not of the query's length
		return
	}
	approx := float32(d) * st.qq.scale * scale
	b := st.qq.bound(scale, v8.resid[slot])
	// A record whose dot product cannot be positive is never a match, as
	// in the float32 scan.
	if hi := approx + b; hi > 0 && hi >= st.kth && st.f.matchDoc(&st.s.docs[slot]) {
		st.first = append(st.first, scored{uint32(slot), hi})
		var kth float32
		st.lower, kth = pushLower(st.lower, approx-b, st.k)
		st.kth = max(st.floor, kth)
	}
}

// scanBlock is how many vectors the scan's first stage compares with the
// query in one call: its results stay in the first-level cache.
const scanBlock = 256

// pushLower keeps in h, a min-heap, the k largest lower bounds seen, and
// returns it with the k-th largest (minus infinity while there are fewer
// than k).
func pushLower(h []float32, x float32, k int) ([]float32, float32) {
	if len(h) < k {
		h = append(h, x)
		for i := len(h) - 1; i > 0; {
			p := (i - 1) / 2
			if h[p] <= h[i] {
				break
			}
			h[i], h[p] = h[p], h[i]
			i = p
		}
	} else if x > h[0] {
		h[0] = x
		for i := 0; ; {
			l, m := 2*i+1, i
			if l < len(h) && h[l] < h[m] {
				m = l
			}
			if r := l + 1; r < len(h) && h[r] < h[m] {
				m = r
			}
			if m == i {
				break
			}
			h[i], h[m] = h[m], h[i]
			i = m
		}
	}
	if len(h) < k {
		return h, float32(math.Inf(-1))
	}
	return h, h[0]
}

// scanFloat is the scan in float32 alone, for a query that has no int8
// form.
func (s *shard) scanFloat(acc *accumulator, qvec []float32, f *Filter, k int) []scored {
	top := newTopK(acc, k, s)
	for slot := range s.docs {
		d := &s.docs[slot]
		if s.dead[slot] || len(d.vec) != len(qvec) || !f.matchDoc(d) {
			continue
		}
		if dot := vek32.Dot(d.vec, qvec); dot > 0 { // unrelated (orthogonal or opposite) is not a match
			top.push(uint32(slot), dot)
		}
	}
	acc.sem = top.sorted(acc, acc.sem)
	return acc.sem
}

// fused is one record of a ranking: its score, its relevance (0 to 1)
// and, in a hybrid one, its raw score in each leg (0 when a leg did not
// return it).
type fused struct {
	slot                 uint32
	score, rel, lex, sem float32
}

// fuse combines two rankings (best first) into the best k, ending at the
// first record that falls below the fusion's cut-off. lexKnown is the lexical
// score of a record that matched every query word that some record has.
// pos is scratch space, zero, by slot (grown as needed).
func fuse(lex, sem []scored, f Fusion, k int, lexKnown float32, pos []int32) []fused {
	// One entry per record, in the order of first appearance (the lexical
	// ranking, then the semantic one's newcomers), which breaks ties.
	// The lexical ranking's records are found by slot through pos, zero
	// but for them while the fusion runs (a map cost a tenth of its time).
	all := make([]fused, 0, len(lex)+len(sem))
	sums := make([]float64, len(lex)+len(sem))
	for _, c := range lex {
		if int(c.slot) >= len(pos) {
			pos = make([]int32, c.slot+1)
		}
	}
	for i, c := range lex {
		all = append(all, fused{slot: c.slot, lex: c.score})
		pos[c.slot] = int32(i + 1)
	}
	semAt := make([]int, len(sem))
	for i, c := range sem {
		j := len(all)
		if int(c.slot) < len(pos) && pos[c.slot] > 0 {
			j = int(pos[c.slot] - 1)
		} else {
			all = append(all, fused{slot: c.slot})
		}
		all[j].sem = c.score
		semAt[i] = j
	}
	for _, c := range lex {
		pos[c.slot] = 0
	}
	sums = sums[:len(all)]
	switch f.Method {
	case FusionConvex:
		norm := func(list []scored, w float64, index func(i int) int) {
			if len(list) == 0 {
				return
			}
			hi, lo := float64(list[0].score), float64(list[len(list)-1].score)
			for i, c := range list {
				v := 1.0
				if hi > lo {
					v = (float64(c.score) - lo) / (hi - lo)
				}
				sums[index(i)] += w * v
			}
		}
		norm(lex, f.LexicalWeight, func(i int) int { return i })
		norm(sem, 1-f.LexicalWeight, func(i int) int { return semAt[i] })
	default:
		for i := range lex {
			sums[i] += f.LexicalWeight / (f.K + float64(i+1))
		}
		for i := range sem {
			sums[semAt[i]] += (1 - f.LexicalWeight) / (f.K + float64(i+1))
		}
	}
	// The best k by score, ties in order of appearance: sorted as
	// integers, score then position (a stable sort of the records cost
	// more than the rest of the fusion).
	order := make([]uint64, len(all))
	for i := range all {
		all[i].score = float32(sums[i])
		all[i].rel = all[i].score
		order[i] = uint64(^scoreBits(all[i].score))<<32 | uint64(i)
	}
	slices.Sort(order)
	out := make([]fused, min(k, len(all)))
	for i := range out {
		out[i] = all[uint32(order[i])]
	}
	// The cut-off: the results end at the first record that is neither
	// close in meaning nor shares enough of the query's words.
	for i, r := range out {
		if f.MinSimilarity >= 0 && float64(r.sem) < f.MinSimilarity &&
			(lexKnown <= 0 || float64(r.lex/lexKnown) < f.MinCoverage) {
			return out[:i]
		}
	}
	return out
}
