package embedding

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"unicode/utf8"
)

// A model turns one word into token ids, as the "model" of tokenizer.json
// does. encode appends to ids; -1 stands for a piece the vocabulary does
// not have (the unknown token when there is none).
type model interface {
	encode(ids []int32, word []byte, sc *scratch) []int32
	// vocab calls f for every token of the vocabulary.
	vocab(f func(token string, id int32))
	// unk is the unknown token's id, or -1.
	unk() int32
}

// maxVocab bounds token ids, so that a corrupt file cannot make the
// tables built from them huge; the largest vocabularies have about 10^6.
const maxVocab = 1 << 24

func checkID(token string, id int64) error {
	if id < 0 || id >= maxVocab {
		return fmt.Errorf("token %.40q has id %d outside [0, %d)", token, id, maxVocab)
	}
	return nil
}

// vocabMap reads a {"token": id} vocabulary.
func vocabMap(raw json.RawMessage) (map[string]int32, error) {
	var v map[string]int64
	if err := json.Unmarshal(raw, &v); err != nil {
		return nil, fmt.Errorf("vocab: %w", err)
	}
	if len(v) == 0 {
		return nil, errors.New("empty vocab")
	}
	m := make(map[string]int32, len(v))
	for tok, id := range v {
		if err := checkID(tok, id); err != nil {
			return nil, err
		}
		m[tok] = int32(id)
	}
	return m, nil
}

func lookup(m map[string]int32, tok string) int32 {
	if id, ok := m[tok]; ok {
		return id
	}
	return -1
}

func mapVocab(m map[string]int32, f func(string, int32)) {
	for tok, id := range m {
		f(tok, id)
	}
}

// wordPiece is BERT's model: greedy longest-match-first, with "##" before
// every piece but the first; a word with a piece the vocabulary lacks, or
// longer than maxChars characters, is the unknown token as a whole.
type wordPiece struct {
	vocabulary map[string]int32
	prefix     string
	unkID      int32
	maxChars   int
}

func (w *wordPiece) unk() int32                  { return w.unkID }
func (w *wordPiece) vocab(f func(string, int32)) { mapVocab(w.vocabulary, f) }
func (w *wordPiece) encode(ids []int32, word []byte, sc *scratch) []int32 {
	if utf8.RuneCount(word) > w.maxChars {
		return append(ids, w.unkID)
	}
	first := len(ids)
	for start := 0; start < len(word); {
		end, id := len(word), int32(-1)
		for start < end {
			var ok bool
			if start == 0 {
				id, ok = w.vocabulary[string(word[:end])]
			} else {
				// The key is built in scratch space: no allocation.
				sc.key = append(append(sc.key[:0], w.prefix...), word[start:end]...)
				id, ok = w.vocabulary[string(sc.key)]
			}
			if ok {
				break
			}
			id = -1
			_, n := utf8.DecodeLastRune(word[start:end])
			end -= n
		}
		if id < 0 {
			return append(ids[:first], w.unkID)
		}
		ids = append(ids, id)
		start = end
	}
	return ids
}

// wordLevel maps whole words.
type wordLevel struct {
	vocabulary map[string]int32
	unkID      int32
}

func (w *wordLevel) unk() int32                  { return w.unkID }
func (w *wordLevel) vocab(f func(string, int32)) { mapVocab(w.vocabulary, f) }
func (w *wordLevel) encode(ids []int32, word []byte, sc *scratch) []int32 {
	if id, ok := w.vocabulary[string(word)]; ok {
		return append(ids, id)
	}
	return append(ids, w.unkID)
}

// byteTokens finds the <0xXX> tokens of byte fallback.
func byteTokens(m map[string]int32) (t [256]int32) {
	for b := range t {
		t[b] = lookup(m, fmt.Sprintf("<0x%02X>", b))
	}
	return t
}

// appendBytes appends the byte-fallback tokens of s, or unk when one is
// missing.
func appendBytes(ids []int32, s []byte, table *[256]int32, unk int32) []int32 {
	for _, b := range s {
		if table[b] < 0 {
			return append(ids, unk)
		}
	}
	for _, b := range s {
		ids = append(ids, table[b])
	}
	return ids
}

// unigram is SentencePiece's model: the segmentation with the highest
// total log-probability (Viterbi over a trie of the pieces); characters no
// piece covers are the unknown token, scored below every piece.
type unigram struct {
	pieces       []string
	scores       []float64
	trie         trie
	unkID        int32
	unkScore     float64
	byteFallback bool
	bytes        [256]int32
}

// maxPieceBytes bounds a Unigram piece, and so the depth of the trie.
const maxPieceBytes = 1 << 10

// unigramUnkPenalty is the tokenizers library's penalty for the unknown
// token below the lowest piece score.
const unigramUnkPenalty = 10.0

func newUnigram(raw json.RawMessage, unkID *int64, byteFallback bool) (*unigram, error) {
	var vocab [][2]json.RawMessage
	if err := json.Unmarshal(raw, &vocab); err != nil {
		return nil, fmt.Errorf("unigram vocab: %w", err)
	}
	if len(vocab) == 0 {
		return nil, errors.New("empty vocab")
	}
	if len(vocab) > maxVocab {
		return nil, fmt.Errorf("vocab of %d pieces", len(vocab))
	}
	u := &unigram{pieces: make([]string, len(vocab)), scores: make([]float64, len(vocab)), unkID: -1, byteFallback: byteFallback}
	minScore := math.Inf(1)
	ids := make(map[string]int32, len(vocab))
	for i, e := range vocab {
		if err := json.Unmarshal(e[0], &u.pieces[i]); err != nil {
			return nil, fmt.Errorf("unigram vocab entry %d: %w", i, err)
		}
		if err := json.Unmarshal(e[1], &u.scores[i]); err != nil {
			return nil, fmt.Errorf("unigram vocab entry %d: %w", i, err)
		}
		if len(u.pieces[i]) > maxPieceBytes {
			return nil, fmt.Errorf("unigram piece %d is %d bytes long", i, len(u.pieces[i]))
		}
		minScore = min(minScore, u.scores[i])
		ids[u.pieces[i]] = int32(i) // a repeated piece takes its last id, as in the tokenizers library
	}
	u.unkScore = minScore - unigramUnkPenalty
	if unkID != nil {
		if *unkID < 0 || *unkID >= int64(len(vocab)) {
			return nil, fmt.Errorf("unigram unk_id %d outside the vocab of %d", *unkID, len(vocab))
		}
		u.unkID = int32(*unkID)
	}
	u.trie = buildTrie(ids)
	u.bytes = byteTokens(ids)
	return u, nil
}

func (u *unigram) unk() int32 { return u.unkID }
func (u *unigram) vocab(f func(string, int32)) {
	for i, p := range u.pieces {
		f(p, int32(i))
	}
}

// lattice is a Viterbi node: the best segmentation of the text up to here.
type lattice struct {
	score float64
	start int32 // where the last piece begins; -1 while unreached
	id    int32
}

func (u *unigram) encode(ids []int32, word []byte, sc *scratch) []int32 {
	best := slices.Grow(sc.lattice[:0], len(word)+1)[:len(word)+1]
	sc.lattice = best
	for i := range best {
		best[i] = lattice{start: -1}
	}
	best[0].start = 0
	for start := 0; start < len(word); {
		_, charLen := utf8.DecodeRune(word[start:])
		here := best[start].score
		single := false
		u.trie.prefixes(word[start:], func(n int, id int32) {
			end := start + n
			if s := here + u.scores[id]; best[end].start < 0 || s > best[end].score {
				best[end] = lattice{score: s, start: int32(start), id: id}
			}
			single = single || n == charLen
		})
		if !single {
			end := start + charLen
			if s := here + u.unkScore; best[end].start < 0 || s > best[end].score {
				best[end] = lattice{score: s, start: int32(start), id: -1}
			}
		}
		start += charLen
	}
	// Walk back from the end, then put the pieces in order. Runs of
	// unknown characters are one unknown token (or their bytes).
	first := len(ids)
	for end := len(word); end > 0; {
		n := best[end]
		if n.id >= 0 {
			ids = append(ids, n.id)
			end = int(n.start)
			continue
		}
		start := int(n.start)
		for start > 0 && best[start].id < 0 {
			start = int(best[start].start)
		}
		if u.byteFallback {
			// Reversed here, so reverse the bytes too.
			k := len(ids)
			ids = appendBytes(ids, word[start:end], &u.bytes, u.unkID)
			slices.Reverse(ids[k:])
		} else {
			ids = append(ids, u.unkID)
		}
		end = start
	}
	slices.Reverse(ids[first:])
	return ids
}

// trie is a byte trie over the pieces, with the children of each node
// stored together and sorted.
type trie struct {
	nodes []trieNode
	edges []trieEdge
}

type trieNode struct {
	id        int32 // the piece ending here, or -1
	edgeStart int32
	edgeCount int32
}

type trieEdge struct {
	b     byte
	child int32
}

func buildTrie(ids map[string]int32) trie {
	keys := make([]string, 0, len(ids))
	for k := range ids {
		if k != "" {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	t := trie{nodes: []trieNode{{id: -1}}}
	// build fills in node n, the common prefix of keys, at depth d.
	var build func(n int32, keys []string, d int)
	build = func(n int32, keys []string, d int) {
		if len(keys) > 0 && len(keys[0]) == d {
			t.nodes[n].id = ids[keys[0]]
			keys = keys[1:]
		}
		// Group keys by their byte at depth d: one child per group.
		var groups [][]string
		for i := 0; i < len(keys); {
			j := i + 1
			for j < len(keys) && keys[j][d] == keys[i][d] {
				j++
			}
			groups = append(groups, keys[i:j])
			i = j
		}
		t.nodes[n].edgeStart, t.nodes[n].edgeCount = int32(len(t.edges)), int32(len(groups))
		for _, g := range groups {
			t.edges = append(t.edges, trieEdge{b: g[0][d], child: int32(len(t.nodes))})
			t.nodes = append(t.nodes, trieNode{id: -1})
		}
		for i, g := range groups {
			build(t.edges[t.nodes[n].edgeStart+int32(i)].child, g, d+1)
		}
	}
	build(0, keys, 0)
	return t
}

// prefixes calls f with the length and id of every piece that b starts
// with, shortest first.
func (t *trie) prefixes(b []byte, f func(n int, id int32)) {
	n := int32(0)
	for i, c := range b {
		node := t.nodes[n]
		edges := t.edges[node.edgeStart : node.edgeStart+node.edgeCount]
		lo, hi := 0, len(edges)
		for lo < hi {
			m := int(uint(lo+hi) >> 1)
			if edges[m].b < c {
				lo = m + 1
			} else {
				hi = m
			}
		}
		if lo == len(edges) || edges[lo].b != c {
			return
		}
		n = edges[lo].child
		if id := t.nodes[n].id; id >= 0 {
			f(i+1, id)
		}
	}
}

// bpe is byte-pair encoding: start from characters, then apply the
// learnt merges, lowest rank first.
type bpe struct {
	vocabulary   map[string]int32
	merges       map[uint64]bpeMerge
	unkID        int32
	prefix       string // continuing_subword_prefix
	suffix       string // end_of_word_suffix
	fuseUnk      bool
	byteFallback bool
	ignoreMerges bool
	bytes        [256]int32
}

type bpeMerge struct{ rank, id int32 }

func pairKey(a, b int32) uint64 { return uint64(uint32(a))<<32 | uint64(uint32(b)) }

func newBPE(m map[string]int32, rawMerges json.RawMessage, prefix, suffix string) (*bpe, error) {
	var list []json.RawMessage
	if err := json.Unmarshal(rawMerges, &list); err != nil {
		return nil, fmt.Errorf("BPE merges: %w", err)
	}
	b := &bpe{vocabulary: m, merges: make(map[uint64]bpeMerge, len(list)), prefix: prefix, suffix: suffix, bytes: byteTokens(m)}
	for i, raw := range list {
		// A merge is "a b" in older files, ["a", "b"] in newer ones.
		var pair []string
		var s string
		if err := json.Unmarshal(raw, &s); err == nil {
			pair = strings.Split(s, " ")
		} else if err := json.Unmarshal(raw, &pair); err != nil {
			return nil, fmt.Errorf("BPE merge %d: %w", i, err)
		}
		if len(pair) != 2 {
			return nil, fmt.Errorf("BPE merge %d is not a pair", i)
		}
		a, ok1 := m[pair[0]]
		c, ok2 := m[pair[1]]
		merged, ok3 := m[pair[0]+strings.TrimPrefix(pair[1], prefix)]
		if !ok1 || !ok2 || !ok3 {
			return nil, fmt.Errorf("BPE merge %d (%.40q %.40q) uses a token not in the vocab", i, pair[0], pair[1])
		}
		if _, dup := b.merges[pairKey(a, c)]; !dup {
			b.merges[pairKey(a, c)] = bpeMerge{rank: int32(i), id: merged}
		}
	}
	return b, nil
}

func (b *bpe) unk() int32                  { return b.unkID }
func (b *bpe) vocab(f func(string, int32)) { mapVocab(b.vocabulary, f) }

// bpeSymbol is a symbol of a word being merged, in a linked list.
type bpeSymbol struct {
	id         int32
	prev, next int32 // -1 at the ends
	gone       bool  // merged into the symbol before it
}

// bpeCandidate is a possible merge of the symbol at pos with the next.
type bpeCandidate struct{ rank, pos, id int32 }

func (c bpeCandidate) before(d bpeCandidate) bool {
	return c.rank < d.rank || c.rank == d.rank && c.pos < d.pos
}

func (b *bpe) encode(ids []int32, word []byte, sc *scratch) []int32 {
	if b.ignoreMerges {
		if id, ok := b.vocabulary[string(word)]; ok {
			return append(ids, id)
		}
	}
	syms := sc.symbols[:0]
	add := func(id int32) {
		syms = append(syms, bpeSymbol{id: id, prev: int32(len(syms)) - 1, next: int32(len(syms)) + 1})
	}
	for i := 0; i < len(word); {
		_, n := utf8.DecodeRune(word[i:])
		key := sc.key[:0]
		if i > 0 {
			key = append(key, b.prefix...)
		}
		key = append(key, word[i:i+n]...)
		if i+n == len(word) {
			key = append(key, b.suffix...)
		}
		sc.key = key
		if id, ok := b.vocabulary[string(key)]; ok {
			add(id)
		} else if b.byteFallback && b.hasBytes(word[i:i+n]) {
			for _, c := range word[i : i+n] {
				add(b.bytes[c])
			}
		} else if b.unkID >= 0 && !(b.fuseUnk && len(syms) > 0 && syms[len(syms)-1].id == b.unkID) {
			add(b.unkID)
		}
		i += n
	}
	if len(syms) > 0 {
		syms[len(syms)-1].next = -1
	}
	// Merge the pair of lowest rank, leftmost first, until none is left:
	// a priority queue of candidates, stale ones skipped, as the
	// tokenizers library does it.
	q := sc.queue[:0]
	for i := 0; i+1 < len(syms); i++ {
		if m, ok := b.merges[pairKey(syms[i].id, syms[i+1].id)]; ok {
			q = heapPush(q, bpeCandidate{m.rank, int32(i), m.id})
		}
	}
	for len(q) > 0 {
		var top bpeCandidate
		top, q = heapPop(q)
		cur := &syms[top.pos]
		if cur.gone || cur.next < 0 {
			continue
		}
		rightPos := cur.next
		right := syms[rightPos]
		if m, ok := b.merges[pairKey(cur.id, right.id)]; !ok || m.id != top.id {
			continue
		}
		cur.id, cur.next = top.id, right.next
		syms[rightPos].gone = true
		if right.next >= 0 {
			syms[right.next].prev = top.pos
		}
		if cur.prev >= 0 {
			if m, ok := b.merges[pairKey(syms[cur.prev].id, cur.id)]; ok {
				q = heapPush(q, bpeCandidate{m.rank, cur.prev, m.id})
			}
		}
		if cur.next >= 0 {
			if m, ok := b.merges[pairKey(cur.id, syms[cur.next].id)]; ok {
				q = heapPush(q, bpeCandidate{m.rank, top.pos, m.id})
			}
		}
	}
	sc.symbols, sc.queue = syms, q
	for i := int32(0); len(syms) > 0 && i >= 0; i = syms[i].next {
		ids = append(ids, syms[i].id)
	}
	return ids
}

// heapPush and heapPop keep q a binary min-heap of candidates.
func heapPush(q []bpeCandidate, c bpeCandidate) []bpeCandidate {
	q = append(q, c)
	for i := len(q) - 1; i > 0; {
		p := (i - 1) / 2
		if !q[i].before(q[p]) {
			break
		}
		q[i], q[p] = q[p], q[i]
		i = p
	}
	return q
}

func heapPop(q []bpeCandidate) (bpeCandidate, []bpeCandidate) {
	top := q[0]
	n := len(q) - 1
	q[0] = q[n]
	q = q[:n]
	for i := 0; ; {
		l, small := 2*i+1, i
		if l < n && q[l].before(q[small]) {
			small = l
		}
		if r := l + 1; r < n && q[r].before(q[small]) {
			small = r
		}
		if small == i {
			break
		}
		q[i], q[small] = q[small], q[i]
		i = small
	}
	return top, q
}

func (b *bpe) hasBytes(s []byte) bool {
	for _, c := range s {
		if b.bytes[c] < 0 {
			return false
		}
	}
	return true
}
