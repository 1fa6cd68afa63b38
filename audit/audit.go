// Package audit keeps the audit trail: every control-plane call that
// changes something and every refused call, written durably to the store
// in small batches, queryable by time, principal, resource and operation,
// exported as JSON lines, and pruned past its retention.
package audit

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"sync"
	"time"

	"github.com/agentry/agentry/registry"
)

// Store is where the trail is kept (store/sqlite, store/postgres).
type Store interface {
	AppendAudit(ctx context.Context, entries []registry.AuditEntry) error
	Audit(ctx context.Context, q registry.AuditQuery) ([]registry.AuditEntry, error)
	PruneAudit(ctx context.Context, before time.Time) (int64, error)
}

// Options configure a Recorder.
type Options struct {
	// Retention is how long entries are kept (0 = DefaultRetention).
	Retention time.Duration
	Logger    *slog.Logger
}

// DefaultRetention keeps the trail for 90 days.
const DefaultRetention = 90 * 24 * time.Hour

// Recorder writes entries to the store in the background, in batches: a
// request does not wait for a disk write of its own, and the trail costs
// one transaction per batch. Record blocks when the queue is full rather
// than drop an entry; Close writes what is queued.
type Recorder struct {
	store Store
	opts  Options
	log   *slog.Logger
	queue chan registry.AuditEntry
	stop  chan struct{}
	done  chan struct{}
	once  sync.Once
}

const (
	queueSize  = 4096
	batchSize  = 256
	flushEvery = 50 * time.Millisecond
	pruneEvery = time.Hour
)

// New starts a Recorder.
func New(store Store, opts Options) *Recorder {
	if opts.Retention <= 0 {
		opts.Retention = DefaultRetention
	}
	r := &Recorder{store: store, opts: opts, log: opts.Logger, queue: make(chan registry.AuditEntry, queueSize),
		stop: make(chan struct{}), done: make(chan struct{})}
	if r.log == nil {
		r.log = slog.Default()
	}
	go r.run()
	return r
}

// Record queues an entry.
func (r *Recorder) Record(e registry.AuditEntry) {
	select {
	case r.queue <- e:
	case <-r.stop:
	}
}

// Close writes the queued entries and stops.
func (r *Recorder) Close() {
	r.once.Do(func() { close(r.stop) })
	<-r.done
}

func (r *Recorder) run() {
	defer close(r.done)
	tick := time.NewTicker(flushEvery)
	defer tick.Stop()
	lastPrune := time.Time{}
	var batch []registry.AuditEntry
	for {
		select {
		case e := <-r.queue:
			batch = append(batch, e)
			if len(batch) < batchSize {
				continue
			}
		case <-tick.C:
		case <-r.stop:
			for len(r.queue) > 0 {
				batch = append(batch, <-r.queue)
			}
			r.write(batch)
			return
		}
		batch = r.write(batch)
		if time.Since(lastPrune) > pruneEvery {
			lastPrune = time.Now()
			if n, err := r.store.PruneAudit(context.Background(), time.Now().Add(-r.opts.Retention)); err != nil {
				r.log.Warn("audit: pruning failed", "err", err)
			} else if n > 0 {
				r.log.Info("audit: entries past their retention deleted", "entries", n)
			}
		}
	}
}

// write writes batch, retrying while the store fails (entries are not
// dropped), and returns it emptied.
func (r *Recorder) write(batch []registry.AuditEntry) []registry.AuditEntry {
	if len(batch) == 0 {
		return batch
	}
	for attempt := 1; ; attempt++ {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		err := r.store.AppendAudit(ctx, batch)
		cancel()
		if err == nil {
			return batch[:0]
		}
		r.log.Error("audit: cannot write the trail; retrying", "entries", len(batch), "attempt", attempt, "err", err)
		select {
		case <-time.After(min(time.Duration(attempt)*100*time.Millisecond, 5*time.Second)):
		case <-r.stop:
			if attempt >= 3 {
				return batch[:0]
			}
		}
	}
}

// Line is an entry as a JSON line, the export format.
type Line struct {
	Seq           int64    `json:"seq"`
	Time          string   `json:"time"`
	RequestID     string   `json:"requestId"`
	Operation     string   `json:"operation"`
	Principal     string   `json:"principal,omitempty"`
	AccessKeyID   string   `json:"accessKeyId,omitempty"`
	SourceIP      string   `json:"sourceIp"`
	Resource      string   `json:"resource,omitempty"`
	Outcome       string   `json:"outcome"`
	Status        int      `json:"status"`
	ErrorName     string   `json:"errorName,omitempty"`
	Denial        string   `json:"denial,omitempty"`
	ChangedFields []string `json:"changedFields,omitempty"`
	DeniedBy      string   `json:"deniedBy,omitempty"`
}

// LineOf is e as a Line.
func LineOf(e registry.AuditEntry) Line {
	return Line{Seq: e.Seq, Time: e.At.UTC().Format(time.RFC3339Nano), RequestID: e.RequestID, Operation: e.Operation,
		Principal: e.Principal, AccessKeyID: e.AccessKeyID, SourceIP: e.SourceIP, Resource: e.Resource,
		Outcome: e.Outcome, Status: e.Status, ErrorName: e.Error, Denial: e.Denial, ChangedFields: e.Changed,
		DeniedBy: e.DeniedBy}
}

// MaxPage is the most entries one query returns.
const MaxPage = 1000

// Export writes the entries q selects to w as JSON lines, all of them
// page by page when q.Limit is 0, and returns how many it wrote.
func Export(ctx context.Context, store Store, q registry.AuditQuery, w io.Writer) (int, error) {
	enc := json.NewEncoder(w)
	limit, n := q.Limit, 0
	for {
		q.Limit = MaxPage
		if limit > 0 {
			q.Limit = min(MaxPage, limit-n)
		}
		if q.Limit <= 0 {
			return n, nil
		}
		page, err := store.Audit(ctx, q)
		if err != nil {
			return n, err
		}
		for _, e := range page {
			if err := enc.Encode(LineOf(e)); err != nil {
				return n, err
			}
			n++
		}
		if len(page) < q.Limit {
			return n, nil
		}
		q.AfterSeq = page[len(page)-1].Seq
	}
}
