package server_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	ctl "github.com/aws/aws-sdk-go-v2/service/bedrockagentcorecontrol"
	"github.com/aws/aws-sdk-go-v2/service/bedrockagentcorecontrol/types"

	"github.com/agentry/agentry/events"
	"github.com/agentry/agentry/server"
)

const testWebhookSecret = "test-webhook-secret-0001"

// delivered is one event a receiver took.
type delivered struct {
	Version    string          `json:"version"`
	ID         string          `json:"id"`
	DetailType string          `json:"detail-type"`
	Source     string          `json:"source"`
	Account    string          `json:"account"`
	Time       string          `json:"time"`
	Region     string          `json:"region"`
	Resources  []string        `json:"resources"`
	Detail     json.RawMessage `json:"detail"`
	arrived    time.Time
}

type eventDetail struct {
	RegistryID       string `json:"registryId"`
	RegistryRecordID string `json:"registryRecordId"`
	PreviousStatus   string `json:"previousStatus"`
	Status           string `json:"status"`
	StatusReason     string `json:"statusReason"`
	Principal        string `json:"principal"`
}

// receiver is a webhook receiver that verifies signatures and refuses
// deliveries while down is set.
type receiver struct {
	t    testing.TB
	srv  *httptest.Server
	down atomic.Bool

	mu        sync.Mutex
	events    []delivered
	refused   int
	badSigned int
}

func newReceiver(t testing.TB) *receiver {
	rc := &receiver{t: t}
	rc.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		rc.mu.Lock()
		defer rc.mu.Unlock()
		if rc.down.Load() {
			rc.refused++
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		ts, _ := strconv.ParseInt(r.Header.Get(events.HeaderTimestamp), 10, 64)
		if !events.Verify(testWebhookSecret, ts, body, r.Header.Get(events.HeaderSignature)) || time.Since(time.Unix(ts, 0)) > 5*time.Minute {
			rc.badSigned++
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		var d delivered
		if err := json.Unmarshal(body, &d); err != nil {
			rc.t.Errorf("delivery is not JSON: %v", err)
		}
		d.arrived = time.Now()
		rc.events = append(rc.events, d)
	}))
	t.Cleanup(rc.srv.Close)
	return rc
}

func (rc *receiver) got() []delivered {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return slices.Clone(rc.events)
}

// waitFor waits until the receiver holds n events.
func (rc *receiver) waitFor(t testing.TB, n int, within time.Duration) []delivered {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		got := rc.got()
		if len(got) >= n || time.Now().After(deadline) {
			if len(got) < n {
				t.Fatalf("the receiver got %d events within %v, want %d", len(got), within, n)
			}
			return got
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func writeWebhooks(t testing.TB, url string, extra string) string {
	path := filepath.Join(t.TempDir(), "webhooks.json")
	body := fmt.Sprintf(`{"webhooks": [{"name": "test", "url": %q, "secret": %q%s}]}`, url, testWebhookSecret, extra)
	if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func startWithWebhook(t testing.TB, rc *receiver, configure func(*server.Config)) *testServer {
	path := writeWebhooks(t, rc.srv.URL, "")
	return startServerWith(t, func(c *server.Config) {
		c.WebhooksFile, c.AllowPrivateURLs = path, true
		c.WebhookRetryMin, c.WebhookRetryMax = 20*time.Millisecond, 200*time.Millisecond
		configure(c)
	})
}

// TestWebhookEvents: every change of state reaches the webhook, signed,
// in the EventBridge envelope with AWS's detail-types, in order, with the
// old and new status and the principal.
func TestWebhookEvents(t *testing.T) {
	rc := newReceiver(t)
	ts := startWithWebhook(t, rc, func(*server.Config) {})
	ctx := context.Background()
	reg := ts.createRegistry(t, "events", false)
	rec := ts.createRecord(t, reg, "first")
	must[*ctl.SubmitRegistryRecordForApprovalOutput](t)(ts.Client.SubmitRegistryRecordForApproval(ctx,
		&ctl.SubmitRegistryRecordForApprovalInput{RegistryId: aws.String(reg), RecordId: aws.String(rec)}))
	ts.setStatus(t, reg, rec, types.RegistryRecordStatusApproved)
	// An edit of an approved record starts a new DRAFT revision.
	must[*ctl.UpdateRegistryRecordOutput](t)(ts.Client.UpdateRegistryRecord(ctx, &ctl.UpdateRegistryRecordInput{
		RegistryId: aws.String(reg), RecordId: aws.String(rec),
		Description: &types.UpdatedDescription{OptionalValue: aws.String("edited")}}))
	ts.setStatus(t, reg, rec, types.RegistryRecordStatusDeprecated)
	must[*ctl.DeleteRegistryRecordOutput](t)(ts.Client.DeleteRegistryRecord(ctx,
		&ctl.DeleteRegistryRecordInput{RegistryId: aws.String(reg), RecordId: aws.String(rec)}))
	must[*ctl.DeleteRegistryOutput](t)(ts.Client.DeleteRegistry(ctx, &ctl.DeleteRegistryInput{RegistryId: aws.String(reg)}))

	want := []struct{ detailType, previous, status string }{
		{"Registry State transitions from Creating to Ready", "CREATING", "READY"},
		{"Registry Record State changed to Draft", "", "DRAFT"},
		{"Registry Record State changed to Pending Approval", "DRAFT", "PENDING_APPROVAL"},
		{"Registry Record State changed to Approved", "PENDING_APPROVAL", "APPROVED"},
		{"Registry Record State changed to Draft", "APPROVED", "DRAFT"},
		{"Registry Record State changed to Deprecated", "DRAFT", "DEPRECATED"},
		{"Registry Record Deleted", "DEPRECATED", ""},
		{"Registry Deleting", "READY", "DELETING"},
	}
	rc.waitFor(t, len(want), 10*time.Second)
	time.Sleep(200 * time.Millisecond)
	got := rc.got()
	if len(got) != len(want) {
		t.Fatalf("got %d events, want %d", len(got), len(want))
	}
	recordARN := "arn:aws:bedrock-agentcore:us-east-1:123456789012:registry/" + reg + "/record/" + rec
	ids := map[string]bool{}
	for i, w := range want {
		e := got[i]
		var d eventDetail
		json.Unmarshal(e.Detail, &d)
		if e.DetailType != w.detailType || d.PreviousStatus != w.previous || d.Status != w.status {
			t.Errorf("event %d: %q %s -> %s, want %q %s -> %s", i, e.DetailType, d.PreviousStatus, d.Status, w.detailType, w.previous, w.status)
		}
		if e.Version != "0" || e.Source != "aws.bedrock-agentcore" || e.Account != "123456789012" || e.Region != "us-east-1" || ids[e.ID] || len(e.ID) != 36 {
			t.Errorf("event %d: envelope %+v", i, e)
		}
		ids[e.ID] = true
		if _, err := time.Parse(time.RFC3339, e.Time); err != nil {
			t.Errorf("event %d: time %q: %v", i, e.Time, err)
		}
		if d.RegistryID != reg || d.Principal != "arn:aws:iam::123456789012:root" {
			t.Errorf("event %d: detail %s", i, e.Detail)
		}
		if i >= 1 && i <= 6 && (len(e.Resources) != 1 || e.Resources[0] != recordARN || d.RegistryRecordID != rec) {
			t.Errorf("event %d: resources %v, detail %s, want the record %s", i, e.Resources, e.Detail, recordARN)
		}
	}
	var d eventDetail
	json.Unmarshal(got[3].Detail, &d)
	if d.StatusReason != "test" {
		t.Errorf("the approval's status reason is %q, want test", d.StatusReason)
	}
	if rc.badSigned > 0 {
		t.Errorf("%d deliveries had a bad signature", rc.badSigned)
	}
}

// TestWebhookFilter: a webhook gets only the detail-types and registries
// it names.
func TestWebhookFilter(t *testing.T) {
	rc := newReceiver(t)
	ts := startServer(t)
	other := ts.createRegistry(t, "other", false) // before the webhook: in another server's life
	_ = other
	path := writeWebhooks(t, rc.srv.URL, `, "detailTypes": ["Registry Record State changed to Pending Approval"]`)
	ts2 := startServerWith(t, func(c *server.Config) {
		c.WebhooksFile, c.AllowPrivateURLs = path, true
	})
	a, b := ts2.createRegistry(t, "a", false), ts2.createRegistry(t, "b", true)
	for _, reg := range []string{a, b} {
		rec := ts2.createRecord(t, reg, "r")
		must[*ctl.SubmitRegistryRecordForApprovalOutput](t)(ts2.Client.SubmitRegistryRecordForApproval(context.Background(),
			&ctl.SubmitRegistryRecordForApprovalInput{RegistryId: aws.String(reg), RecordId: aws.String(rec)}))
	}
	rc.waitFor(t, 1, 5*time.Second)
	time.Sleep(300 * time.Millisecond)
	if got := rc.got(); len(got) != 1 || got[0].DetailType != "Registry Record State changed to Pending Approval" {
		t.Errorf("got %+v, want the one pending approval (b auto-approves)", got)
	}
	if _, err := events.LoadWebhooks(writeWebhooks(t, "http://127.0.0.1:1/", `, "detailTypes": ["Nope"]`), nil); err == nil {
		t.Error("an unknown detail-type was accepted")
	}
	if _, err := server.New(context.Background(), server.Config{DataDir: t.TempDir(), Region: "us-east-1", AccountID: "123456789012",
		WebhooksFile: writeWebhooks(t, "http://127.0.0.1:9/hook", "")}); err == nil {
		t.Error("a webhook on a loopback address was accepted without --allow-private-urls")
	}
}

// TestWebhookReceiverDown: while the receiver refuses, deliveries are
// retried with backoff; when it is back every event arrives, in order,
// each once; with too few tries an event goes to the dead-letter list.
func TestWebhookReceiverDown(t *testing.T) {
	rc := newReceiver(t)
	rc.down.Store(true)
	// AGENTRY_TEST_WEBHOOK_OUTAGE=60s measures a real outage with the
	// default backoff and tries (docs/benchmarks.md).
	outage, configure := time.Second, func(c *server.Config) { c.WebhookMaxAttempts = 1000 }
	if v := os.Getenv("AGENTRY_TEST_WEBHOOK_OUTAGE"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil {
			t.Fatal(err)
		}
		outage, configure = d, func(c *server.Config) { c.WebhookRetryMin, c.WebhookRetryMax = 0, 0 }
	}
	ts := startWithWebhook(t, rc, configure)
	reg := ts.createRegistry(t, "down", false)
	var recs []string
	for i := range 20 {
		recs = append(recs, ts.createRecord(t, reg, "r"+strconv.Itoa(i)))
	}
	time.Sleep(outage)
	rc.mu.Lock()
	refused := rc.refused
	rc.mu.Unlock()
	if refused < 3 {
		t.Errorf("the receiver refused %d deliveries in %v, want retries", refused, outage)
	}
	rc.down.Store(false)
	back := time.Now()
	got := rc.waitFor(t, 21, 10*time.Second+2*outage)
	t.Logf("receiver down %v (%d deliveries refused); all 21 events arrived %v after it was back",
		outage, refused, got[len(got)-1].arrived.Sub(back).Round(time.Millisecond))
	time.Sleep(300 * time.Millisecond)
	got = rc.got()
	if len(got) != 21 {
		t.Fatalf("got %d events, want 21 (each once)", len(got))
	}
	for i, rec := range recs {
		var d eventDetail
		json.Unmarshal(got[i+1].Detail, &d)
		if d.RegistryRecordID != rec {
			t.Fatalf("event %d is of record %s, want %s: out of order", i+1, d.RegistryRecordID, rec)
		}
	}

	// Dead letters: two tries, then the list; delivery goes on after it.
	dead := newReceiver(t)
	dead.down.Store(true)
	ts2 := startWithWebhook(t, dead, func(c *server.Config) { c.WebhookMaxAttempts = 2 })
	ts2.createRegistry(t, "dead", false)
	deadline := time.Now().Add(5 * time.Second)
	var letters int
	for time.Now().Before(deadline) {
		if letters = ts2.deadLetters(t); letters == 1 {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if letters != 1 {
		t.Fatalf("%d dead letters, want 1", letters)
	}
	if n := value(ts2.scrape(t), "agentry_webhook_dead_letters_total"); n != 1 {
		t.Errorf("agentry_webhook_dead_letters_total = %v, want 1", n)
	}
	dead.down.Store(false)
	ts2.createRegistry(t, "alive", false)
	if got := dead.waitFor(t, 1, 5*time.Second); got[0].DetailType != "Registry State transitions from Creating to Ready" {
		t.Errorf("after the dead letter got %+v", got)
	}
}

// TestWebhookLatency: 1,000 record changes reach a local receiver within
// 2 s of their commit at the median.
func TestWebhookLatency(t *testing.T) {
	if testing.Short() {
		t.Skip("1,000 writes")
	}
	rc := newReceiver(t)
	ts := startWithWebhook(t, rc, func(*server.Config) {})
	reg := ts.createRegistry(t, "latency", false)
	const n = 1000
	committed := make([]time.Time, n)
	names := map[string]int{}
	for i := range n {
		id := ts.createRecord(t, reg, "r"+strconv.Itoa(i))
		committed[i] = time.Now()
		names[id] = i
	}
	got := rc.waitFor(t, n+1, 60*time.Second)
	var delays []time.Duration
	for _, e := range got[1:] {
		var d eventDetail
		json.Unmarshal(e.Detail, &d)
		i, ok := names[d.RegistryRecordID]
		if !ok {
			t.Fatalf("an event of an unknown record: %s", e.Detail)
		}
		delays = append(delays, max(0, e.arrived.Sub(committed[i])))
	}
	sort.Slice(delays, func(i, j int) bool { return delays[i] < delays[j] })
	median, p99 := delays[len(delays)/2], delays[len(delays)*99/100]
	t.Logf("commit to delivery: median %v, p99 %v, max %v (%d events)", median, p99, delays[len(delays)-1], len(delays))
	if median > 2*time.Second {
		t.Errorf("median commit-to-delivery %v, want at most 2 s", median)
	}
}

func (ts *testServer) deadLetters(t testing.TB) int {
	t.Helper()
	dl, err := ts.srv.DeadLetters(context.Background(), "")
	if err != nil {
		t.Fatal(err)
	}
	return len(dl)
}

// TestWebhookOneDeliverer: two replicas on one PostgreSQL database with the
// same webhook deliver each event once, whichever replica wrote it; when
// the delivering replica stops, the other takes over.
func TestWebhookOneDeliverer(t *testing.T) {
	if os.Getenv("AGENTRY_TEST_STORE") != "postgres" {
		t.Skip("replicas share a PostgreSQL database (AGENTRY_TEST_STORE=postgres)")
	}
	rc := newReceiver(t)
	a := startWithWebhook(t, rc, func(*server.Config) {})
	b := startWithWebhook(t, rc, func(c *server.Config) { c.DatabaseURL = a.cfg.DatabaseURL })
	reg := a.createRegistry(t, "shared", false)
	var wg sync.WaitGroup
	for i, ts := range []*testServer{a, b} {
		wg.Go(func() {
			for j := range 25 {
				ts.createRecord(t, reg, fmt.Sprintf("r%d-%d", i, j))
			}
		})
	}
	wg.Wait()
	rc.waitFor(t, 51, 10*time.Second)
	time.Sleep(500 * time.Millisecond)
	if got := rc.got(); len(got) != 51 {
		t.Fatalf("got %d deliveries of 51 events: some twice", len(got))
	}
	// Whichever leads, stopping a stops its delivery; b (or a's successor)
	// goes on.
	a.srv.Close()
	for j := range 5 {
		b.createRecord(t, reg, fmt.Sprintf("after-%d", j))
	}
	rc.waitFor(t, 56, 15*time.Second)
	time.Sleep(500 * time.Millisecond)
	ids := map[string]int{}
	for _, e := range rc.got() {
		ids[e.ID]++
	}
	for id, n := range ids {
		if n > 1 {
			t.Errorf("event %s delivered %d times", id, n)
		}
	}
}
