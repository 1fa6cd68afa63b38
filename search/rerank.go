package search

import (
	"math"
	"slices"
)

// The re-ranker (docs/search-quality.md, "A learned re-ranker, session
// 7"): the fused ranking's first rerankDepth records are ordered again by
// a linear model of features the index has at hand: both legs' scores
// and ranks, how much of the query's weight the record matches and in
// which fields (name and title, tool names, descriptions), and the
// length of its text. The weights were learnt on MetaTool (single-tool
// queries), measured held out by tool, and frozen (metaToolRerank). It
// is off unless Fusion.Rerank asks for it.

// rerankDepth is how many of the fused ranking's first records are
// ranked again.
const rerankDepth = 30

// The features of a candidate, in the order of the weights.
const (
	rfFused     = iota // the convex fusion's score
	rfLexShare         // lexical score over the best candidate's
	rfLexCov           // lexical score over that of a whole-query match
	rfSem              // similarity with the query (the cut-off's cosine)
	rfSemGap           // similarity less the best candidate's
	rfIDFShare         // share of the query words' weight the record has
	rfRareShare        // share of the rare query words the record has
	rfNameScore        // BM25F from name and title, over a whole-query match
	rfToolScore        // BM25F from tool names, over a whole-query match
	rfDescScore        // BM25F from descriptions, over a whole-query match
	rfNameWords        // share of the query words found in name or title
	rfLength           // log of the record's text length
	rfLexRank          // 1 / (1 + rank in the lexical leg), 0 when absent
	rfSemRank          // 1 / (1 + rank in the semantic leg), 0 when absent
	numRerankFeatures
)

// rerankModel is a linear model: a candidate's score is the dot product
// of its features with w.
type rerankModel struct {
	w [numRerankFeatures]float32
}

// rerankFeatures are one candidate's features.
type rerankFeatures [numRerankFeatures]float32

// rareShare: a query word is rare when its weight is at least this share
// of the rarest word's.
const rareShare = 0.6

// features fills feats[i] with the features of cands[i]. lexBest and
// semBest are the legs' best scores, lexKnown the lexical score of a
// whole-query match. It reads acc.terms, the query's terms as the lexical
// leg resolved them, and walks their postings once per term, candidates
// in slot order.
func (s *shard) features(set *settings, acc *accumulator, cands []fused, lexBest, semBest, lexKnown float32, feats []rerankFeatures) {
	n := len(cands)
	order := acc.rrOrder[:0]
	for i, c := range cands {
		order = append(order, uint64(c.slot)<<32|uint64(i))
	}
	slices.Sort(order)
	acc.rrOrder = order
	if cap(acc.rrTF) < n*int(NumFields) {
		acc.rrTF = make([]float32, rerankDepth*int(NumFields)+n*int(NumFields))
	}
	tfs := acc.rrTF[:n*int(NumFields)]
	clear(feats)
	var idfSum, rareSum, maxIDF float32
	for _, t := range acc.terms {
		maxIDF = max(maxIDF, t.idf)
	}
	nameWords := make32(acc, n)
	for _, t := range acc.terms {
		idfSum += t.idf
		rare := t.idf >= rareShare*maxIDF
		if rare {
			rareSum += t.idf
		}
		for _, id := range t.ids {
			p := &s.postings[id]
			j := 0
			for _, o := range order {
				slot, i := uint32(o>>32), int(uint32(o))
				if j = gallop(p.slots, j, slot); j == len(p.slots) {
					break
				}
				for ; j < len(p.slots) && p.slots[j] == slot; j++ {
					m := p.meta[j]
					f := m >> metaFieldShift
					tfs[i*int(NumFields)+int(f)] += float32(m>>metaTFShift&maxTF) * s.norm[f<<8|m&0xff]
				}
			}
		}
		for i := range n {
			row := tfs[i*int(NumFields) : (i+1)*int(NumFields)]
			var tf float32
			for _, v := range row {
				tf += v
			}
			if tf == 0 {
				continue
			}
			ft := &feats[i]
			sat := t.idf / (set.k1 + tf)
			ft[rfIDFShare] += t.idf
			if rare {
				ft[rfRareShare] += t.idf
			}
			name := row[FieldName] + row[FieldTitle]
			ft[rfNameScore] += sat * name
			ft[rfToolScore] += sat * row[FieldToolName]
			ft[rfDescScore] += sat * (row[FieldDescription] + row[FieldToolDescription])
			if name > 0 {
				nameWords[i]++
			}
			clear(row)
		}
	}
	for i, c := range cands {
		ft := &feats[i]
		ft[rfFused] = c.score
		if lexBest > 0 {
			ft[rfLexShare] = c.lex / lexBest
		}
		if lexKnown > 0 {
			ft[rfLexCov] = min(c.lex/lexKnown, 1.5)
			ft[rfNameScore] /= lexKnown
			ft[rfToolScore] /= lexKnown
			ft[rfDescScore] /= lexKnown
		}
		ft[rfSem] = c.sem
		ft[rfSemGap] = c.sem - semBest
		if idfSum > 0 {
			ft[rfIDFShare] /= idfSum
		}
		if rareSum > 0 {
			ft[rfRareShare] /= rareSum
		}
		if len(acc.terms) > 0 {
			ft[rfNameWords] = nameWords[i] / float32(len(acc.terms))
		}
		ft[rfLength] = float32(math.Log1p(float64(s.docs[c.slot].textBytes)) / 10)
		if c.lexRank > 0 {
			ft[rfLexRank] = 1 / float32(c.lexRank)
		}
		if c.semRank > 0 {
			ft[rfSemRank] = 1 / float32(c.semRank)
		}
	}
}

// make32 returns n zeros from acc's scratch.
func make32(acc *accumulator, n int) []float32 {
	if cap(acc.rrCount) < n {
		acc.rrCount = make([]float32, max(n, rerankDepth))
	}
	acc.rrCount = acc.rrCount[:n]
	clear(acc.rrCount)
	return acc.rrCount
}

// rerank orders cands again by the model's score of their features, ties
// in their fused order. The score becomes the record's score, and its
// relevance the score's logistic, 0 to 1.
func (s *shard) rerank(set *settings, acc *accumulator, m *rerankModel, cands []fused, lexBest, semBest, lexKnown float32) {
	if len(acc.rrFeats) < len(cands) {
		acc.rrFeats = make([]rerankFeatures, max(len(cands), rerankDepth))
	}
	feats := acc.rrFeats[:len(cands)]
	s.features(set, acc, cands, lexBest, semBest, lexKnown, feats)
	order := acc.rrOrder[:0]
	for i := range cands {
		var v float32
		for j, w := range m.w {
			v += w * feats[i][j]
		}
		cands[i].score = v
		cands[i].rel = float32(1 / (1 + math.Exp(-float64(v))))
		order = append(order, uint64(^scoreBits(v))<<32|uint64(i))
	}
	slices.Sort(order)
	acc.rrOrder = order
	sorted := acc.rrCands[:0]
	for _, o := range order {
		sorted = append(sorted, cands[uint32(o)])
	}
	copy(cands, sorted)
	acc.rrCands = sorted
}

// metaToolRerank holds the frozen weights: pairwise logistic regression
// on every MetaTool single-tool query (TestTrainReranker, "N=30, all
// features").
var metaToolRerank = rerankModel{w: [numRerankFeatures]float32{
	rfFused: 1.8530, rfLexShare: 1.2942, rfLexCov: 0.3851, rfSem: 4.1700, rfSemGap: 2.0031,
	rfIDFShare: 0.0183, rfRareShare: -0.0940, rfNameScore: 0.3883, rfToolScore: 0, rfDescScore: 0.4532,
	rfNameWords: 0.3494, rfLength: 5.6894, rfLexRank: 0.5904, rfSemRank: 0.4470,
}}
