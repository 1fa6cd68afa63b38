package search

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/agentry/agentry/registry"
)

// Record vectors are computed in the background, so that a write never
// waits for the embedder: Put indexes a record lexically and hands it to
// the index's vector queue, whose worker loads its vector from the
// VectorStore or asks the embedder, a batch at a time, holding no lock
// while it waits, and attaches the vector if the record still has the text
// it was computed from. A search meanwhile finds the record lexically.
//
// When the embedder fails, the worker tries the batch again after a pause
// that doubles from retryMin up to retryMax, with half as many records
// each time, so that during an outage it asks about one text at a time,
// and a text the embedder refuses ends up alone, behind the others, rather
// than holding up everything queued after it.

// Pauses between attempts after a failure of the embedder.
const (
	retryMin = time.Second
	retryMax = time.Minute
)

// errClosed is WaitVectors' answer once the index is closed.
var errClosed = errors.New("search: the index is closed")

// pendingVec names a record that waits for its vector.
type pendingVec struct{ registryID, recordID string }

// vectorQueue is the records waiting for their vectors and the worker that
// computes them. A record is queued at most once, so the queue is bounded
// by the number of records indexed.
type vectorQueue struct {
	mu      sync.Mutex
	order   []pendingVec // first in, first out
	queued  map[pendingVec]bool
	running bool          // a worker is on its way
	idle    chan struct{} // closed when the running worker stops
	closed  bool

	fill     func(context.Context, []pendingVec) error // computes and attaches vectors
	ctx      context.Context                           // ends with Close
	cancel   context.CancelFunc
	workers  sync.WaitGroup
	retryMin time.Duration // retryMin and retryMax, shortened by tests
	retryMax time.Duration
}

func newVectorQueue(fill func(context.Context, []pendingVec) error) *vectorQueue {
	ctx, cancel := context.WithCancel(context.Background())
	return &vectorQueue{queued: map[pendingVec]bool{}, fill: fill, ctx: ctx, cancel: cancel, retryMin: retryMin, retryMax: retryMax}
}

// add queues records (after those already waiting) and starts the worker
// unless it runs.
func (q *vectorQueue) add(recs ...pendingVec) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.closed {
		return
	}
	for _, r := range recs {
		if !q.queued[r] {
			q.queued[r] = true
			q.order = append(q.order, r)
		}
	}
	if len(q.order) > 0 && !q.running {
		q.running = true
		q.idle = make(chan struct{})
		q.workers.Add(1)
		go q.work()
	}
}

// take removes up to n records from the front of the queue. When there are
// none, it marks the worker stopped and returns nil.
func (q *vectorQueue) take(n int) []pendingVec {
	q.mu.Lock()
	defer q.mu.Unlock()
	if len(q.order) == 0 || q.closed {
		q.running = false
		close(q.idle)
		return nil
	}
	recs := append([]pendingVec(nil), q.order[:min(n, len(q.order))]...)
	q.order = q.order[len(recs):]
	if len(q.order) == 0 {
		q.order = nil // let go of the array
	}
	for _, r := range recs {
		delete(q.queued, r)
	}
	return recs
}

// putBack returns records whose embedding failed to the queue: in front of
// the others, or behind them when last is set. A record queued again
// meanwhile stays where it is.
func (q *vectorQueue) putBack(recs []pendingVec, last bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	back := recs[:0:0]
	for _, r := range recs {
		if !q.queued[r] {
			q.queued[r] = true
			back = append(back, r)
		}
	}
	if last {
		q.order = append(q.order, back...)
	} else {
		q.order = append(back, q.order...)
	}
}

// work computes queued vectors until the queue is empty or the index is
// closed.
func (q *vectorQueue) work() {
	defer q.workers.Done()
	size, pause := embedBatch, time.Duration(0)
	for {
		recs := q.take(size)
		if recs == nil {
			return
		}
		err := q.fill(q.ctx, recs)
		if q.ctx.Err() != nil {
			continue // closed: take stops the worker
		}
		if err == nil {
			size, pause = min(2*size, embedBatch), 0
			continue
		}
		q.putBack(recs, len(recs) == 1)
		size = max(1, len(recs)/2)
		pause = min(max(2*pause, q.retryMin), q.retryMax)
		t := time.NewTimer(pause)
		select {
		case <-t.C:
		case <-q.ctx.Done():
			t.Stop()
		}
	}
}

// close stops the worker, ending an embedder call in flight, and returns
// once it has stopped; records still queued get no vector.
func (q *vectorQueue) close() {
	q.mu.Lock()
	q.closed = true
	q.mu.Unlock()
	q.cancel()
	q.workers.Wait()
}

// WaitVectors waits until no record waits for its vector (each one queued
// before the call has it, or was found to have none) and returns nil; or
// returns ctx's error when ctx ends first (an embedder that is down makes
// it wait until the embedder is back), or an error when the index is
// closed. It is for tests, benchmarks and start-up, not for serving
// requests: a search never needs to wait for vectors.
func (ix *Index) WaitVectors(ctx context.Context) error {
	q := ix.vq
	q.mu.Lock()
	closed, running, idle := q.closed, q.running, q.idle
	q.mu.Unlock()
	switch {
	case closed:
		return errClosed
	case !running:
		return nil
	}
	select {
	case <-idle:
		if q.ctx.Err() != nil {
			return errClosed
		}
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// FillVectors hands every indexed record that lacks its vector to the
// background worker (after PutMany with DeferVectors, all of them) and
// waits for them as WaitVectors does.
func (ix *Index) FillVectors(ctx context.Context) error {
	if ix.set.embedder == nil {
		return nil
	}
	ix.mu.RLock()
	ids := make([]string, 0, len(ix.shards))
	for id := range ix.shards {
		ids = append(ids, id)
	}
	ix.mu.RUnlock()
	for _, id := range ids {
		sh := ix.shard(id, false)
		if sh == nil {
			continue
		}
		var recs []pendingVec
		sh.mu.RLock()
		for slot := range sh.docs {
			if d := &sh.docs[slot]; !sh.dead[slot] && d.vec == nil && d.textKey != ([32]byte{}) {
				recs = append(recs, pendingVec{id, d.recordID})
			}
		}
		sh.mu.RUnlock()
		ix.vq.add(recs...)
	}
	return ix.WaitVectors(ctx)
}

// fill computes the vectors of recs and attaches them. It fails only when
// the embedder does; records removed meanwhile, or given a vector
// already, are skipped.
func (ix *Index) fill(ctx context.Context, recs []pendingVec) error {
	type job struct {
		sh *shard
		a  *analyzed
	}
	jobs := make([]job, 0, len(recs))
	for _, r := range recs {
		sh := ix.shard(r.registryID, false)
		if sh == nil {
			continue
		}
		var rev registry.Revision
		var key [32]byte
		sh.mu.RLock()
		if slot, ok := sh.slotOf[r.recordID]; ok && sh.docs[slot].vec == nil {
			rev, key = sh.docs[slot].revision(), sh.docs[slot].textKey
		}
		sh.mu.RUnlock()
		if key != ([32]byte{}) { // a record without text to embed has a zero key
			jobs = append(jobs, job{sh, &analyzed{recordID: r.recordID, embedText: extract(&rev).embedText(), textKey: key}})
		}
	}
	batch := make([]*analyzed, len(jobs))
	for i, j := range jobs {
		batch[i] = j.a
	}
	if err := ix.embedDocs(ctx, batch); err != nil {
		return err
	}
	for _, j := range jobs {
		j.sh.attach(j.a)
	}
	return nil
}

// attach gives a record the vector computed for it, unless the record was
// removed, or replaced by a revision of another text (which was queued in
// its turn), while the vector was computed.
func (s *shard) attach(a *analyzed) {
	if a.vec == nil {
		return // the embedder gave no usable vector for this text
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	slot, ok := s.slotOf[a.recordID]
	if !ok {
		return
	}
	if d := &s.docs[slot]; d.vec == nil && d.textKey == a.textKey {
		d.vec = a.vec
		s.vec8.set(int(slot), a.vec)
		s.vectors++
		s.noteVector(slot)
	}
}
