package search

import (
	"cmp"
	"context"
	"math"
	"math/bits"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/agentry/agentry/registry"
)

// Query is one search of one registry.
type Query struct {
	RegistryID string
	Text       string
	Filter     *Filter // nil: no filter
	MaxResults int     // 0 or less means 10; more than 1000 means 1000
}

// Hit is one record found, best first.
type Hit struct {
	RecordID string
	Score    float64 // the ranking's own score: BM25F, or the fused score
	// Relevance is how well the record matches the query, 0 to 1: the
	// fused score of a hybrid ranking, or for a lexical one the BM25F
	// score over that of a record matching every query word as strongly
	// as BM25 can. Results are sorted by it.
	Relevance float64
	CreatedAt time.Time
	// Fingerprint changes whenever RecordID, Revision or CreatedAt does: a
	// key for caches of what is derived from them (within this process).
	Fingerprint uint64
	// TextBytes is the length of the revision's text (name, description,
	// version and descriptor documents): what an answer carrying it will
	// weigh, known before Revision unpacks it.
	TextBytes int

	// doc is the slot as it was when the search ran: what it points to is
	// never changed, so Revision can unpack it after the shard's lock.
	doc doc

	// The cut-off's features, for its calibration (export_test.go): the
	// cosine with the query, and the lexical score over that of a record
	// matching every query word that some record has.
	sem, lexCov float32
}

// Revision returns the approved revision the hit found, the one to serve:
// a copy of its own, unpacked from the index's compact form on each call
// (a few microseconds), so callers that have what they need from it
// cached by Fingerprint skip it.
func (h *Hit) Revision() registry.Revision { return h.doc.revision() }

// Bounds that keep any query cheap, whatever its text. The API allows 256
// characters and 20 results; the evaluation sends longer task texts.
const (
	defaultMaxResults = 10
	maxHits           = 1000
	maxQueryBytes     = 16 << 10
	maxQueryTokens    = 1024
)

// Search returns the records of q.RegistryID that best match q.Text and
// pass q.Filter, best first. The filter applies before the cut to
// MaxResults. An unknown registry or a query without a single indexed word
// finds nothing. Search fails only when ctx is done.
func (ix *Index) Search(ctx context.Context, q Query) ([]Hit, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	sh := ix.shard(q.RegistryID, false)
	if sh == nil {
		return nil, nil
	}
	k := q.MaxResults
	if k <= 0 {
		k = defaultMaxResults
	}
	k = min(k, maxHits)
	if hint := hintFor(q.Text); hint != "" && !ix.set.exp.noPathHint {
		q.Text += ". " + hint
	}
	groups := ix.queryTerms(q.Text)
	// Timing each leg costs a clock read per leg, only when observed.
	var lap time.Time
	if ix.set.observe != nil {
		lap = time.Now()
	}

	var qvec *queryVectors
	if ix.set.embedder != nil && sh.hasVectors() {
		qvec = ix.embedQuery(ctx, q.Text)
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if ix.set.observe != nil {
			embedded := 0
			if qvec != nil {
				embedded = 1
			}
			lap = ix.observe(LegQueryEmbedding, lap, embedded)
		}
	}

	acc := accPool.Get().(*accumulator)
	defer accPool.Put(acc)
	sh.mu.RLock()
	defer sh.mu.RUnlock()

	var ranked []fused
	if qvec == nil {
		for _, c := range sh.lexical(&ix.set, acc, groups, q.Filter, k) {
			rel := float32(0)
			if acc.lexMax > 0 {
				rel = c.score / acc.lexMax
			}
			ranked = append(ranked, fused{slot: c.slot, score: c.score, rel: rel})
		}
		if ix.set.observe != nil {
			ix.observe(LegLexical, lap, len(ranked))
		}
	} else {
		n := max(k, ix.set.fusion.Candidates)
		lex := slices.Clone(sh.lexical(&ix.set, acc, groups, q.Filter, n))
		if ix.set.observe != nil {
			lap = ix.observe(LegLexical, lap, len(lex))
		}
		sem := sh.semantic(acc, qvec, q.Filter, n)
		if ix.set.observe != nil {
			lap = ix.observe(LegSemantic, lap, len(sem))
		}
		if len(acc.pos) < len(sh.docs) {
			acc.pos = make([]int32, len(sh.docs)+len(sh.docs)/4)
		}
		ranked = fuse(lex, sem, ix.set.fusion, k, acc.lexMax-acc.lexUnknown, acc.pos)
		ranked = capWeak(ranked, &ix.set.fusion, acc.lexMax-acc.lexUnknown)
		if ix.set.observe != nil {
			ix.observe(LegFusion, lap, len(ranked))
		}
	}
	hits := make([]Hit, len(ranked))
	for i, r := range ranked {
		d := &sh.docs[r.slot]
		hits[i] = Hit{RecordID: d.recordID, Score: float64(r.score), Relevance: float64(r.rel), CreatedAt: d.createdAt,
			Fingerprint: d.fingerprint, TextBytes: d.textBytes, doc: *d, sem: r.sem}
		if known := acc.lexMax - acc.lexUnknown; known > 0 {
			hits[i].lexCov = r.lex / known
		}
	}
	return hits, nil
}

// Leg is a part of a search that Options.Observe hears of.
type Leg uint8

// The legs of a search. A lexical-only search has only LegLexical; a
// hybrid one embeds the query, runs both legs and fuses them.
const (
	LegLexical        Leg = iota // BM25F over the inverted index
	LegSemantic                  // the query vector against the records' (scan or HNSW)
	LegQueryEmbedding            // the embedder turning the query into vectors
	LegFusion                    // combining the two rankings
	NumLegs
)

var legNames = [NumLegs]string{"lexical", "semantic", "query_embedding", "fusion"}

// String is the leg's name, as metrics label it.
func (l Leg) String() string {
	if l < NumLegs {
		return legNames[l]
	}
	return "unknown"
}

// observe reports a leg that started at start and returns the time it
// ended, the start of the next.
func (ix *Index) observe(leg Leg, start time.Time, results int) time.Time {
	now := time.Now()
	ix.set.observe(leg, now.Sub(start), results)
	return now
}

// queryGroup is one query word: its tokens (the word and its synonyms,
// which count as one term) and how often the query says it.
type queryGroup struct {
	tokens []string
	weight float32
}

// queryTerms turns query text into term groups. A query made only of stop
// words ("how do I") is read again with them, rather than finding nothing.
func (ix *Index) queryTerms(text string) []queryGroup {
	if len(text) > maxQueryBytes {
		text = truncateUTF8(text, maxQueryBytes)
	}
	toks := collect(ix.set.an, text)
	if len(toks) == 0 && ix.set.an.stopWords {
		a := *ix.set.an
		a.stopWords = false
		toks = collect(&a, text)
	}
	var groups []queryGroup
	index := map[string]int{} // first token of a group -> position
	for _, t := range toks {
		g := ix.set.synonyms[t]
		if g == nil {
			g = []string{t}
		}
		const w = 1
		if i, ok := index[g[0]]; ok {
			// A word repeated in a long task text is rarely twice as
			// important; counting it once measured better.
			if ix.set.exp.countRepeats {
				groups[i].weight += w
			}
			continue
		}
		index[g[0]] = len(groups)
		groups = append(groups, queryGroup{tokens: g, weight: w})
	}
	return groups
}

func collect(a *analyzer, text string) []string {
	var toks []string
	a.each(text, func(b []byte) bool {
		toks = append(toks, string(b))
		return len(toks) < maxQueryTokens
	})
	return toks
}

// accumulator is the per-query scratch space, pooled so a search does not
// allocate per posting or per record.
type accumulator struct {
	score    []float32 // by slot; zero outside touched
	touched  []uint32
	tf       []float32 // by slot, for synonym groups; zero outside tfSlots
	tfSlots  []uint32
	top      []scored
	heap     []ranked // topK's
	pos      []int32  // fuse's, by slot
	order    []uint64 // and its sort's
	sem      []scored // the semantic leg's result
	rescored []scored // and again, ranked by a query's sentences
	ann      annScratch
	terms    []qterm
	ids      []uint32
	bits     []uint64  // zero; sortSlots' bitmap
	q16      query16   // the query of the semantic scan, in int16
	first    []scored  // the scan's first stage: candidates and their upper bounds
	lower    []float32 // and a min-heap of the k best lower bounds
	dots     []int32   // and a block of its dot products
	mask     []uint16  // and which of them may rank (scanMaskAVX512)

	hist  [scoreBuckets]uint32 // cutScores', zero between calls
	sure  []scored             // the lexical leg's records certain to rank
	scale float32              // a score's bucket is its score times scale

	// lexMax is what the lexical leg's score of the last query would be
	// for a record that matched every query word as strongly as BM25 can:
	// the sum of the words' weights, a word no record has counting as
	// the rarest; lexUnknown is the part of it that such words make up.
	lexMax, lexUnknown float32
}

var accPool = sync.Pool{New: func() any { return new(accumulator) }}

func (a *accumulator) size(n int) {
	if len(a.score) < n {
		a.score = make([]float32, n+n/4)
		a.tf = make([]float32, n+n/4)
	}
}

type scored struct {
	slot  uint32
	score float32
}

// qterm is one query group resolved against a shard: its term ids and
// its weight (IDF times the query weight), which bounds what it can add
// to a record's score, since BM25's saturated frequency stays below 1.
type qterm struct {
	ids  []uint32
	idf  float32
	cost int // postings to read
}

// lexical scores the query with BM25F and returns the best k slots that
// pass the filter, best first. The result aliases acc.
//
// Terms are scored rarest first, and once the terms left cannot lift a
// record that has not been seen yet into the top k (the sum of their
// weights is below the k-th best score so far, "max-score" pruning), they
// only update the records already seen, found by galloping search in
// their postings instead of a full scan. The ranking is exact; common
// words in a large registry just stop costing a pass over their lists.
// Both the k-th score and the final top k are found through a histogram
// of the scores (cutScores): a pass that counts, not a heap that compares.
func (s *shard) lexical(set *settings, acc *accumulator, groups []queryGroup, f *Filter, k int) []scored {
	acc.lexMax, acc.lexUnknown = 0, 0
	if s.live == 0 || len(groups) == 0 {
		return nil
	}
	acc.size(len(s.docs))
	n := float64(s.live)
	terms := acc.terms[:0]
	idBuf := acc.ids[:0]
	for _, g := range groups {
		start, df, cost := len(idBuf), uint32(0), 0
		for _, t := range g.tokens {
			if id, ok := s.terms[t]; ok && s.df[id] > 0 {
				idBuf = append(idBuf, id)
				// As Lucene's SynonymQuery: a group's document frequency is
				// that of its most frequent term.
				df = max(df, s.df[id])
				cost += len(s.postings[id].slots)
			}
		}
		idf := g.weight * bm25IDF(n, float64(df))
		acc.lexMax += idf
		if len(idBuf) == start {
			acc.lexUnknown += idf
		}
		if len(idBuf) > start {
			terms = append(terms, qterm{ids: idBuf[start:len(idBuf):len(idBuf)], idf: idf, cost: cost})
		}
	}
	acc.terms, acc.ids = terms, idBuf
	slices.SortStableFunc(terms, func(a, b qterm) int { return cmp.Compare(b.idf, a.idf) })
	rest := float32(0) // sum of the weights of the terms not yet scored
	for _, t := range terms {
		rest += t.idf
	}
	// No record scores more than rest: the buckets of cutScores span that.
	acc.scale = 0
	if rest > 0 {
		acc.scale = scoreBuckets / rest
	}

	score := acc.score
	acc.touched = acc.touched[:0]
	pruned := false
	for i, t := range terms {
		// Before a costly term, see whether pruning applies: it costs a
		// pass over the records seen so far.
		if i > 0 && len(acc.touched) >= k && !set.exp.noPrune && remainingCost(terms[i:]) > len(acc.touched) {
			if theta := s.kthBound(acc, f, k); pruned || rest < theta {
				pruned = true
				s.keepContenders(acc, f, theta, rest)
			}
		}
		if pruned {
			s.scoreSeen(set, acc, t)
		} else {
			s.scoreAll(set, acc, t)
		}
		rest -= t.idf
	}

	// The records above the bucket of the k-th best score rank for sure;
	// only those of its bucket compete in the heap for the places left.
	// Pushing every record seen cost a third of the leg at k = 100.
	cut, above := s.cutScores(acc, f, k)
	top := newTopK(acc, k-above, s)
	sure := acc.sure[:0]
	for _, slot := range acc.touched {
		v := score[slot]
		score[slot] = 0
		b := bucketOf(v, acc.scale)
		if b < cut || s.dead[slot] || !f.matchDoc(&s.docs[slot]) {
			continue
		}
		if b > cut {
			sure = append(sure, scored{slot, v})
		} else {
			top.push(slot, v)
		}
	}
	top.k = k
	for _, c := range sure {
		top.add(c.slot, c.score)
	}
	acc.sure = sure
	acc.top = top.sorted(acc, acc.top)
	return acc.top
}

// scoreBuckets is how many buckets cutScores sorts the scores of a
// query's records into, by value from 0 to the most a record can score: a
// power of two.
const scoreBuckets = 2048

// bucketOf is the bucket of a score: a higher score is never in a lower
// bucket, and equal scores share theirs.
func bucketOf(v, scale float32) int {
	return min(int(v*scale), scoreBuckets-1)
}

// cutScores finds the bucket that holds the k-th best score of the live
// records of acc.touched that pass f (cut), and how many of them score in
// the buckets above it (above, fewer than k). When fewer than k records
// qualify, cut is -1 and above 0: every one ranks. One pass counting per
// bucket, without the comparisons of a heap.
func (s *shard) cutScores(acc *accumulator, f *Filter, k int) (cut, above int) {
	hist, score, scale := &acc.hist, acc.score, acc.scale
	// Buckets are never negative: the mask only spares a bounds check.
	const mask = scoreBuckets - 1
	n, top := 0, 0 // top: the highest bucket used, where the search starts
	if f == nil && s.deadSlots == 0 {
		for _, slot := range acc.touched {
			b := bucketOf(score[slot], scale) & mask
			hist[b]++
			top = max(top, b)
		}
		n = len(acc.touched)
	} else {
		for _, slot := range acc.touched {
			if !s.dead[slot] && f.matchDoc(&s.docs[slot]) {
				b := bucketOf(score[slot], scale) & mask
				hist[b]++
				top = max(top, b)
				n++
			}
		}
	}
	cut = -1
	if n >= k {
		for b := top; b >= 0; b-- {
			if above+int(hist[b]) >= k {
				cut = b
				break
			}
			above += int(hist[b])
		}
	}
	clear(hist[:top+1])
	return cut, above
}

// scoreAll adds a term's contribution to every record that has it.
func (s *shard) scoreAll(set *settings, acc *accumulator, t qterm) {
	norm, k1, idf := &s.norm, set.k1, t.idf
	score, touched := acc.score, acc.touched
	if len(t.ids) == 1 {
		// The common case: one term, scored straight from its postings.
		p := &s.postings[t.ids[0]]
		slots := p.slots
		meta := p.meta[:len(slots)] // one bounds check, not one a posting
		for i := 0; i < len(slots); {
			slot := slots[i]
			var tf float32
			for ; i < len(slots) && slots[i] == slot; i++ {
				m := meta[i]
				tf += float32(m>>metaTFShift&maxTF) * norm[m>>metaFieldShift<<8|m&0xff]
			}
			if tf == 0 {
				continue
			}
			if score[slot] == 0 {
				touched = append(touched, slot)
			}
			score[slot] += idf * tf / (k1 + tf)
		}
		acc.touched = touched
		return
	}
	// Synonyms count as one term: their frequencies add up before
	// saturation.
	tfs, tfSlots := acc.tf, acc.tfSlots[:0]
	for _, id := range t.ids {
		p := &s.postings[id]
		for i, slot := range p.slots {
			m := p.meta[i]
			v := float32(m>>metaTFShift&maxTF) * norm[m>>metaFieldShift<<8|m&0xff]
			if v == 0 {
				continue
			}
			if tfs[slot] == 0 {
				tfSlots = append(tfSlots, slot)
			}
			tfs[slot] += v
		}
	}
	for _, slot := range tfSlots {
		tf := tfs[slot]
		tfs[slot] = 0
		if score[slot] == 0 {
			touched = append(touched, slot)
		}
		score[slot] += idf * tf / (k1 + tf)
	}
	acc.touched, acc.tfSlots = touched, tfSlots[:0]
}

func remainingCost(terms []qterm) int {
	n := 0
	for _, t := range terms {
		n += t.cost
	}
	return n
}

// keepContenders drops from acc.touched the records that can no longer
// reach the top k: dead, filtered out, or too far behind the k-th best
// score (theta) for the terms left (whose weights sum to rest) to close
// the gap. Their scores are reset; the rest is sorted by slot.
func (s *shard) keepContenders(acc *accumulator, f *Filter, theta, rest float32) {
	kept := acc.touched[:0]
	for _, slot := range acc.touched {
		if v := acc.score[slot]; v+rest >= theta && !s.dead[slot] && f.matchDoc(&s.docs[slot]) {
			kept = append(kept, slot)
		} else {
			acc.score[slot] = 0
		}
	}
	acc.touched = sortSlots(acc, kept, len(s.docs))
}

// sortSlots sorts distinct slots below n in place. Many of them (more
// than one in 64 of n, as after a common first term) are sorted through a
// bitmap of n bits, a pass over n/64 words instead of a comparison sort;
// the first pruning of a query sorted thousands of slots that way.
func sortSlots(acc *accumulator, slots []uint32, n int) []uint32 {
	if slices.IsSorted(slots) {
		return slots // pruned again: still in order
	}
	if len(slots)*64 < n {
		slices.Sort(slots)
		return slots
	}
	nw := (n + 63) / 64
	if cap(acc.bits) < nw {
		acc.bits = make([]uint64, nw+nw/4)
	}
	set := acc.bits[:nw]
	for _, slot := range slots {
		set[slot/64] |= 1 << (slot % 64)
	}
	out := slots[:0] // never ahead of what was read: the bitmap holds it all
	for w, b := range set {
		for b != 0 {
			out = append(out, uint32(w*64+bits.TrailingZeros64(b)))
			b &= b - 1
		}
		set[w] = 0
	}
	return out
}

// scoreSeen adds a term's contribution to the records still in the race
// (acc.touched, sorted by slot): by galloping search in the term's
// postings when they are few, else by one pass that skips the others.
func (s *shard) scoreSeen(set *settings, acc *accumulator, t qterm) {
	norm, k1, idf := &s.norm, set.k1, t.idf
	score, tfs := acc.score, acc.tf
	for _, id := range t.ids {
		p := &s.postings[id]
		slots, meta := p.slots, p.meta
		if len(acc.touched)*8 > len(slots) {
			for j, slot := range slots {
				if score[slot] != 0 {
					m := meta[j]
					tfs[slot] += float32(m>>metaTFShift&maxTF) * norm[m>>metaFieldShift<<8|m&0xff]
				}
			}
			continue
		}
		j := 0
		for _, slot := range acc.touched {
			if j = gallop(slots, j, slot); j == len(slots) {
				break
			}
			for ; j < len(slots) && slots[j] == slot; j++ {
				m := meta[j]
				tfs[slot] += float32(m>>metaTFShift&maxTF) * norm[m>>metaFieldShift<<8|m&0xff]
			}
		}
	}
	for _, slot := range acc.touched {
		if tf := tfs[slot]; tf > 0 {
			tfs[slot] = 0
			score[slot] += idf * tf / (k1 + tf)
		}
	}
}

// gallop returns the first index at or after from whose slot is at least
// target: exponential steps, then binary search.
func gallop(slots []uint32, from int, target uint32) int {
	lo, step := from, 1
	hi := from
	for hi < len(slots) && slots[hi] < target {
		lo = hi + 1
		hi += step
		step <<= 1
	}
	hi = min(hi, len(slots))
	for lo < hi {
		mid := int(uint(lo+hi) >> 1)
		if slots[mid] < target {
			lo = mid + 1
		} else {
			hi = mid
		}
	}
	return lo
}

// kthBound returns a score below the k-th best among the live records
// seen so far that pass the filter: the top of the buckets under the one
// that holds it (cutScores). Pruning with it is as exact as with the k-th
// score itself, which cost a second pass and a heap; the buckets are
// narrow enough that it prunes about as much. It is 0 (nothing can be
// pruned) when fewer than k records qualify.
func (s *shard) kthBound(acc *accumulator, f *Filter, k int) float32 {
	cut, _ := s.cutScores(acc, f, k)
	if cut <= 0 {
		return 0
	}
	// A score whose bucket is below cut: every record of the cut bucket
	// or above scores more (bucketOf never ranks a lower score higher).
	v := float32(cut) / acc.scale
	for v > 0 && bucketOf(v, acc.scale) >= cut {
		v = math.Nextafter32(v, 0)
	}
	return v
}

// bm25IDF is Lucene's variant, which is never negative.
func bm25IDF(n, df float64) float32 {
	return float32(math.Log(1 + (n-df+0.5)/(df+0.5)))
}

// topK keeps the k best of the scores pushed to it (ties broken by record
// id, so results are stable); its methods allocate nothing once h has
// room for k. Ties are common (records of the same text): reading the
// record id from its slot for each comparison was a cache miss that cost a
// fifth of a hybrid search, so each record kept carries its idKey, read
// from the shard's compact array of them.
type topK struct {
	h    []ranked // a min-heap on rank: h[0] is the worst kept
	k    int
	docs []doc
	keys []idKey
}

// ranked is an entry of topK.
type ranked struct {
	score float32
	slot  uint32
	key   idKey // keys[slot]
}

// newTopK returns a topK of k that uses acc's scratch heap; the caller
// hands it back with sorted.
func newTopK(acc *accumulator, k int, s *shard) topK {
	return topK{h: acc.heap[:0], k: k, docs: s.docs, keys: s.keys}
}

// worse reports whether a ranks below b.
func (t *topK) worse(a, b *ranked) bool {
	if a.score != b.score {
		return a.score < b.score
	}
	if a.key != b.key {
		return b.key.less(a.key)
	}
	return t.docs[a.slot].recordID > t.docs[b.slot].recordID
}

func (t *topK) push(slot uint32, score float32) {
	h := t.h
	if len(h) == t.k && (score < h[0].score || score == h[0].score && slot == h[0].slot) {
		return // the common case, decided without reading the slot
	}
	c := ranked{score, slot, t.keys[slot]}
	if len(h) < t.k {
		h = append(h, c)
		for i := len(h) - 1; i > 0; {
			p := (i - 1) / 2
			if !t.worse(&h[i], &h[p]) {
				break
			}
			h[i], h[p] = h[p], h[i]
			i = p
		}
		t.h = h
		return
	}
	if t.worse(&c, &h[0]) {
		return
	}
	h[0] = c
	for i := 0; ; {
		l := 2*i + 1
		if l >= len(h) {
			return
		}
		m := l
		if r := l + 1; r < len(h) && t.worse(&h[r], &h[l]) {
			m = r
		}
		if !t.worse(&h[m], &h[i]) {
			return
		}
		h[i], h[m] = h[m], h[i]
		i = m
	}
}

// add keeps slot among the candidates without the heap: sorted then
// keeps the best k. For a few more than k candidates, cheaper than push.
func (t *topK) add(slot uint32, score float32) {
	t.h = append(t.h, ranked{score, slot, t.keys[slot]})
}

// sorted writes the best k scores kept to dst[:0], best first, and returns
// it; the heap goes back to acc for the next topK. The scores are sorted
// as integers (a comparison function cost ten times as much), then runs of
// equal scores by record id.
func (t *topK) sorted(acc *accumulator, dst []scored) []scored {
	order := acc.order[:0]
	for i, c := range t.h {
		order = append(order, uint64(^scoreBits(c.score))<<32|uint64(i))
	}
	slices.Sort(order)
	dst = dst[:0]
	for i := 0; i < len(order); {
		j := i + 1
		for j < len(order) && order[j]>>32 == order[i]>>32 {
			j++
		}
		run := order[i:j]
		if len(run) > 1 {
			// Equal scores: by key, then record id (worse's order), in one
			// comparison where two calls of worse cost twice as much.
			slices.SortFunc(run, func(a, b uint64) int {
				x, y := &t.h[uint32(a)], &t.h[uint32(b)]
				if x.key != y.key {
					if x.key.less(y.key) {
						return -1
					}
					return 1
				}
				return strings.Compare(t.docs[x.slot].recordID, t.docs[y.slot].recordID)
			})
		}
		for _, o := range run {
			c := &t.h[uint32(o)]
			dst = append(dst, scored{c.slot, c.score})
		}
		i = j
	}
	acc.heap, acc.order = t.h[:0], order
	return dst[:min(len(dst), t.k)]
}

// scoreBits maps scores to integers in the same order.
func scoreBits(f float32) uint32 {
	if f == 0 {
		f = 0 // -0 ranks as 0
	}
	b := math.Float32bits(f)
	if b>>31 != 0 {
		return ^b
	}
	return b | 1<<31
}
