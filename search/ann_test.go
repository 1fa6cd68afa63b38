package search

import (
	"context"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"math"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/viterin/vek/vek32"
)

// randEmbedder gives every text a random unit vector fixed by the text:
// vectors without structure, the hard case for a graph index.
type randEmbedder struct{ dim int }

func (e randEmbedder) Fingerprint() string { return fmt.Sprintf("rand-%d", e.dim) }
func (e randEmbedder) Dimension() int      { return e.dim }
func (e randEmbedder) Embed(_ context.Context, texts []string) ([][]float32, error) {
	out := make([][]float32, len(texts))
	for i, t := range texts {
		h := fnv.New64a()
		h.Write([]byte(t))
		out[i] = randomUnit(rand.New(rand.NewPCG(h.Sum64(), 1)), e.dim)
	}
	return out, nil
}

func randomUnit(r *rand.Rand, dim int) []float32 {
	v := make([]float32, dim)
	var sum float64
	for i := range v {
		x := r.NormFloat64()
		v[i], sum = float32(x), sum+x*x
	}
	vek32.MulNumber_Inplace(v, float32(1/math.Sqrt(sum)))
	return v
}

// exactTop returns the k nodes most similar to q, best first.
func exactTop(vecs [][]float32, q []float32, k int) []uint32 {
	idx := make([]uint32, len(vecs))
	sims := make([]float32, len(vecs))
	for i, v := range vecs {
		idx[i], sims[i] = uint32(i), vek32.Dot(v, q)
	}
	slices.SortFunc(idx, func(a, b uint32) int {
		switch {
		case sims[a] > sims[b]:
			return -1
		case sims[a] < sims[b]:
			return 1
		}
		return 0
	})
	return idx[:k]
}

func overlap[T comparable](got, want []T) int {
	n := 0
	for _, x := range want {
		if slices.Contains(got, x) {
			n++
		}
	}
	return n
}

func TestHNSWRecall(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 1))
	vecs := make([][]float32, 3000)
	for i := range vecs {
		vecs[i] = randomUnit(r, 16)
	}
	g, sc := newHNSW(), new(annScratch)
	for i, v := range vecs {
		g.insert(v, uint32(i), sc)
	}
	if g.len() != len(vecs) || g.top < 1 {
		t.Fatalf("%d nodes, top layer %d", g.len(), g.top)
	}
	// Every node has links on layer 0, within bounds, and none to itself.
	for node := range g.len() {
		for l := 0; l <= len(g.upper[node])/(annM+1); l++ {
			nb, limit := g.neighbours(uint32(node), l), annM
			if l == 0 {
				limit = 2 * annM
			}
			if (l == 0 && len(nb) == 0) || len(nb) > limit || slices.Contains(nb, uint32(node)) {
				t.Fatalf("node %d layer %d: links %v", node, l, nb)
			}
		}
	}
	hits, total := 0, 0
	for range 200 {
		q := randomUnit(r, 16)
		g.search(q, annEfSearch, sc, &annQuery{})
		got := make([]uint32, 0, len(sc.res))
		for _, c := range sc.res {
			got = append(got, c.node)
		}
		hits += overlap(got, exactTop(vecs, q, 10))
		total += 10
	}
	if recall := float64(hits) / float64(total); recall < 0.95 {
		t.Errorf("recall@10 %.3f, want at least 0.95", recall)
	}
}

// annShard returns the test registry's shard of ix.
func annShard(t *testing.T, ix *Index) *shard {
	t.Helper()
	sh := ix.shard(testRegistry, false)
	if sh == nil {
		t.Fatal("no shard")
	}
	return sh
}

// checkANN checks that every live vector of the shard is in exactly one
// place a search looks: the serving graph (live nodes), or the lists
// scanned exactly.
func checkANN(t *testing.T, sh *shard) {
	t.Helper()
	sh.mu.RLock()
	defer sh.mu.RUnlock()
	a := sh.ann
	a.mu.RLock()
	defer a.mu.RUnlock()
	seen := map[uint32]string{}
	note := func(slot uint32, vec []float32, where string) {
		if prev, ok := seen[slot]; ok {
			t.Errorf("slot %d in %s and %s", slot, prev, where)
		}
		seen[slot] = where
		if int(slot) >= len(sh.docs) || sh.dead[slot] {
			return // removed since: skipped by searches
		}
		if d := &sh.docs[slot]; &d.vec[0] != &vec[0] {
			t.Errorf("slot %d (%s): %s holds another vector", slot, d.recordID, where)
		}
	}
	for node, slot := range a.graph.slots {
		if slot != noSlot {
			note(slot, a.graph.vecs[node], "graph")
		}
	}
	for _, e := range a.extra {
		note(e.slot, e.vec, "extra")
	}
	for _, e := range a.inbox {
		note(e.slot, e.vec, "inbox")
	}
	for slot := range sh.docs {
		if _, ok := seen[uint32(slot)]; !ok && !sh.dead[slot] && sh.docs[slot].vec != nil {
			t.Errorf("slot %d (%s) has a vector that no search looks at", slot, sh.docs[slot].recordID)
		}
	}
}

// annRecall compares the approximate and the exact semantic leg on
// queries, and checks that the approximate one returns only live records
// that pass f, with their true similarity. It returns recall@10 and how
// many queries the approximate index answered itself.
func annRecall(t *testing.T, ix *Index, queries []string, f *Filter) (float64, int) {
	t.Helper()
	sh := annShard(t, ix)
	acc := new(accumulator)
	hits, total, answered := 0, 0, 0
	for _, text := range queries {
		q := ix.embedQuery(context.Background(), text).whole
		sh.mu.RLock()
		exact := slices.Clone(sh.scan(acc, q, f, 10))
		var got []scored
		ok := sh.ann.ready.Load()
		if ok {
			got, ok = sh.ann.search(sh, acc, q, f, 10)
		}
		if !ok {
			got = sh.scan(acc, q, f, 10)
		} else {
			answered++
		}
		for _, c := range got {
			d := &sh.docs[c.slot]
			if sh.dead[c.slot] || !f.matchDoc(d) || math.Abs(float64(vek32.Dot(d.vec, q)-c.score)) > 1e-5 {
				t.Errorf("%q: result %s is dead, filtered out or mis-scored", text, d.recordID)
			}
		}
		var gotIDs, wantIDs []string
		for _, c := range got {
			gotIDs = append(gotIDs, sh.docs[c.slot].recordID)
		}
		for _, c := range exact {
			wantIDs = append(wantIDs, sh.docs[c.slot].recordID)
		}
		sh.mu.RUnlock()
		hits += overlap(gotIDs, wantIDs)
		total += len(wantIDs)
	}
	return float64(hits) / float64(max(total, 1)), answered
}

func mustFilter(t *testing.T, s string) *Filter {
	t.Helper()
	f, err := ParseFilter(json.RawMessage(s))
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func TestApproxIndexFollowsUpdates(t *testing.T) {
	recs := syntheticRecords(t, 1500, 5)
	ix := NewIndex(Options{Embedder: randEmbedder{16}, ApproxThreshold: 500})
	ix.PutMany(recs)
	if _, err := ix.BuildApprox(context.Background()); err != nil {
		t.Fatal(err)
	}
	sh := annShard(t, ix)
	if sh.ann == nil || !sh.ann.ready.Load() || sh.ann.graph.len() != len(recs) {
		t.Fatalf("approximate index not built over the %d records", len(recs))
	}
	checkANN(t, sh)
	g := newCorpusGen(t)
	queries := make([]string, 100)
	for i := range queries {
		queries[i] = g.text(2, 6)
	}
	check := func(when string, f *Filter, minAnswered int) {
		t.Helper()
		recall, answered := annRecall(t, ix, queries, f)
		if recall < 0.95 || answered < minAnswered {
			t.Errorf("%s: recall@10 %.3f (want at least 0.95); %d of %d queries answered by the approximate index, want at least %d",
				when, recall, answered, len(queries), minAnswered)
		}
	}
	check("built", nil, len(queries))
	check("filter passing 2/3", mustFilter(t, `{"descriptorType": {"$ne": "CUSTOM"}}`), len(queries))
	// A filter that one record passes is answered by the exact scan.
	check("filter passing one", mustFilter(t, fmt.Sprintf(`{"name": {"$eq": %q}}`, recs[7].Approved.Name)), 0)

	// Searches run all along while records are removed and replaced.
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 0; ctx.Err() == nil; i++ {
			if _, err := ix.Search(ctx, Query{RegistryID: testRegistry, Text: queries[i%len(queries)]}); err != nil && ctx.Err() == nil {
				t.Error(err)
			}
		}
	}()
	// The builder waits, so that new vectors stay in the inbox at first.
	sh.ann.build.Lock()
	r := rand.New(rand.NewPCG(2, 2))
	var replaced []int
	for i := range recs {
		switch r.IntN(3) {
		case 0:
			ix.Remove(testRegistry, recs[i].ID)
		case 1:
			rev := *recs[i].Approved
			rev.Description += " revised"
			recs[i].Approved = &rev
			ix.Put(recs[i])
			replaced = append(replaced, i)
		}
	}
	// A new vector is found before it is linked.
	if err := ix.WaitVectors(context.Background()); err != nil {
		t.Fatal(err)
	}
	checkANN(t, sh)
	for _, i := range replaced[len(replaced)-20:] {
		sh.mu.RLock()
		q := sh.docs[sh.slotOf[recs[i].ID]].vec
		sh.mu.RUnlock()
		if got := semanticIDs(sh, q, 1); !slices.Equal(got, []string{recs[i].ID}) {
			t.Errorf("replaced record %s not found by its own vector: %v", recs[i].ID, got)
		}
	}
	sh.ann.build.Unlock()
	if _, err := ix.BuildApprox(context.Background()); err != nil {
		t.Fatal(err)
	}
	cancel()
	wg.Wait()
	checkANN(t, sh)
	if a := sh.ann; a.graph.dead*4 > a.graph.len() {
		t.Errorf("%d tombstones of %d nodes: not rebuilt", a.graph.dead, a.graph.len())
	}
	check("after removals and replacements", nil, len(queries))
	check("after updates, filter passing 1/3", mustFilter(t, `{"descriptorType": {"$eq": "CUSTOM"}}`), len(queries)/2)
}

// semanticIDs returns the record ids of the semantic leg's best k.
func semanticIDs(sh *shard, q []float32, k int) []string {
	sh.mu.RLock()
	defer sh.mu.RUnlock()
	var ids []string
	for _, c := range sh.semantic(new(accumulator), &queryVectors{whole: q}, nil, k) {
		ids = append(ids, sh.docs[c.slot].recordID)
	}
	return ids
}

func TestApproxIndexFromLateVectors(t *testing.T) {
	recs := syntheticRecords(t, 700, 6)
	ix := NewIndex(Options{Embedder: randEmbedder{16}, ApproxThreshold: 300, DeferVectors: true})
	ix.PutMany(recs)
	sh := annShard(t, ix)
	if sh.ann != nil {
		t.Fatal("approximate index before any vector")
	}
	if err := ix.FillVectors(context.Background()); err != nil {
		t.Fatal(err)
	}
	if _, err := ix.BuildApprox(context.Background()); err != nil {
		t.Fatal(err)
	}
	if sh.ann == nil || !sh.ann.ready.Load() {
		t.Fatal("no approximate index after FillVectors")
	}
	checkANN(t, sh)
	if got := semanticIDs(sh, sh.docs[sh.slotOf[recs[3].ID]].vec, 1); !slices.Equal(got, []string{recs[3].ID}) {
		t.Errorf("a record's own vector finds %v", got)
	}
	// After Close nothing is linked any more, and new vectors are still
	// found. (The builder waits until then, so that the new vector stays
	// in the inbox.)
	sh.ann.build.Lock()
	rev := *recs[3].Approved
	rev.Description = "a new text"
	recs[3].Approved = &rev
	ix.Put(recs[3])
	if err := ix.WaitVectors(context.Background()); err != nil {
		t.Fatal(err)
	}
	ix.Close()
	sh.ann.build.Unlock()
	if _, err := ix.BuildApprox(context.Background()); err != nil {
		t.Fatal(err)
	}
	checkANN(t, sh)
	if len(sh.ann.inbox) != 1 {
		t.Errorf("%d vectors waiting after Close, want 1", len(sh.ann.inbox))
	}
	if got := semanticIDs(sh, sh.docs[sh.slotOf[recs[3].ID]].vec, 1); !slices.Equal(got, []string{recs[3].ID}) {
		t.Errorf("after Close, a record's own vector finds %v", got)
	}
}

func TestApproxThreshold(t *testing.T) {
	recs := syntheticRecords(t, 200, 7)
	for _, tt := range []struct {
		threshold int
		want      bool
	}{{0, false}, {-1, false}, {200, true}, {201, false}} {
		ix := NewIndex(Options{Embedder: randEmbedder{8}, ApproxThreshold: tt.threshold})
		ix.PutMany(recs)
		if got := annShard(t, ix).ann != nil; got != tt.want {
			t.Errorf("threshold %d, 200 vectors: approximate index %v, want %v", tt.threshold, got, tt.want)
		}
	}
	// Until the index is ready, and after the registry is dropped, the
	// builder does no harm.
	ix := NewIndex(Options{Embedder: randEmbedder{8}, ApproxThreshold: 10})
	ix.PutMany(recs)
	ix.RemoveRegistry(testRegistry)
	time.Sleep(10 * time.Millisecond)
}

func TestSemanticLegDoesNotAllocate(t *testing.T) {
	recs := syntheticRecords(t, 600, 8)
	ix := NewIndex(Options{Embedder: randEmbedder{16}, ApproxThreshold: 300})
	ix.PutMany(recs)
	if _, err := ix.BuildApprox(context.Background()); err != nil {
		t.Fatal(err)
	}
	sh := annShard(t, ix)
	q := ix.embedQuery(context.Background(), "query words").whole
	f := mustFilter(t, `{"descriptorType": {"$ne": "CUSTOM"}}`)
	acc := new(accumulator)
	sh.mu.RLock()
	defer sh.mu.RUnlock()
	for name, leg := range map[string]func(){
		"approximate":          func() { sh.ann.search(sh, acc, q, nil, 100) },
		"approximate filtered": func() { sh.ann.search(sh, acc, q, f, 100) },
		"exact":                func() { sh.scan(acc, q, f, 100) },
	} {
		leg() // sizes the scratch space
		if n := testing.AllocsPerRun(20, leg); n != 0 {
			t.Errorf("%s: %v allocations per query", name, n)
		}
	}
}

func TestPassRate(t *testing.T) {
	recs := syntheticRecords(t, 999, 9) // every third record is CUSTOM
	ix := NewIndex(Options{})
	ix.PutMany(recs)
	sh := annShard(t, ix)
	for _, tt := range []struct {
		filter string
		lo, hi float64
	}{
		{`{"descriptorType": {"$eq": "CUSTOM"}}`, 0.2, 0.47},
		{`{"descriptorType": {"$ne": "CUSTOM"}}`, 0.53, 0.8},
		{fmt.Sprintf(`{"name": {"$eq": %q}}`, recs[5].Approved.Name), 0, 0.02},
	} {
		if got := sh.passRate(mustFilter(t, tt.filter)); got < tt.lo || got > tt.hi {
			t.Errorf("%s: pass rate %.2f, want %.2f to %.2f", tt.filter, got, tt.lo, tt.hi)
		}
	}
}

// TestApproxIndexUnderConcurrentWrites replaces and removes records while
// the builder links and rebuilds and searches run, then checks that every
// live record is found by its own vector.
func TestApproxIndexUnderConcurrentWrites(t *testing.T) {
	recs := syntheticRecords(t, 800, 10)
	ix := NewIndex(Options{Embedder: randEmbedder{16}, ApproxThreshold: 200})
	ix.PutMany(recs)
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	var wg sync.WaitGroup
	wg.Add(2)
	go func() {
		defer wg.Done()
		g := newCorpusGen(t)
		for ctx.Err() == nil {
			if _, err := ix.Search(context.Background(), Query{RegistryID: testRegistry, Text: g.text(2, 5), MaxResults: 20}); err != nil {
				t.Error(err)
				return
			}
		}
	}()
	go func() {
		defer wg.Done()
		r := rand.New(rand.NewPCG(4, 4))
		for i := 0; ctx.Err() == nil; i++ {
			rec := recs[r.IntN(len(recs))]
			if r.IntN(4) == 0 {
				ix.Remove(testRegistry, rec.ID)
				continue
			}
			rev := *rec.Approved
			rev.Description = fmt.Sprintf("revision %d", i)
			rec.Approved = &rev
			ix.Put(rec)
		}
	}()
	wg.Wait()
	if err := ix.WaitVectors(context.Background()); err != nil {
		t.Fatal(err)
	}
	if _, err := ix.BuildApprox(context.Background()); err != nil {
		t.Fatal(err)
	}
	sh := annShard(t, ix)
	checkANN(t, sh)
	sh.mu.RLock()
	live := map[string][]float32{}
	for id, slot := range sh.slotOf {
		live[id] = sh.docs[slot].vec
	}
	sh.mu.RUnlock()
	missed := 0
	for id, vec := range live {
		if got := semanticIDs(sh, vec, 1); !slices.Equal(got, []string{id}) {
			missed++
		}
	}
	// A record may share its text, hence its vector, with another one.
	if missed > len(live)/50 {
		t.Errorf("%d of %d live records not found by their own vector", missed, len(live))
	}
}

// The similarities kept beside layer 0's links are those of the vectors
// (from their int8 copies, as the builder compares), after a parallel
// build in which lists fill and are chosen again; a list chosen again
// incrementally (chosen0) is sorted, best first.
func TestLinkSimsKept(t *testing.T) {
	r := rand.New(rand.NewPCG(13, 14))
	g := newHNSW()
	scs := []*annScratch{new(annScratch), new(annScratch)}
	for range 30 {
		var nodes []uint32
		for range 100 {
			nodes = append(nodes, g.alloc(randomUnit(r, 64), uint32(g.len())))
		}
		g.connectAll(nodes, scs)
	}
	full, known := 0, 0
	for node := range uint32(g.len()) {
		nb := g.neighbours(node, 0)
		if len(nb) == 2*annM {
			full++
		}
		sims := g.sims0[int(node)*stride0+1 : int(node)*stride0+1+len(nb)]
		for i, x := range nb {
			// int8 copies: within a hundredth of the float32 product,
			// while two random vectors' products differ by a tenth.
			if got, want := sims[i], vek32.Dot(g.vecs[node], g.vecs[x]); math.Abs(float64(got-want)) > 0.01 {
				t.Fatalf("node %d link %d to %d: kept %v, dot %v", node, i, x, got, want)
			}
		}
		if g.chosen0[node]&listKnown != 0 {
			known++
			if !slices.IsSortedFunc(sims, func(a, b float32) int { return bestFirst(annCand{sim: a}, annCand{sim: b}) }) {
				t.Fatalf("node %d: list known but not sorted: %v", node, sims)
			}
		}
	}
	if full < 100 || known < 100 {
		t.Fatalf("only %d full lists, %d known", full, known)
	}
}

// relink0, which examines again only the candidates below a new link's
// place, keeps the links that selectNeighbours over all of them keeps.
func TestRelinkChoosesAsSelect(t *testing.T) {
	r := rand.New(rand.NewPCG(15, 16))
	g := newHNSW()
	sc := new(annScratch)
	var nodes []uint32
	for range 2000 {
		nodes = append(nodes, g.alloc(randomUnit(r, 64), uint32(g.len())))
	}
	g.connectAll(nodes, []*annScratch{sc})
	tried := 0
	for range 3000 {
		node := uint32(r.IntN(g.len()))
		l := g.list(node, 0)
		if int(l[0]) < 2*annM {
			continue
		}
		peer := uint32(r.IntN(g.len()))
		if peer == node || slices.Contains(g.neighbours(node, 0), peer) {
			continue
		}
		var dots [1]int32
		dot8Pairs(g.q8, g.sum8, g.dim, node, []uint32{peer}, dots[:])
		sim := float32(dots[0]) * g.s8[node] * g.s8[peer]
		cands := []annCand{{sim, peer}}
		for i, x := range g.neighbours(node, 0) {
			cands = append(cands, annCand{g.sims0[int(node)*stride0+1+i], x})
		}
		slices.SortStableFunc(cands, bestFirst)
		ref := new(annScratch)
		var want []uint32
		for _, c := range g.selectNeighbours(nil, cands, 2*annM, ref) {
			want = append(want, c.node)
		}
		g.link(node, peer, sim, 0, 2*annM, sc)
		got := slices.Clone(g.neighbours(node, 0))
		slices.Sort(got)
		slices.Sort(want)
		if !slices.Equal(got, want) {
			t.Fatalf("node %d, new link to %d: links %v, selectNeighbours keeps %v", node, peer, got, want)
		}
		tried++
	}
	if tried < 1000 {
		t.Fatalf("only %d full lists tried", tried)
	}
}
