package search

import (
	"cmp"
	"math"
	"slices"
)

// Soft matching: how much of a query a record covers, word by word, when
// words may differ ("notes" for "journal"). For each query word, its best
// cosine with the words of the record (the model's static word vectors),
// 1 for the word itself anywhere in the record; the coverage is the mean
// over the query's words weighted by their IDF. It helps paraphrases, and
// it says better than the whole-text cosine whether a record answers at
// all: for "order a large pepperoni pizza" no record has a word near
// "pizza" or "pepperoni", though some are close to "order".

// WordEmbedder is an Embedder that has a vector per word too, for soft
// matching. semantic.Model is one.
type WordEmbedder interface {
	Embedder
	// WordID returns the row of a token (as Tokenize makes it) in
	// WordRows, or -1 for a word the model does not know.
	WordID(token string) int32
	// WordRows returns every word's vector in int8, row by row, each of
	// Dimension() numbers and known up to a positive factor.
	WordRows() []int8
}

// maxDocWords bounds the distinct words kept per record for soft
// matching, from the start of its text to embed (title, name,
// description, tool names first).
const maxDocWords = 64

// wordTable is a WordEmbedder's rows, with their inverse lengths.
type wordTable struct {
	e    WordEmbedder
	rows []int8
	dim  int
	inv  []float32 // 1 / length of each row; 0 for a zero row
}

func newWordTable(e Embedder) *wordTable {
	we, ok := e.(WordEmbedder)
	if !ok {
		return nil
	}
	rows, dim := we.WordRows(), we.Dimension()
	if dim <= 0 || len(rows) == 0 || len(rows)%dim != 0 {
		return nil
	}
	t := &wordTable{e: we, rows: rows, dim: dim, inv: make([]float32, len(rows)/dim)}
	for i := range t.inv {
		var sum int64
		for _, x := range rows[i*dim : (i+1)*dim] {
			sum += int64(x) * int64(x)
		}
		if sum > 0 {
			t.inv[i] = float32(1 / math.Sqrt(float64(sum)))
		}
	}
	return t
}

// docWords returns the distinct known words of a record's text to embed,
// at most maxDocWords, in order.
func (t *wordTable) docWords(an *analyzer, text string) []int32 {
	var out []int32
	an.each(text, func(tok []byte) bool {
		if id := t.e.WordID(string(tok)); id >= 0 && !slices.Contains(out, id) {
			out = append(out, id)
		}
		return len(out) < maxDocWords
	})
	return slices.Clip(out)
}

// softWord is one query word, ready for soft matching.
type softWord struct {
	term   uint32  // its term id in the shard, when some record has it
	inDocs bool    // some record has it
	id     int32   // its row, or -1
	q      []int16 // its row, widened for dot8
	inv    float32
	weight float32 // IDF
}

// softQuery resolves the query's words against a shard. Words are
// counted once.
func (s *shard) softQuery(t *wordTable, toks []string, buf []softWord, q16 []int16) ([]softWord, []int16) {
	out := buf[:0]
	n := float64(s.live)
	for i, tok := range toks {
		if slices.Contains(toks[:i], tok) {
			continue
		}
		w := softWord{id: t.e.WordID(tok)}
		df := uint32(0)
		if id, ok := s.terms[tok]; ok && s.df[id] > 0 {
			w.term, w.inDocs, df = id, true, s.df[id]
		}
		w.weight = bm25IDF(n, float64(df))
		if w.id >= 0 {
			row := t.rows[int(w.id)*t.dim : int(w.id+1)*t.dim]
			start := len(q16)
			for _, x := range row {
				q16 = append(q16, int16(x))
			}
			w.q, w.inv = q16[start:len(q16):len(q16)], t.inv[w.id]
		}
		out = append(out, w)
	}
	return out, q16
}

// coverage is how much of the query (its words qw) the record in slot
// covers, 0 to 1. A word's match below floor counts as none, and the
// rest is scaled to 0..1.
func (s *shard) coverage(t *wordTable, qw []softWord, slot uint32, floor float32) float32 {
	words := s.docs[slot].words
	var got, total float32
	for i := range qw {
		w := &qw[i]
		total += w.weight
		if w.inDocs && s.hasTerm(w.term, slot) {
			got += w.weight
			continue
		}
		if w.id < 0 {
			continue
		}
		best := float32(0)
		for _, d := range words {
			if d == w.id {
				best = 1
				break
			}
			c := float32(dot8(t.rows[int(d)*t.dim:int(d+1)*t.dim], w.q)) * t.inv[d] * w.inv
			best = max(best, c)
		}
		if best > floor {
			got += w.weight * (best - floor) / (1 - floor)
		}
	}
	if total == 0 {
		return 0
	}
	return got / total
}

// hasTerm reports whether the record in slot has the term, in any field.
func (s *shard) hasTerm(term, slot uint32) bool {
	slots := s.postings[term].slots
	i := gallop(slots, 0, slot)
	return i < len(slots) && slots[i] == slot
}

// finish ranks the fused records again with their soft coverage of the
// query, when the index has word vectors, and returns the best k up to
// the cut-off. lexKnown is the lexical score of a record that matched
// every query word that some record has.
func (s *shard) finish(set *settings, acc *accumulator, text string, ranked []fused, k int, lexKnown float32) []fused {
	f := &set.fusion
	t := set.words
	if t != nil && len(ranked) > 0 {
		if len(text) > maxQueryBytes {
			text = truncateUTF8(text, maxQueryBytes)
		}
		acc.soft, acc.soft16 = s.softQuery(t, collect(set.an, text), acc.soft, acc.soft16[:0])
		for i := range ranked {
			r := &ranked[i]
			r.cov = s.coverage(t, acc.soft, r.slot, set.softFloor)
			if f.SoftWeight > 0 {
				r.score += float32(f.SoftWeight) * r.cov
				r.rel = r.score / float32(1+f.SoftWeight)
			}
		}
		if f.SoftWeight > 0 {
			slices.SortStableFunc(ranked, func(a, b fused) int { return cmp.Compare(b.score, a.score) })
		}
	}
	ranked = ranked[:min(k, len(ranked))]
	for i := range ranked {
		r := &ranked[i]
		if lexKnown > 0 {
			r.lexCov = r.lex / lexKnown
		}
		old := weak(r, f, lexKnown)
		soft := t != nil && f.MinSoftCoverage > 0 && float64(r.cov) < f.MinSoftCoverage
		var cut bool
		switch set.softCut {
		case 0:
			cut = old
		case 1:
			cut = soft
		case 2:
			cut = old && soft
		case 3:
			cut = old || soft
		}
		if cut {
			return ranked[:i]
		}
	}
	return ranked
}

// Soft matching's defaults (docs/search-quality.md, "Session 5").
var (
	defaultSoftWeight      = -1.0
	defaultMinSoftCoverage = -1.0
)
