// Package events delivers lifecycle events to webhooks. The registry
// service writes each event in the transaction of its change (the outbox,
// registry.Event); a Dispatcher reads the outbox in order and POSTs each
// event, in the EventBridge envelope and signed, to every webhook that
// wants it: at least once, retrying with exponential backoff, and into a
// dead-letter list after the last try. Each webhook gets its events in
// commit order, so those of one record in order, and its position is kept
// in the store, so a restart resumes where delivery stopped. On a store
// that replicas share, one replica delivers at a time (Leader).
package events

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/agentry/agentry/registry"
)

// Sources of the envelope: the preview bedrock-agentcore API's, and the
// GA agent-registry API's for the changes made through it.
const (
	Source   = "aws.bedrock-agentcore"
	SourceGA = "aws.agent-registry"
)

// Store is what a Dispatcher needs of the store: the outbox, the settings
// that keep each webhook's position, and the dead-letter list.
type Store interface {
	Update(ctx context.Context, fn func(registry.Tx) error) error
	View(ctx context.Context, fn func(registry.Tx) error) error
	EventsSince(ctx context.Context, after int64, limit int) ([]registry.Event, error)
	LatestEvent(ctx context.Context) (int64, error)
	PruneEvents(ctx context.Context, upTo int64) error
	AddDeadLetter(ctx context.Context, d registry.DeadLetter) error
}

// Leader is implemented by stores that replicas share (store/postgres):
// TryLead makes this process the only deliverer until release, or until
// lost is closed.
type Leader interface {
	TryLead(ctx context.Context) (release func(), lost <-chan struct{}, ok bool, err error)
}

// Metrics hears of deliveries (*metrics.Metrics).
type Metrics interface {
	Delivery(ok bool, delay time.Duration)
	DeadLetter()
}

// Options configure a Dispatcher.
type Options struct {
	Webhooks []Webhook
	ARNs     registry.ARNs
	// Client posts to the webhooks: safehttp's, so that their URLs cannot
	// reach what the configuration does not allow.
	Client *http.Client
	// MaxAttempts is how many times an event is tried before it goes to
	// the dead-letter list (0 = DefaultMaxAttempts).
	MaxAttempts int
	// RetryMin and RetryMax bound the backoff between tries (0 = 500 ms
	// and 30 s): it doubles from RetryMin up to RetryMax.
	RetryMin, RetryMax time.Duration
	// Poll is how often the outbox is read when idle (0 = 100 ms).
	Poll    time.Duration
	Metrics Metrics
	Logger  *slog.Logger
}

// DefaultMaxAttempts tries an event for about 5 minutes with the default
// backoff: a receiver down for minutes loses nothing.
const DefaultMaxAttempts = 16

// Dispatcher delivers the outbox to webhooks.
type Dispatcher struct {
	store Store
	opts  Options
	log   *slog.Logger

	mu      sync.Mutex
	pending map[string]time.Time // by webhook: the commit time of the event it is trying, zero when idle
	cursors map[string]int64
}

// New returns a Dispatcher; Run delivers.
func New(store Store, opts Options) *Dispatcher {
	if opts.MaxAttempts <= 0 {
		opts.MaxAttempts = DefaultMaxAttempts
	}
	if opts.RetryMin <= 0 {
		opts.RetryMin = 500 * time.Millisecond
	}
	if opts.RetryMax <= 0 {
		opts.RetryMax = 30 * time.Second
	}
	if opts.Poll <= 0 {
		opts.Poll = 100 * time.Millisecond
	}
	if opts.Client == nil {
		opts.Client = http.DefaultClient
	}
	d := &Dispatcher{store: store, opts: opts, log: opts.Logger, pending: map[string]time.Time{}, cursors: map[string]int64{}}
	if d.log == nil {
		d.log = slog.Default()
	}
	return d
}

// Lag is how long the oldest event a webhook is trying has waited since
// its commit; 0 when every webhook is idle.
func (d *Dispatcher) Lag() time.Duration {
	d.mu.Lock()
	defer d.mu.Unlock()
	var lag time.Duration
	for _, at := range d.pending {
		if !at.IsZero() {
			lag = max(lag, time.Since(at))
		}
	}
	return lag
}

// Init gives each webhook seen for the first time its position: the end
// of the outbox, so that it gets the events committed from now on. Call it
// before the service takes writes, or a new webhook misses those that
// commit before Run begins.
func (d *Dispatcher) Init(ctx context.Context) error {
	for i := range d.opts.Webhooks {
		if _, err := d.cursor(ctx, &d.opts.Webhooks[i]); err != nil {
			return fmt.Errorf("webhook %s: %w", d.opts.Webhooks[i].Name, err)
		}
	}
	return nil
}

// Run delivers until ctx ends. On a shared store it first waits to become
// the leader, and stops delivering if it loses the lead.
func (d *Dispatcher) Run(ctx context.Context) {
	for ctx.Err() == nil {
		lost, release := d.lead(ctx)
		if ctx.Err() != nil {
			return
		}
		run, stop := context.WithCancel(ctx)
		var wg sync.WaitGroup
		for i := range d.opts.Webhooks {
			wg.Add(1)
			go func() {
				defer wg.Done()
				d.deliverAll(run, &d.opts.Webhooks[i])
			}()
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			d.prune(run)
		}()
		select {
		case <-ctx.Done():
		case <-lost:
			d.log.Warn("webhooks: lost the delivery lock; another replica may deliver now")
		}
		stop()
		wg.Wait()
		release()
	}
}

// leadRetry is how often a replica that does not deliver tries to.
const leadRetry = 2 * time.Second

// lead waits until this process may deliver.
func (d *Dispatcher) lead(ctx context.Context) (lost <-chan struct{}, release func()) {
	l, ok := d.store.(Leader)
	if !ok {
		return nil, func() {}
	}
	for {
		release, lost, ok, err := l.TryLead(ctx)
		if err != nil && ctx.Err() == nil {
			d.log.Warn("webhooks: cannot take the delivery lock", "err", err)
		}
		if ok {
			return lost, release
		}
		select {
		case <-ctx.Done():
			return nil, func() {}
		case <-time.After(leadRetry):
		}
	}
}

func cursorKey(name string) string { return "webhook-cursor/" + name }

// cursor returns the webhook's position in the outbox. A webhook seen for
// the first time starts at the end: it gets the events committed from now
// on.
func (d *Dispatcher) cursor(ctx context.Context, w *Webhook) (int64, error) {
	var seq int64
	err := d.store.Update(ctx, func(tx registry.Tx) error {
		v, ok, err := tx.Setting(cursorKey(w.Name))
		if err != nil {
			return err
		}
		if ok {
			seq, err = strconv.ParseInt(string(v), 10, 64)
			return err
		}
		if seq, err = d.store.LatestEvent(ctx); err != nil {
			return err
		}
		return tx.PutSetting(cursorKey(w.Name), []byte(strconv.FormatInt(seq, 10)))
	})
	return seq, err
}

func (d *Dispatcher) saveCursor(ctx context.Context, w *Webhook, seq int64) error {
	err := d.store.Update(ctx, func(tx registry.Tx) error {
		return tx.PutSetting(cursorKey(w.Name), []byte(strconv.FormatInt(seq, 10)))
	})
	if err == nil {
		d.mu.Lock()
		d.cursors[w.Name] = seq
		d.mu.Unlock()
	}
	return err
}

// outboxPage is how many events are read at a time.
const outboxPage = 200

// deliverAll delivers the outbox to w, in order, until ctx ends.
func (d *Dispatcher) deliverAll(ctx context.Context, w *Webhook) {
	var seq int64
	for {
		var err error
		if seq, err = d.cursor(ctx, w); err == nil {
			break
		}
		if !d.sleep(ctx, d.opts.RetryMin) {
			return
		}
	}
	d.mu.Lock()
	d.cursors[w.Name] = seq
	d.mu.Unlock()
	for ctx.Err() == nil {
		batch, err := d.store.EventsSince(ctx, seq, outboxPage)
		if err != nil || len(batch) == 0 {
			if err != nil && ctx.Err() == nil {
				d.log.Warn("webhooks: cannot read the outbox", "err", err)
			}
			d.sleep(ctx, d.opts.Poll)
			continue
		}
		for _, e := range batch {
			if w.wants(e) {
				if !d.deliver(ctx, w, e, seq) {
					break // ctx ended: the position stays before e
				}
			}
			seq = e.Seq
		}
		// Saved once per page: a crash delivers at most a page again.
		for d.saveCursor(context.WithoutCancel(ctx), w, seq) != nil {
			if !d.sleep(ctx, d.opts.RetryMin) {
				return
			}
		}
	}
}

// deliver tries e until w takes it or the tries run out (then it goes to
// the dead-letter list), and reports false if ctx ended first. Before it
// waits to try again it saves the position before e (after), so that a
// restart does not deliver again what came before.
func (d *Dispatcher) deliver(ctx context.Context, w *Webhook, e registry.Event, after int64) bool {
	body, err := d.envelope(e)
	if err != nil {
		d.log.Error("webhooks: cannot encode an event", "event_id", e.ID, "err", err)
		return true
	}
	d.setPending(w.Name, e.At)
	defer d.setPending(w.Name, time.Time{})
	saved := false
	var lastErr error
	for attempt := 1; attempt <= d.opts.MaxAttempts; attempt++ {
		if lastErr = d.post(ctx, w, e, body); lastErr == nil {
			d.metricsDelivery(true, time.Since(e.At))
			return true
		}
		if ctx.Err() != nil {
			return false
		}
		d.metricsDelivery(false, 0)
		if attempt == d.opts.MaxAttempts {
			break
		}
		if !saved {
			saved = d.saveCursor(ctx, w, after) == nil
		}
		d.log.Warn("webhooks: delivery failed; retrying", "webhook", w.Name, "event_id", e.ID, "attempt", attempt, "err", lastErr)
		if !d.sleep(ctx, d.backoff(attempt)) {
			return false
		}
	}
	d.log.Error("webhooks: giving up on an event; it is in the dead-letter list", "webhook", w.Name, "event_id", e.ID,
		"attempts", d.opts.MaxAttempts, "err", lastErr)
	dl := registry.DeadLetter{Webhook: w.Name, Seq: e.Seq, EventID: e.ID, Attempts: d.opts.MaxAttempts,
		LastError: truncate(lastErr.Error(), 1000), At: time.Now().UTC(), Body: body}
	for d.store.AddDeadLetter(context.WithoutCancel(ctx), dl) != nil {
		if !d.sleep(ctx, d.opts.RetryMin) {
			return false
		}
	}
	if d.opts.Metrics != nil {
		d.opts.Metrics.DeadLetter()
	}
	return true
}

func (d *Dispatcher) metricsDelivery(ok bool, delay time.Duration) {
	if d.opts.Metrics != nil {
		d.opts.Metrics.Delivery(ok, delay)
	}
}

func (d *Dispatcher) setPending(name string, at time.Time) {
	d.mu.Lock()
	d.pending[name] = at
	d.mu.Unlock()
}

// attemptTimeout bounds one POST.
const attemptTimeout = 10 * time.Second

func (d *Dispatcher) post(ctx context.Context, w *Webhook, e registry.Event, body []byte) error {
	return post(ctx, d.opts.Client, w, e.ID, body)
}

// post sends one signed delivery; a 2xx answer is success.
func post(ctx context.Context, client *http.Client, w *Webhook, eventID string, body []byte) error {
	ctx, cancel := context.WithTimeout(ctx, attemptTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, w.URL, bytesReader(body))
	if err != nil {
		return err
	}
	ts := time.Now().Unix()
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "agentry-webhooks")
	req.Header.Set(HeaderEventID, eventID)
	req.Header.Set(HeaderTimestamp, strconv.FormatInt(ts, 10))
	req.Header.Set(HeaderSignature, Sign(w.Secret, ts, body))
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("the receiver answered %d", resp.StatusCode)
	}
	return nil
}

// envelope is an event in the EventBridge envelope.
type envelope struct {
	Version    string          `json:"version"`
	ID         string          `json:"id"`
	DetailType string          `json:"detail-type"`
	Source     string          `json:"source"`
	Account    string          `json:"account"`
	Time       string          `json:"time"`
	Region     string          `json:"region"`
	Resources  []string        `json:"resources"`
	Detail     json.RawMessage `json:"detail"`
}

func (d *Dispatcher) envelope(e registry.Event) ([]byte, error) {
	var detail struct {
		RegistryArn string `json:"registryArn"`
	}
	if err := json.Unmarshal(e.Detail, &detail); err != nil {
		return nil, errors.New("the stored detail is not JSON")
	}
	// The detail names resources in the namespace of the API the change
	// came through; the envelope follows it.
	arns, source := d.opts.ARNs, Source
	if ga := arns.GA(); strings.HasPrefix(detail.RegistryArn, ga.Registry("")) {
		arns, source = ga, SourceGA
	}
	resource := arns.Registry(e.RegistryID)
	if e.RecordID != "" {
		resource = arns.Record(e.RegistryID, e.RecordID)
	}
	return json.Marshal(envelope{Version: "0", ID: e.ID, DetailType: e.DetailType, Source: source,
		Account: d.opts.ARNs.AccountID, Time: e.At.UTC().Format(time.RFC3339), Region: d.opts.ARNs.Region,
		Resources: []string{resource}, Detail: e.Detail})
}

// backoff is the wait after the attempt-th failure: doubling from
// RetryMin up to RetryMax, with a fifth of jitter.
func (d *Dispatcher) backoff(attempt int) time.Duration {
	wait := d.opts.RetryMin << min(attempt-1, 30)
	if wait <= 0 || wait > d.opts.RetryMax {
		wait = d.opts.RetryMax
	}
	return wait - time.Duration(rand.Int64N(int64(wait)/5+1))
}

// pruneEvery is how often delivered events are deleted from the outbox.
const pruneEvery = 10 * time.Second

// prune deletes the events every webhook has passed.
func (d *Dispatcher) prune(ctx context.Context) {
	for d.sleep(ctx, pruneEvery) {
		d.mu.Lock()
		upTo, all := int64(-1), len(d.cursors) == len(d.opts.Webhooks)
		for _, seq := range d.cursors {
			if upTo < 0 || seq < upTo {
				upTo = seq
			}
		}
		d.mu.Unlock()
		if all && upTo > 0 {
			if err := d.store.PruneEvents(ctx, upTo); err != nil && ctx.Err() == nil {
				d.log.Warn("webhooks: cannot prune the outbox", "err", err)
			}
		}
	}
}

// sleep waits for wait or until ctx ends, and reports whether ctx is
// still alive.
func (d *Dispatcher) sleep(ctx context.Context, wait time.Duration) bool {
	t := time.NewTimer(wait)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}
