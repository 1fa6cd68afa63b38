package search

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/agentry/agentry/registry"
)

// gateEmbedder is a bagEmbedder whose calls wait until the test opens the
// gate (or the caller gives up).
type gateEmbedder struct {
	*bagEmbedder
	open  chan struct{}
	calls atomic.Int64
}

func (e *gateEmbedder) Embed(ctx context.Context, texts []string) ([][]float32, error) {
	e.calls.Add(1)
	select {
	case <-e.open:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	return e.bagEmbedder.Embed(ctx, texts)
}

// putPromptly calls Put and fails the test if it does not return within a
// second.
func putPromptly(t *testing.T, ix *Index, rec registry.Record) {
	t.Helper()
	done := make(chan struct{})
	go func() {
		defer close(done)
		ix.Put(rec)
	}()
	select {
	case <-done:
	case <-time.After(time.Second):
		t.Fatalf("Put(%s) waits for the embedder", rec.ID)
	}
}

// vecOf returns the vector the index holds for a record.
func vecOf(ix *Index, recordID string) []float32 {
	sh := ix.shard(testRegistry, false)
	sh.mu.RLock()
	defer sh.mu.RUnlock()
	if slot, ok := sh.slotOf[recordID]; ok {
		return sh.docs[slot].vec
	}
	return nil
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); !cond(); time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("still waiting for %s", what)
		}
	}
}

func TestPutDoesNotWaitForTheEmbedder(t *testing.T) {
	emb := &gateEmbedder{bagEmbedder: &bagEmbedder{concepts: map[string]int{"car": 1, "vehicl": 1}}, open: make(chan struct{})}
	var once sync.Once
	openGate := func() { once.Do(func() { close(emb.open) }) }
	t.Cleanup(openGate)
	ix := NewIndex(Options{Embedder: emb})
	t.Cleanup(ix.Close)

	garage := mcp("sem000000001", "garage", "Vehicle maintenance scheduling.", `{}`, "")
	putPromptly(t, ix, garage)
	if got := search(t, ix, "maintenance"); !slices.Equal(got, []string{"sem000000001"}) {
		t.Fatalf("lexical search right after Put: %v", got)
	}
	if got := search(t, ix, "car"); len(got) != 0 {
		t.Fatalf("semantic search before the vector is ready: %v", got)
	}
	// While the embedder works on it, the record gets another text: the
	// vector of the old text must not be attached.
	waitFor(t, "a call of the embedder", func() bool { return emb.calls.Load() > 0 })
	tyres := mcp("sem000000001", "garage", "Tyre pressure checks.", `{}`, "")
	putPromptly(t, ix, tyres)
	openGate()
	if err := ix.WaitVectors(context.Background()); err != nil {
		t.Fatal(err)
	}
	want, err := emb.bagEmbedder.Embed(context.Background(), []string{extract(tyres.Approved).embedText()})
	if err != nil {
		t.Fatal(err)
	}
	if got := vecOf(ix, "sem000000001"); !slices.Equal(got, ix.unit(want[0])) {
		t.Fatalf("vector %v, want that of the new text %v", got, ix.unit(want[0]))
	}

	// Semantically searchable once the vector is ready.
	putPromptly(t, ix, garage)
	if err := ix.WaitVectors(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := search(t, ix, "car"); !slices.Equal(got, []string{"sem000000001"}) {
		t.Fatalf("semantic search once the vector is ready: %v", got)
	}
	// A new revision with the same text keeps its vector, without a call.
	calls := emb.calls.Load()
	rev := *garage.Approved
	rev.Version, rev.UpdatedAt = "2.0", rev.UpdatedAt.Add(time.Hour)
	garage.Approved = &rev
	ix.Put(garage)
	if vecOf(ix, "sem000000001") == nil || emb.calls.Load() != calls {
		t.Fatalf("the same text lost its vector or was embedded again (%d calls, had %d)", emb.calls.Load(), calls)
	}
}

// pickyEmbedder is a bagEmbedder that refuses any batch with a text that
// contains refuse, and records the size of every batch it is asked for.
type pickyEmbedder struct {
	*bagEmbedder
	refuse string
	mu     sync.Mutex
	sizes  []int
}

func (e *pickyEmbedder) Embed(ctx context.Context, texts []string) ([][]float32, error) {
	e.mu.Lock()
	e.sizes = append(e.sizes, len(texts))
	e.mu.Unlock()
	for _, s := range texts {
		if strings.Contains(s, e.refuse) {
			return nil, errors.New("text refused")
		}
	}
	return e.bagEmbedder.Embed(ctx, texts)
}

func (e *pickyEmbedder) calls() []int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return slices.Clone(e.sizes)
}

// TestVectorsAfterAnOutage: while the embedder is down, writes go on, each
// record is queued once, and the worker retries with ever fewer texts; once
// it is back, every record gets its vector except one whose text it keeps
// refusing, which holds up no other.
func TestVectorsAfterAnOutage(t *testing.T) {
	emb := &pickyEmbedder{bagEmbedder: &bagEmbedder{}, refuse: "poison"}
	emb.fail.Store(true)
	var reported atomic.Int64
	ix := NewIndex(Options{Embedder: emb, OnError: func(error) { reported.Add(1) }})
	ix.vq.retryMin, ix.vq.retryMax = time.Millisecond, 5*time.Millisecond
	t.Cleanup(ix.Close)
	ids := []string{"a00000000001", "b00000000001", "c00000000001", "d00000000001"}
	for round := range 10 {
		for i, id := range ids {
			text := fmt.Sprintf("Record %d, revision %d.", i, round)
			if i == 1 {
				text = "A poison text."
			}
			putPromptly(t, ix, mcp(id, "record"+id[:1], text, `{}`, ""))
		}
		ix.vq.mu.Lock()
		queued := len(ix.vq.queued)
		ix.vq.mu.Unlock()
		if queued > len(ids) {
			t.Fatalf("%d records queued for %d records", queued, len(ids))
		}
	}
	if got := search(t, ix, "poison"); !slices.Equal(got, []string{"b00000000001"}) {
		t.Fatalf("lexical search during the outage: %v", got)
	}
	waitFor(t, "a retry of a single text", func() bool { return slices.Contains(emb.calls(), 1) })
	if reported.Load() == 0 {
		t.Error("the embedder's failures were not reported")
	}

	emb.fail.Store(false)
	waitFor(t, "the vectors after the outage", func() bool {
		return vecOf(ix, ids[0]) != nil && vecOf(ix, ids[2]) != nil && vecOf(ix, ids[3]) != nil
	})
	if vecOf(ix, ids[1]) != nil {
		t.Fatal("a refused text has a vector")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if err := ix.WaitVectors(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("WaitVectors with a record that cannot get its vector: %v", err)
	}
	// A new text for that record: the queue empties.
	putPromptly(t, ix, mcp(ids[1], "recordb", "A harmless text.", `{}`, ""))
	if err := ix.WaitVectors(context.Background()); err != nil || vecOf(ix, ids[1]) == nil {
		t.Fatalf("WaitVectors: %v; vector %v", err, vecOf(ix, ids[1]))
	}
}

// TestCloseStopsTheVectorWorker: Close ends an embedder call in flight,
// and the index keeps serving lexically.
func TestCloseStopsTheVectorWorker(t *testing.T) {
	emb := &gateEmbedder{bagEmbedder: &bagEmbedder{}, open: make(chan struct{})} // never opened
	ix := NewIndex(Options{Embedder: emb})
	putPromptly(t, ix, mcp("a00000000001", "notes", "Write down notes.", `{}`, ""))
	waitFor(t, "a call of the embedder", func() bool { return emb.calls.Load() > 0 })
	closed := make(chan struct{})
	go func() {
		defer close(closed)
		ix.Close()
	}()
	select {
	case <-closed:
	case <-time.After(5 * time.Second):
		t.Fatal("Close waits for the embedder")
	}
	if err := ix.WaitVectors(context.Background()); !errors.Is(err, errClosed) {
		t.Fatalf("WaitVectors after Close: %v", err)
	}
	putPromptly(t, ix, mcp("b00000000001", "tasks", "Track tasks.", `{}`, ""))
	if got := search(t, ix, "tasks"); !slices.Equal(got, []string{"b00000000001"}) {
		t.Fatalf("lexical search after Close: %v", got)
	}
}

// stallEmbedder is a bagEmbedder that, once stalled, answers no call until
// its caller gives up.
type stallEmbedder struct {
	*bagEmbedder
	stalled atomic.Bool
}

func (e *stallEmbedder) Embed(ctx context.Context, texts []string) ([][]float32, error) {
	if e.stalled.Load() {
		<-ctx.Done()
		return nil, ctx.Err()
	}
	return e.bagEmbedder.Embed(ctx, texts)
}

// TestSlowEmbedderDoesNotSlowSearch: a search whose query the embedder does
// not embed in time answers from the lexical leg at the deadline, and says
// why through OnError.
func TestSlowEmbedderDoesNotSlowSearch(t *testing.T) {
	emb := &stallEmbedder{bagEmbedder: &bagEmbedder{concepts: map[string]int{"car": 1, "vehicl": 1}}}
	var reported atomic.Int64
	ix := NewIndex(Options{Embedder: emb, QueryEmbedTimeout: 100 * time.Millisecond,
		OnError: func(error) { reported.Add(1) }})
	t.Cleanup(ix.Close)
	ix.Put(mcp("sem000000001", "garage", "Vehicle maintenance scheduling.", `{}`, ""))
	if err := ix.WaitVectors(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := search(t, ix, "car"); !slices.Equal(got, []string{"sem000000001"}) {
		t.Fatalf("semantic search with a working embedder: %v", got)
	}

	emb.stalled.Store(true)
	start := time.Now()
	got := search(t, ix, "maintenance")
	if d := time.Since(start); d > time.Second {
		t.Errorf("the search waited %v for an embedder that does not answer; want about the 100 ms deadline", d)
	}
	if !slices.Equal(got, []string{"sem000000001"}) {
		t.Errorf("lexical results without the query's vector: %v", got)
	}
	if reported.Load() == 0 {
		t.Error("the stalled embedder was not reported")
	}
}
