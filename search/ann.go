package search

import (
	"context"
	"math"
	"math/rand/v2"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

	"github.com/viterin/vek/vek32"
)

// The approximate index of the semantic leg: a hierarchical navigable
// small-world graph (HNSW; Malkov and Yashunin, 2018) over a shard's
// vectors, used instead of the exact scan once a shard holds
// Options.ApproxThreshold vectors or more. docs/semantic-search.md gives
// the parameters' measurements.
//
// A node keeps the record's vector (the same immutable slice as the doc)
// and its slot. Removed and replaced records stay in the graph as
// tombstones: searches pass through them but never return them, and once a
// quarter of the nodes are tombstones the graph is rebuilt in the
// background while the old one keeps serving. New vectors wait in an
// inbox that searches scan exactly until a background builder has linked
// them, so a record is found by its vector as soon as it has one.

// Parameters, chosen on the built-in model's vectors of 100,000 records
// (docs/semantic-search.md): more links or candidates raise recall and
// cost build time or query time. efSearch 480 with efConstruction 96
// measured recall@10 0.973 against the exact scan, as 400 with 112 did,
// with a build a third shorter (7.9 s instead of 11.7 s on a processor
// without AVX-512, session 7) for a little more search time.
const (
	annM        = 16  // links per node on the upper layers; twice as many on layer 0
	annEfBuild  = 96  // candidates kept while linking a new node
	annEfSearch = 480 // candidates kept while searching (at least the number wanted)
	annMaxLevel = 16
	// annBatch bounds how long the builder holds the index's lock at a
	// time, so that searches wait at most about that long plus a chunk
	// (annChunk).
	annBatch = time.Millisecond
)

const noSlot = ^uint32(0)

// hnsw is the graph. Nodes are numbered in insertion order.
type hnsw struct {
	vecs  [][]float32 // by node
	slots []uint32    // by node: the record's slot, noSlot once compacted away
	// links holds layer 0: per node a count, then up to 2*annM neighbours;
	// sims0 their similarities to the node (from the int8 copies, as the
	// builder compares), at the same places, so that re-choosing a full
	// list need not compare the node with its links again.
	links []uint32
	sims0 []float32
	// chosen0 says, by node, which of its layer-0 links the heuristic of
	// selectNeighbours chose (bit i for link i; the others topped the list
	// up), once listKnown is set: the list is then sorted best first, so
	// that a new link changes the choice only below its place (see
	// relink0). Set when the full list was chosen again, cleared when the
	// node's links are set.
	chosen0 []uint64
	// upper holds layers 1 to the node's level: per layer a count, then up
	// to annM neighbours; nil for the nine nodes in ten that have none.
	upper [][]uint32
	entry uint32
	top   int // the entry node's level; -1 while empty
	dead  int // tombstones: nodes with noSlot
	rnd   *rand.Rand
	// q8 and s8 are the nodes' vectors in int8 and their scales (see
	// vecs8), back to back: linking a node compares it with thousands of
	// others, and a quarter of the bytes made that several times faster
	// at the same recall (docs/benchmarks.md); the builder compares only
	// these, searches only vecs.
	q8   []int8
	s8   []float32
	sum8 []int32 // each int8 vector's sum (see dot8Nodes)
	dim  int
	// efBuild is the candidates kept while linking a new node, and float
	// says to link in float32: annEfBuild and false but in measurements.
	efBuild int
	float   bool
	// locks guard the link lists while several builders link nodes at
	// once (connectAll): node n's lists are under locks[n%annStripes].
	// Searches do not take them: they never run during a build of the
	// graph they read.
	locks [annStripes]sync.Mutex
}

// annStripes is the number of locks over the nodes' link lists: enough
// that two builders seldom want the same one.
const annStripes = 1024

const stride0 = 2*annM + 1

func newHNSW() *hnsw {
	return &hnsw{top: -1, rnd: rand.New(rand.NewPCG(1, 2)), efBuild: annEfBuild}
}

func (g *hnsw) len() int { return len(g.vecs) }

// list returns the link list of node on a layer: a count, then room for
// the layer's maximum of links.
func (g *hnsw) list(node uint32, layer int) []uint32 {
	if layer == 0 {
		return g.links[int(node)*stride0 : int(node+1)*stride0]
	}
	return g.upper[node][(layer-1)*(annM+1) : layer*(annM+1)]
}

// neighbours returns the links of node on a layer.
func (g *hnsw) neighbours(node uint32, layer int) []uint32 {
	l := g.list(node, layer)
	return l[1 : 1+l[0]]
}

// read returns the links of node on a layer for a search using sc: a
// copy taken under the node's lock while other builders may change them.
func (g *hnsw) read(node uint32, layer int, sc *annScratch) []uint32 {
	if !sc.shared {
		return g.neighbours(node, layer)
	}
	mu := &g.locks[node%annStripes]
	mu.Lock()
	sc.buf = append(sc.buf[:0], g.neighbours(node, layer)...)
	mu.Unlock()
	return sc.buf
}

// setNeighbours replaces the links of node on a layer.
func (g *hnsw) setNeighbours(node uint32, layer int, nb []annCand) {
	mu := &g.locks[node%annStripes]
	mu.Lock()
	defer mu.Unlock()
	l := g.list(node, layer)
	l[0] = uint32(len(nb))
	for i, c := range nb {
		l[1+i] = c.node
	}
	if layer == 0 {
		g.chosen0[node] = 0
		sims := g.sims0[int(node)*stride0:]
		for i, c := range nb {
			sims[1+i] = c.sim
		}
	}
}

// annCand is a node and its similarity to the vector searched for.
type annCand struct {
	sim  float32
	node uint32
}

// bestFirst orders candidates by similarity, best first (similarities are
// never NaN, which cmp.Compare would spend time on).
func bestFirst(a, b annCand) int {
	switch {
	case a.sim > b.sim:
		return -1
	case a.sim < b.sim:
		return 1
	}
	return 0
}

// annScratch is a search's working memory, part of the pooled
// accumulator, so that a query allocates nothing.
type annScratch struct {
	// seen has a bit per node, set once this search has visited it: an
	// eighth of a kilobyte per thousand nodes, so that it stays in the
	// processor's nearest cache, where a word per node did not.
	seen []uint64
	cand []annCand // min-heap on -sim: the nodes to expand, best first
	res  []annCand // min-heap on sim: the best found, worst first
	eps  []annCand // entry points of the next layer (insertion)
	sel  []annCand // neighbour selection (insertion)
	nbs  []annCand // a neighbour's links while shrinking them (insertion)
	pick []annCand // those kept
	// shared is set for a builder that links nodes alongside others: it
	// reads link lists under their lock, into buf.
	shared bool
	buf    []uint32
	// use8 is set while linking a node: similarities are then taken in
	// int8 against qq, the node's vector in int16.
	use8 bool
	qq   query16
	// fresh, dots and scales are the neighbours not seen yet of the node
	// being expanded, their int8 dot products with qq and their scales.
	fresh  []uint32
	dots   []int32
	scales []float32
	// kept are the nodes kept so far while choosing links.
	kept []uint32
}

// visit reports whether node is seen for the first time this search.
func (sc *annScratch) visit(node uint32) bool {
	w, bit := node>>6, uint64(1)<<(node&63)
	if sc.seen[w]&bit != 0 {
		return false
	}
	sc.seen[w] |= bit
	return true
}

// reset forgets the nodes seen, for a search of a graph of nodes.
func (sc *annScratch) reset(nodes int) {
	n := (nodes + 63) / 64
	if len(sc.seen) < n {
		sc.seen = make([]uint64, n+n/4)
		return
	}
	clear(sc.seen[:n])
}

func heapPush(h []annCand, c annCand) []annCand {
	h = append(h, c)
	for i := len(h) - 1; i > 0; {
		p := (i - 1) / 2
		if h[p].sim <= h[i].sim {
			break
		}
		h[i], h[p] = h[p], h[i]
		i = p
	}
	return h
}

func heapPop(h []annCand) (annCand, []annCand) {
	top := h[0]
	n := len(h) - 1
	h[0] = h[n]
	h = h[:n]
	siftDown(h)
	return top, h
}

// heapReplaceTop puts c in the place of h's top, one sift instead of a
// push and a pop.
func heapReplaceTop(h []annCand, c annCand) {
	h[0] = c
	siftDown(h)
}

// siftDown restores the heap order of h from its top down.
func siftDown(h []annCand) {
	n := len(h)
	for i := 0; ; {
		l := 2*i + 1
		if l >= n {
			break
		}
		m := l
		if r := l + 1; r < n && h[r].sim < h[l].sim {
			m = r
		}
		if h[i].sim <= h[m].sim {
			break
		}
		h[i], h[m] = h[m], h[i]
		i = m
	}
}

// annQuery is what decides which nodes may be results: live records that
// pass the filter. The zero value (while building) takes every node.
type annQuery struct {
	s *shard
	f *Filter
	// budget bounds the nodes visited on layer 0; 0 means no bound.
	budget int
}

func (g *hnsw) accepts(node uint32, q *annQuery) bool {
	if q.s == nil {
		return true
	}
	slot := g.slots[node]
	return slot != noSlot && !q.s.dead[slot] && q.f.matchDoc(&q.s.docs[slot])
}

// sim returns the similarity of node to vec: in float32 for searches, from
// the int8 copy while linking a node (sc.use8, sc.qq holding vec).
func (g *hnsw) sim(vec []float32, node uint32, sc *annScratch) float32 {
	if sc.use8 {
		d := int(node) * g.dim
		return float32(dot8(g.q8[d:d+g.dim], sc.qq.q)) * sc.qq.scale * g.s8[node]
	}
	return vek32.Dot(vec, g.vecs[node])
}

// greedy walks one layer from ep towards vec, one best step at a time.
func (g *hnsw) greedy(vec []float32, ep annCand, layer int, sc *annScratch) annCand {
	for moved := true; moved; {
		moved = false
		nbs := g.read(ep.node, layer, sc)
		if sc.use8 { // while linking: all the links at once, as in searchLayer
			sc.dots = slices.Grow(sc.dots[:0], len(nbs))[:len(nbs)]
			dot8Nodes(g.q8, g.sum8, g.dim, nbs, &sc.qq, sc.dots)
			for i, nb := range nbs {
				if sim := float32(sc.dots[i]) * sc.qq.scale * g.s8[nb]; sim > ep.sim {
					ep, moved = annCand{sim, nb}, true
				}
			}
			continue
		}
		for _, nb := range nbs {
			if sim := g.sim(vec, nb, sc); sim > ep.sim {
				ep, moved = annCand{sim, nb}, true
			}
		}
	}
	return ep
}

// searchLayer is the beam search of one layer from the entry points:
// sc.res ends with the best ef nodes that q accepts. Nodes it does not
// accept are passed through but not kept, so a filter widens the search
// until ef pass it (hnswlib's filtered search). It reports false when the
// budget ran out first.
func (g *hnsw) searchLayer(vec []float32, eps []annCand, ef, layer int, sc *annScratch, q *annQuery) bool {
	sc.reset(g.len())
	cand, res := sc.cand[:0], sc.res[:0]
	for _, e := range eps {
		sc.visit(e.node)
		cand = heapPush(cand, annCand{-e.sim, e.node})
		if g.accepts(e.node, q) {
			res = heapPush(res, e)
		}
	}
	ok, visits := true, 0
	for len(cand) > 0 {
		var c annCand
		c, cand = heapPop(cand)
		if len(res) >= ef && -c.sim < res[0].sim {
			break // the best left is worse than the worst kept
		}
		var nbs []uint32
		if sc.use8 {
			// While linking, the neighbours not seen yet are compared in
			// int8 at once, four at a time where the processor can, and
			// with those of the next best candidate if it is good enough
			// to be expanded now: the time goes in waiting for memory
			// (link lists, then vectors), and two nodes' worth of fetches
			// wait together.
			sc.fresh, sc.scales = sc.fresh[:0], sc.scales[:0]
			g.collectFresh(c.node, layer, sc)
			if len(cand) > 0 && (len(res) < ef || -cand[0].sim >= res[0].sim) {
				c, cand = heapPop(cand)
				g.collectFresh(c.node, layer, sc)
			}
			if layer == 0 && len(cand) > 0 {
				// The links of the node likely expanded next, read from
				// memory while these neighbours are compared.
				prefetch3(unsafe.Pointer(&g.links[int(cand[0].node)*stride0]))
			}
			nbs = sc.fresh
			sc.dots = slices.Grow(sc.dots[:0], len(nbs))[:len(nbs)]
			dot8Nodes(g.q8, g.sum8, g.dim, nbs, &sc.qq, sc.dots)
		} else {
			nbs = g.read(c.node, layer, sc)
		}
		for i, nb := range nbs {
			var sim float32
			if sc.use8 {
				sim = float32(sc.dots[i]) * sc.qq.scale * sc.scales[i]
			} else if !sc.visit(nb) {
				continue
			} else {
				sim = g.sim(vec, nb, sc)
			}
			visits++
			if len(res) < ef || sim > res[0].sim {
				cand = heapPush(cand, annCand{-sim, nb})
				if g.accepts(nb, q) {
					if len(res) < ef {
						res = heapPush(res, annCand{sim, nb})
					} else { // it takes the place of the worst kept
						heapReplaceTop(res, annCand{sim, nb})
					}
				}
			}
		}
		if q.budget > 0 && visits > q.budget {
			ok = false
			break
		}
	}
	sc.cand, sc.res = cand, res
	return ok
}

// collectFresh appends to sc.fresh the neighbours of node on a layer not
// seen yet, marking them seen, and their scales to sc.scales: read now, so
// that the memory fetches them while the products are computed. Their
// vectors are asked for too: the products then wait for all of them
// together instead of four at a time (on a processor without AVX-512,
// the build's CPU fell by about a twentieth).
func (g *hnsw) collectFresh(node uint32, layer int, sc *annScratch) {
	fresh, scales := sc.fresh, sc.scales
	from := len(fresh)
	for _, nb := range g.read(node, layer, sc) {
		if sc.visit(nb) {
			fresh, scales = append(fresh, nb), append(scales, g.s8[nb])
		}
	}
	if n := len(fresh) - from; n > 0 && g.dim > 0 {
		prefetchNodes(&g.q8[0], &fresh[from], n, g.dim)
	}
	sc.fresh, sc.scales = fresh, scales
}

// search leaves in sc.res the best ef nodes for vec that q accepts, and
// reports whether it kept within q's budget.
func (g *hnsw) search(vec []float32, ef int, sc *annScratch, q *annQuery) bool {
	if g.top < 0 {
		sc.res = sc.res[:0]
		return true
	}
	sc.use8 = false
	ep := annCand{vek32.Dot(vec, g.vecs[g.entry]), g.entry}
	for l := g.top; l > 0; l-- {
		ep = g.greedy(vec, ep, l, sc)
	}
	sc.eps = append(sc.eps[:0], ep)
	return g.searchLayer(vec, sc.eps, ef, 0, sc, q)
}

// insert adds a node for vec and links it, using sc as working memory.
func (g *hnsw) insert(vec []float32, slot uint32, sc *annScratch) {
	g.connect(g.alloc(vec, slot), sc)
}

// alloc adds a node for vec without links and returns it.
func (g *hnsw) alloc(vec []float32, slot uint32) uint32 {
	node := uint32(len(g.vecs))
	level := min(int(-math.Log(1-g.rnd.Float64())/math.Log(annM)), annMaxLevel)
	g.vecs = append(g.vecs, vec)
	g.slots = append(g.slots, slot)
	if g.dim == 0 {
		g.dim = len(vec)
	}
	g.q8 = append(g.q8, make([]int8, g.dim)...)
	q8 := g.q8[int(node)*g.dim : int(node+1)*g.dim]
	scale, _ := quantize(q8, vec)
	g.s8, g.sum8 = append(g.s8, scale), append(g.sum8, sum8(q8))
	g.links = append(g.links, make([]uint32, stride0)...)
	g.sims0 = append(g.sims0, make([]float32, stride0)...)
	g.chosen0 = append(g.chosen0, 0)
	var up []uint32
	if level > 0 {
		up = make([]uint32, level*(annM+1))
	}
	g.upper = append(g.upper, up)
	return node
}

// level returns the top layer of node.
func (g *hnsw) level(node uint32) int { return len(g.upper[node]) / (annM + 1) }

// connect links node, allocated by alloc, into the graph. Several
// builders may connect nodes at once (with sc.shared set) as long as no
// node they connect is above the graph's top layer, which is the one
// thing a connect then changes besides link lists.
func (g *hnsw) connect(node uint32, sc *annScratch) {
	level, vec := g.level(node), g.vecs[node]
	if g.top < 0 {
		g.entry, g.top = node, level
		return
	}
	sc.use8 = !g.float && len(vec) == g.dim && quantizeQuery(&sc.qq, vec)
	defer func() { sc.use8 = false }()
	ep := annCand{vek32.Dot(vec, g.vecs[g.entry]), g.entry}
	for l := g.top; l > level; l-- {
		ep = g.greedy(vec, ep, l, sc)
	}
	eps := append(sc.eps[:0], ep)
	for l := min(level, g.top); l >= 0; l-- {
		g.searchLayer(vec, eps, g.efBuild, l, sc, &annQuery{})
		// The candidates, best first, are the next layer's entry points.
		// Their int8 similarities also choose the links: taking them again
		// in float32 cost a tenth of the build and gained no recall.
		eps = append(eps[:0], sc.res...)
		slices.SortFunc(eps, bestFirst)
		sc.sel = g.selectNeighbours(sc.sel[:0], eps, annM, sc)
		g.setNeighbours(node, l, sc.sel)
		maxLinks := annM
		if l == 0 {
			maxLinks = 2 * annM
		}
		for _, nb := range sc.sel {
			g.link(nb.node, node, nb.sim, l, maxLinks, sc)
		}
	}
	sc.eps = eps
	if level > g.top {
		g.entry, g.top = node, level
	}
}

// connectAll links nodes, allocated by alloc, with one goroutine per
// scratch in scs. Nodes above the top layer, rare, are linked first and
// alone, since they change the graph's entry.
func (g *hnsw) connectAll(nodes []uint32, scs []*annScratch) {
	rest := nodes[:0:0]
	for _, n := range nodes {
		if g.top < 0 || g.level(n) > g.top || len(scs) == 1 {
			g.connect(n, scs[0])
		} else {
			rest = append(rest, n)
		}
	}
	if len(rest) == 0 {
		return
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	for _, sc := range scs[:min(len(scs), len(rest))] {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sc.shared = true
			defer func() { sc.shared = false }()
			for i := next.Add(1) - 1; i < int64(len(rest)); i = next.Add(1) - 1 {
				g.connect(rest[i], sc)
			}
		}()
	}
	wg.Wait()
}

// selectNeighbours appends to out up to m of cands (best first) by the
// paper's heuristic: a candidate is kept only if it is closer to the new
// node than to every one kept before it, so that links spread in all
// directions instead of into one dense cluster.
func (g *hnsw) selectNeighbours(out, cands []annCand, m int, sc *annScratch) []annCand {
	sc.kept = sc.kept[:0]
	for _, c := range cands {
		if len(out) == m {
			break
		}
		if g.closerToKept(c, out, sc) {
			continue
		}
		out = append(out, c)
		sc.kept = append(sc.kept, c.node)
	}
	// Then the best of those left out, up to m: records that are near
	// duplicates of each other (common in registries) would otherwise end
	// up with a link or two and hard to reach.
	if len(out) < m {
		for _, c := range cands {
			if len(out) == m {
				break
			}
			if !slices.Contains(out, c) {
				out = append(out, c)
			}
		}
	}
	return out
}

// closerToKept reports whether c is closer to one of kept (their nodes in
// sc.kept) than to the new node (c.sim). The vectors are compared in int8,
// four at a time (dot8Pairs), as the candidates were found: in float32,
// one at a time, this was a quarter of the build's time.
func (g *hnsw) closerToKept(c annCand, kept []annCand, sc *annScratch) bool {
	if g.float {
		for _, r := range kept {
			if vek32.Dot(g.vecs[c.node], g.vecs[r.node]) > c.sim {
				return true
			}
		}
		return false
	}
	if len(kept) == 0 {
		return false
	}
	// Eight at a time, nearest kept first: most candidates left out are
	// closer to one of the first kept.
	var pairs [8]int32
	sc8 := g.s8[c.node]
	for from := 0; from < len(kept); from += len(pairs) {
		n := min(len(pairs), len(kept)-from)
		dot8Pairs(g.q8, g.sum8, g.dim, c.node, sc.kept[from:from+n], pairs[:n])
		for i, r := range kept[from : from+n] {
			if float32(pairs[i])*sc8*g.s8[r.node] > c.sim {
				return true
			}
		}
	}
	return false
}

// link adds a link from node to peer (at similarity sim) on a layer,
// selecting again among node's links when they are full.
func (g *hnsw) link(node, peer uint32, sim float32, layer, maxLinks int, sc *annScratch) {
	mu := &g.locks[node%annStripes]
	mu.Lock()
	defer mu.Unlock()
	l := g.list(node, layer)
	var sims []float32 // layer 0's similarities, in step with l
	if layer == 0 {
		sims = g.sims0[int(node)*stride0 : int(node+1)*stride0]
	}
	if n := l[0]; int(n) < maxLinks {
		l[1+n] = peer
		if sims != nil {
			sims[1+n] = sim
		}
		l[0]++
		return
	}
	if sims != nil && !g.float {
		g.relink0(node, annCand{sim, peer}, l, sims, sc)
		return
	}
	cands := append(sc.nbs[:0], annCand{sim, peer})
	links := l[1 : 1+l[0]]
	if sims == nil && !g.float {
		// An upper layer: the similarities in int8, as the links are
		// chosen.
		sc.dots = slices.Grow(sc.dots[:0], len(links))[:len(links)]
		dot8Pairs(g.q8, g.sum8, g.dim, node, links, sc.dots)
	}
	for i, x := range links {
		switch {
		case sims != nil:
			cands = append(cands, annCand{sims[1+i], x})
		case g.float:
			cands = append(cands, annCand{vek32.Dot(g.vecs[node], g.vecs[x]), x})
		default:
			cands = append(cands, annCand{float32(sc.dots[i]) * g.s8[node] * g.s8[x], x})
		}
	}
	slices.SortFunc(cands, bestFirst)
	sc.pick = g.selectNeighbours(sc.pick[:0], cands, maxLinks, sc)
	l[0] = uint32(len(sc.pick))
	for i, c := range sc.pick {
		l[1+i] = c.node
		if sims != nil {
			sims[1+i] = c.sim
		}
	}
	sc.nbs = cands
}

// listKnown marks a node's chosen0 as valid.
const listKnown = 1 << 63

// relink0 chooses again the full layer-0 links l of node (similarities
// sims) with peer added, as selectNeighbours would, under node's lock:
// with one candidate too many, that keeps all but the least similar of
// those the heuristic leaves out (or the least similar of all, if it
// leaves none out). Whether the heuristic keeps a candidate depends only
// on the more similar ones; so once the list is sorted and its choices
// known (chosen0), only those below peer's place are examined again.
func (g *hnsw) relink0(node uint32, peer annCand, l []uint32, sims []float32, sc *annScratch) {
	n, known := int(l[0]), g.chosen0[node]
	cands, from := sc.nbs[:0], 0
	if known&listKnown != 0 {
		for from < n && sims[1+from] >= peer.sim {
			from++
		}
		for i := range n {
			if i == from {
				cands = append(cands, peer)
			}
			cands = append(cands, annCand{sims[1+i], l[1+i]})
		}
		if from == n {
			cands = append(cands, peer)
		}
	} else {
		cands = append(cands, peer)
		for i := range n {
			cands = append(cands, annCand{sims[1+i], l[1+i]})
		}
		slices.SortFunc(cands, bestFirst)
		known = 0
	}
	kept, chosen := sc.pick[:0], uint64(0)
	sc.kept = sc.kept[:0]
	for i, c := range cands {
		if i < from {
			if known>>i&1 == 0 {
				continue
			}
		} else if len(kept) == n || g.closerToKept(c, kept, sc) {
			continue
		}
		chosen |= 1 << i
		kept, sc.kept = append(kept, c), append(sc.kept, c.node)
	}
	drop := len(cands) - 1
	for i := len(cands) - 1; i >= 0; i-- {
		if chosen>>i&1 == 0 {
			drop = i
			break
		}
	}
	j, out := 0, uint64(listKnown)
	for i, c := range cands {
		if i == drop {
			continue
		}
		l[1+j], sims[1+j] = c.node, c.sim
		if chosen>>i&1 != 0 {
			out |= 1 << j
		}
		j++
	}
	l[0], g.chosen0[node] = uint32(j), out
	sc.pick, sc.nbs = kept, cands
}

// remap follows a compaction of the shard's slots: nodes of dead slots
// become tombstones, the others take their new slot.
func (g *hnsw) remap(remap []uint32, dead []bool) {
	for node, slot := range g.slots {
		switch {
		case slot == noSlot:
		case dead[slot]:
			g.slots[node] = noSlot
			g.dead++
		default:
			g.slots[node] = remap[slot]
		}
	}
}

// annIndex is a shard's approximate index: the graph that serves, the
// one being built (the same graph while it is only extended) and the
// vectors that the serving graph lacks, which searches scan exactly.
//
// Locks: a shard's mu comes before mu, which comes before inMu. Searches
// hold the shard's read lock and mu's read lock. The builder holds mu's
// write lock while it links a batch of vectors (about annBatch), and not
// the shard's: it only reads vectors, which never change. Writers of the
// shard (holding its write lock) append to the inbox under inMu alone, so
// that a Put never waits for the builder; only a compaction, which
// renumbers slots, takes mu.
type annIndex struct {
	dim int

	mu    sync.RWMutex
	graph *hnsw      // serving; nil until the first build is done
	next  *hnsw      // being built: graph itself while only extending it
	todo  []annEntry // rebuilding: the old graph's live vectors not yet in next
	extra []annEntry // rebuilding: vectors linked into next that graph lacks
	ready atomic.Bool

	inMu sync.Mutex
	// inbox holds the vectors not linked into any graph yet, in the order
	// they came. It is written under inMu and either the shard's write lock
	// or mu's write lock, so a search, which holds both read locks, reads
	// it without inMu.
	inbox   []annEntry
	running bool // a builder goroutine was started and has not finished

	build sync.Mutex  // one builder at a time
	gone  atomic.Bool // the shard was dropped or the index closed: stop building
}

type annEntry struct {
	slot uint32
	vec  []float32
}

// annMinPass is the smallest share of records passing a filter for which
// the graph search is tried: at a third it measured more than twice as
// fast as the exact scan (docs/benchmarks.md).
const annMinPass = 0.2

// passRate estimates the share of live records that pass f from a sample
// of 64 slots spread by the golden ratio (so that no period in the slots,
// such as every third record being different, biases it).
func (s *shard) passRate(f *Filter) float64 {
	const samples = 64
	if len(s.docs) == 0 {
		return 0
	}
	n, pass := 0, 0
	for i := range uint64(samples) {
		slot := (i * 0x9E3779B97F4A7C15 >> 32) * uint64(len(s.docs)) >> 32
		if !s.dead[slot] {
			n++
			if f.matchDoc(&s.docs[slot]) {
				pass++
			}
		}
	}
	return float64(pass) / float64(max(n, 1))
}

// annMaxPending is how many vectors may wait for the first graph (or a
// rebuilt one) when it starts serving: searches scan them exactly.
const annMaxPending = 1024

// BuildApprox links the vectors waiting for the approximate indexes now,
// in the caller's goroutine, and returns once every registry at or above
// the threshold searches through its index (it returns how many do), or
// when ctx ends. The indexes are built and kept up to date in the
// background anyway; BuildApprox tells when that is done.
func (ix *Index) BuildApprox(ctx context.Context) (int, error) {
	n := 0
	for _, sh := range ix.allShards() {
		sh.mu.RLock()
		a := sh.ann
		sh.mu.RUnlock()
		if a == nil {
			continue
		}
		if err := a.drain(ctx); err != nil {
			return n, err
		}
		if a.ready.Load() {
			n++
		}
	}
	return n, nil
}

// Close stops the background work of an index no longer in use: computing
// vectors (it returns once an embedder call in flight has ended) and
// building approximate indexes. Searches still work, and scan the vectors
// that were not linked yet; records put afterwards get no vector.
func (ix *Index) Close() {
	ix.vq.close()
	for _, sh := range ix.allShards() {
		sh.stopBuilding()
	}
}

// allShards returns the shards; their locks must not be taken while
// holding ix.mu, since PutMany takes them in the other order.
func (ix *Index) allShards() []*shard {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	shards := make([]*shard, 0, len(ix.shards))
	for _, sh := range ix.shards {
		shards = append(shards, sh)
	}
	return shards
}

// stopBuilding ends the background building of the shard's approximate
// index, if it has one.
func (s *shard) stopBuilding() {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.ann != nil {
		s.ann.gone.Store(true)
	}
}

// noteVector tells the approximate index that slot has a vector now. The
// index is created, and its first build started in the background, when
// the shard reaches the threshold. The caller holds the write lock.
func (s *shard) noteVector(slot uint32) {
	t := s.set.approx
	if t < 0 || len(s.docs[slot].vec) == 0 {
		return
	}
	if s.ann != nil {
		s.ann.add(annEntry{slot, s.docs[slot].vec})
		return
	}
	if s.vectors < t {
		return
	}
	a := &annIndex{dim: len(s.docs[slot].vec), next: newHNSW()}
	for i := range s.docs {
		if v := s.docs[i].vec; !s.dead[i] && len(v) == a.dim {
			a.inbox = append(a.inbox, annEntry{uint32(i), v})
		}
	}
	s.ann = a
	a.inMu.Lock()
	a.kick()
	a.inMu.Unlock()
}

func (a *annIndex) add(e annEntry) {
	if len(e.vec) != a.dim {
		return // not comparable with the index's vectors: never a match
	}
	a.inMu.Lock()
	a.inbox = append(a.inbox, e)
	a.kick()
	a.inMu.Unlock()
}

// kick starts a builder unless one is on its way. The caller holds inMu.
func (a *annIndex) kick() {
	if !a.running {
		a.running = true
		go a.drain(context.Background())
	}
}

// drain links waiting vectors, a batch at a time, until none is left or
// ctx ends; it publishes the graph being built once it holds nearly
// everything.
func (a *annIndex) drain(ctx context.Context) error {
	a.build.Lock()
	defer a.build.Unlock()
	scs := make([]*annScratch, runtime.GOMAXPROCS(0))
	for i := range scs {
		scs[i] = new(annScratch)
	}
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		if !a.step(scs) {
			return nil
		}
	}
}

// step links one batch, a few nodes per builder at a time (one per
// scratch in scs) until about annBatch has passed; it reports false when
// there was nothing to do.
func (a *annIndex) step(scs []*annScratch) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.inMu.Lock()
	inbox := a.inbox
	if a.gone.Load() || len(inbox) == 0 && len(a.todo) == 0 {
		a.publish()
		a.running = false
		a.inMu.Unlock()
		return false
	}
	a.inMu.Unlock()
	g, rebuilding := a.next, a.graph != nil && a.next != a.graph
	deadline := time.Now().Add(annBatch)
	taken := 0
	nodes := make([]uint32, 0, annChunk*len(scs))
	for first := true; first || time.Now().Before(deadline); first = false {
		nodes = nodes[:0]
		for len(nodes) < cap(nodes) {
			if len(a.todo) > 0 {
				nodes = append(nodes, g.alloc(a.todo[0].vec, a.todo[0].slot))
				a.todo = a.todo[1:]
			} else if taken < len(inbox) {
				e := inbox[taken]
				nodes = append(nodes, g.alloc(e.vec, e.slot))
				if rebuilding {
					a.extra = append(a.extra, e)
				}
				taken++
			} else {
				break
			}
		}
		if len(nodes) == 0 {
			break
		}
		g.connectAll(nodes, scs)
	}
	a.inMu.Lock()
	a.inbox = a.inbox[taken:]
	a.publish()
	a.inMu.Unlock()
	return true
}

// annChunk is how many nodes each builder links between two looks at the
// clock: a node takes about 170 microseconds of one processor at 100,000,
// so a chunk about 1.4 ms. Each chunk ends with the builders waiting for
// the last node; at 2 a chunk that left one builder idle for a good part
// of the time.
const annChunk = 8

// publish makes the graph being built the serving one once it lacks only
// a few vectors. The caller holds mu and inMu.
func (a *annIndex) publish() {
	if a.next == a.graph || len(a.todo) > 0 || len(a.inbox) > annMaxPending {
		return
	}
	a.graph, a.todo, a.extra = a.next, nil, nil
	a.ready.Store(true)
}

// remap follows a compaction of the shard, under its write lock, and
// starts a rebuild when a quarter of the serving graph are tombstones.
func (a *annIndex) remap(remap []uint32, dead []bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.inMu.Lock()
	defer a.inMu.Unlock()
	if a.graph != nil {
		a.graph.remap(remap, dead)
	}
	if a.next != a.graph {
		a.next.remap(remap, dead)
	}
	keep := func(list []annEntry) []annEntry {
		out := list[:0:0]
		for _, e := range list {
			if !dead[e.slot] {
				out = append(out, annEntry{remap[e.slot], e.vec})
			}
		}
		return out
	}
	a.todo, a.extra, a.inbox = keep(a.todo), keep(a.extra), keep(a.inbox)
	if g := a.graph; g != nil && a.next == g && g.dead*4 > g.len() {
		a.next = newHNSW()
		for node, slot := range g.slots {
			if slot != noSlot {
				a.todo = append(a.todo, annEntry{slot, g.vecs[node]})
			}
		}
		a.kick()
	}
}

// search returns the best k live records that pass f, best first, in
// acc.sem. It reports false when the exact scan should answer instead: a
// filter so selective that the graph search ran out of budget, or fewer
// than k results. The caller holds the shard's read lock.
func (a *annIndex) search(s *shard, acc *accumulator, vec []float32, f *Filter, k int) ([]scored, bool) {
	a.mu.RLock()
	defer a.mu.RUnlock()
	g := a.graph
	ef := max(annEfSearch, k)
	q := annQuery{s: s, f: f}
	if f != nil {
		// A filter makes the search pass through the records it rejects:
		// for each it keeps, about one over the share that pass. When few
		// pass, the exact scan, which compares only those, is cheaper; it
		// also takes over when the graph search reaches an eighth of the
		// graph. Since the search looks at more nodes, it can keep fewer:
		// ef times the square root of the share kept recall@10 at the
		// unfiltered level for filters passing a third and two thirds,
		// at half the cost of the full ef.
		rate := s.passRate(f)
		if rate < annMinPass {
			return nil, false
		}
		ef = max(k, int(float64(ef)*math.Sqrt(rate)))
		q.budget = max(g.len()/8, 16*ef)
	}
	sc := &acc.ann
	if !g.search(vec, ef, sc, &q) {
		return nil, false
	}
	top := newTopK(acc, k, s)
	for _, c := range sc.res {
		if c.sim > 0 {
			top.push(g.slots[c.node], c.sim)
		}
	}
	// The vectors not linked yet are compared one by one.
	for _, list := range [2][]annEntry{a.extra, a.inbox} {
		for _, e := range list {
			if !s.dead[e.slot] && f.matchDoc(&s.docs[e.slot]) {
				if dot := vek32.Dot(e.vec, vec); dot > 0 {
					top.push(e.slot, dot)
				}
			}
		}
	}
	acc.sem = top.sorted(acc, acc.sem)
	return acc.sem, len(acc.sem) == k
}
