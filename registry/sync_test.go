package registry_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/agentry/agentry/registry"
)

// fakeFetcher answers every fetch with what the test set; it stands for a
// remote server (the real fetchers are tested in package synchronize).
type fakeFetcher struct {
	mu    sync.Mutex
	d     registry.Descriptors
	err   error
	calls int
	block chan struct{} // when set, Fetch waits for it or for its context
}

func (f *fakeFetcher) set(d *registry.Descriptors, err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if d != nil {
		f.d = *d
	}
	f.err = err
}

func (f *fakeFetcher) Fetch(ctx context.Context, _ registry.DescriptorType, _ registry.FromURLSync) (registry.Descriptors, error) {
	f.mu.Lock()
	f.calls++
	block := f.block
	f.mu.Unlock()
	if block != nil {
		select {
		case <-block:
		case <-ctx.Done():
			return registry.Descriptors{}, ctx.Err()
		}
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.d, f.err
}

// newSyncEnv is an env whose AfterCommit does nothing: the worker commits
// from its own goroutine, also while the test ends.
func newSyncEnv(t *testing.T) *env {
	return newEnvWith(t, func(context.Context, int64) {})
}

func syncConfig(url string) *registry.SyncConfig {
	return &registry.SyncConfig{FromURL: &registry.FromURLSync{URL: url}}
}

// runSync runs the worker until the test ends.
func runSync(t *testing.T, svc *registry.Service, f registry.Fetcher) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		svc.RunSync(ctx, registry.SyncOptions{Fetcher: f, Poll: 50 * time.Millisecond, Timeout: 5 * time.Second})
	}()
	t.Cleanup(func() { cancel(); <-done })
}

// waitStatus polls until the record leaves CREATING/UPDATING.
func waitStatus(t *testing.T, svc *registry.Service, regID, recID string) registry.Record {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		r, err := svc.GetRecord(t.Context(), regID, recID)
		if err != nil {
			t.Fatal(err)
		}
		if st := r.Latest.Status; st != registry.StatusCreating && st != registry.StatusUpdating {
			return r
		}
		if time.Now().After(deadline) {
			t.Fatalf("record still %s after 10 s", r.Latest.Status)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestSyncLifecycle(t *testing.T) {
	e := newSyncEnv(t)
	regID := e.createRegistry(t, "reg", false)
	f := &fakeFetcher{}
	f.set(mcp(server("1.0.0")), nil)

	out, err := e.svc.CreateRecord(t.Context(), registry.CreateRecordInput{RegistryID: regID, Name: "weather",
		DescriptorType: registry.DescriptorMCP, SynchronizationType: registry.SyncURL, Sync: syncConfig("https://mcp.example.com/mcp")})
	if err != nil {
		t.Fatal(err)
	}
	if out.Status != string(registry.StatusCreating) {
		t.Fatalf("create answered %s, want CREATING", out.Status)
	}
	runSync(t, e.svc, f)
	r := waitStatus(t, e.svc, regID, out.ID)
	if r.Latest.Status != registry.StatusDraft || r.Latest.Descriptors.MCP == nil || r.Latest.Version != "1.0.0" {
		t.Fatalf("after sync: %s %q version %q, want a DRAFT with the fetched server", r.Latest.Status, r.Latest.StatusReason, r.Latest.Version)
	}
	if r.Latest.SyncType != registry.SyncURL || r.Latest.Sync == nil || r.Latest.Sync.FromURL.URL != "https://mcp.example.com/mcp" {
		t.Fatalf("sync configuration not kept: %+v", r.Latest.Sync)
	}

	// Approve it, then re-synchronize: unchanged content returns to APPROVED.
	if _, err := e.svc.SubmitRecord(t.Context(), regID, out.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.SetRecordStatus(t.Context(), registry.SetRecordStatusInput{RegistryID: regID, RecordID: out.ID, Status: registry.StatusApproved, Reason: "ok"}); err != nil {
		t.Fatal(err)
	}
	trigger := registry.UpdateRecordInput{RegistryID: regID, RecordID: out.ID, TriggerSync: true}
	if r, err = e.svc.UpdateRecord(t.Context(), trigger); err != nil || r.Latest.Status != registry.StatusUpdating {
		t.Fatalf("trigger: %v, status %s, want UPDATING", err, r.Latest.Status)
	}
	r = waitStatus(t, e.svc, regID, out.ID)
	if r.Latest.Status != registry.StatusApproved || r.Latest.StatusReason != "ok" {
		t.Fatalf("unchanged source: %s %q, want APPROVED as before", r.Latest.Status, r.Latest.StatusReason)
	}

	// The source changed: a new DRAFT revision, the approved one kept.
	f.set(mcp(server("1.1.0")), nil)
	if _, err := e.svc.UpdateRecord(t.Context(), trigger); err != nil {
		t.Fatal(err)
	}
	r = waitStatus(t, e.svc, regID, out.ID)
	if r.Latest.Status != registry.StatusDraft || r.Latest.Version != "1.1.0" || r.Approved == nil || r.Approved.Version != "1.0.0" {
		t.Fatalf("changed source: latest %s %s, approved %+v; want a DRAFT 1.1.0 beside APPROVED 1.0.0", r.Latest.Status, r.Latest.Version, r.Approved)
	}

	// The source fails: UPDATE_FAILED, the last good content kept.
	f.set(nil, errors.New("initialize: the server answered 503 Service Unavailable"))
	if _, err := e.svc.UpdateRecord(t.Context(), trigger); err != nil {
		t.Fatal(err)
	}
	r = waitStatus(t, e.svc, regID, out.ID)
	if r.Latest.Status != registry.StatusUpdateFailed || !strings.Contains(r.Latest.StatusReason, "503") || r.Latest.Version != "1.1.0" {
		t.Fatalf("failing source: %s %q version %s; want UPDATE_FAILED with the reason and 1.1.0 kept", r.Latest.Status, r.Latest.StatusReason, r.Latest.Version)
	}

	// Descriptors of a synchronized record come from its source; clearing
	// synchronizationType detaches it, and then they are edited inline.
	_, err = e.svc.UpdateRecord(t.Context(), registry.UpdateRecordInput{RegistryID: regID, RecordID: out.ID, Descriptors: serverUpdate(server("3.0.0"))})
	wantKind(t, err, registry.KindInvalid)
	r, err = e.svc.UpdateRecord(t.Context(), registry.UpdateRecordInput{RegistryID: regID, RecordID: out.ID,
		SynchronizationType: registry.Clear[string](), Descriptors: serverUpdate(server("3.0.0"))})
	if err != nil || r.Latest.SyncType != "" || r.Latest.Sync != nil || r.Latest.Status != registry.StatusDraft || r.Latest.Version != "3.0.0" {
		t.Fatalf("detach: %v, %+v", err, r.Latest)
	}

	// Invalid content fails like a fetch error.
	f.set(mcp(`{"description": "no name"}`), nil)
	out2, err := e.svc.CreateRecord(t.Context(), registry.CreateRecordInput{RegistryID: regID, Name: "broken",
		DescriptorType: registry.DescriptorMCP, SynchronizationType: registry.SyncURL, Sync: syncConfig("https://mcp.example.com/x")})
	if err != nil {
		t.Fatal(err)
	}
	r = waitStatus(t, e.svc, regID, out2.ID)
	if r.Latest.Status != registry.StatusCreateFailed || !strings.Contains(r.Latest.StatusReason, "not a valid MCP descriptor") {
		t.Fatalf("invalid content: %s %q, want CREATE_FAILED saying why", r.Latest.Status, r.Latest.StatusReason)
	}
}

func TestSyncValidation(t *testing.T) {
	e := newSyncEnv(t)
	regID := e.createRegistry(t, "reg", false)
	for name, in := range map[string]registry.CreateRecordInput{
		"custom":      {DescriptorType: registry.DescriptorCustom, SynchronizationType: registry.SyncURL, Sync: syncConfig("https://x.example.com")},
		"no config":   {DescriptorType: registry.DescriptorMCP, SynchronizationType: registry.SyncURL},
		"bad type":    {DescriptorType: registry.DescriptorMCP, SynchronizationType: "GIT", Sync: syncConfig("https://x.example.com")},
		"not a URL":   {DescriptorType: registry.DescriptorMCP, SynchronizationType: registry.SyncURL, Sync: syncConfig("ftp://x")},
		"descriptors": {DescriptorType: registry.DescriptorMCP, SynchronizationType: registry.SyncURL, Sync: syncConfig("https://x.example.com"), Descriptors: mcp(server("1"))},
		"two creds": {DescriptorType: registry.DescriptorMCP, SynchronizationType: registry.SyncURL, Sync: &registry.SyncConfig{FromURL: &registry.FromURLSync{
			URL: "https://x.example.com", CredentialProviderConfigurations: make([]registry.CredentialProvider, 2)}}},
		"oauth without arn": {DescriptorType: registry.DescriptorMCP, SynchronizationType: registry.SyncURL, Sync: &registry.SyncConfig{FromURL: &registry.FromURLSync{
			URL: "https://x.example.com", CredentialProviderConfigurations: []registry.CredentialProvider{{CredentialProviderType: "OAUTH",
				CredentialProvider: registry.CredentialProviderUnion{OAuth: &registry.OAuthCredentialProvider{}}}}}}},
	} {
		in.RegistryID, in.Name = regID, "r"
		if _, err := e.svc.CreateRecord(t.Context(), in); registry.ErrorKind(err) != registry.KindInvalid {
			t.Errorf("%s: got %v, want a validation error", name, err)
		}
	}
	// A record without a source cannot be triggered.
	id := e.createRecord(t, registry.CreateRecordInput{RegistryID: regID, Name: "inline", DescriptorType: registry.DescriptorMCP, Descriptors: mcp(server("1"))})
	_, err := e.svc.UpdateRecord(t.Context(), registry.UpdateRecordInput{RegistryID: regID, RecordID: id, TriggerSync: true})
	wantKind(t, err, registry.KindInvalid)
	// Nothing was queued.
	e.store.View(t.Context(), func(tx registry.Tx) error {
		if jobs, _ := tx.ClaimSyncJobs(time.Now(), time.Now(), 10); len(jobs) != 0 {
			t.Errorf("jobs queued by refused requests: %+v", jobs)
		}
		return nil
	})
}

// TestSyncSurvivesRestart: a job queued by a server that stopped before
// running it is run by the next one; one that kept being interrupted fails
// cleanly instead of looping.
func TestSyncSurvivesRestart(t *testing.T) {
	e := newSyncEnv(t)
	regID := e.createRegistry(t, "reg", false)
	out, err := e.svc.CreateRecord(t.Context(), registry.CreateRecordInput{RegistryID: regID, Name: "weather",
		DescriptorType: registry.DescriptorMCP, SynchronizationType: registry.SyncURL, Sync: syncConfig("https://mcp.example.com/mcp")})
	if err != nil {
		t.Fatal(err)
	}
	out2, err := e.svc.CreateRecord(t.Context(), registry.CreateRecordInput{RegistryID: regID, Name: "crashy",
		DescriptorType: registry.DescriptorMCP, SynchronizationType: registry.SyncURL, Sync: syncConfig("https://mcp.example.com/c")})
	if err != nil {
		t.Fatal(err)
	}
	// A first worker is stopped mid-fetch: the job goes back to the store.
	f := &fakeFetcher{block: make(chan struct{})}
	f.set(mcp(server("2.0.0")), nil)
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan struct{})
	go func() {
		defer close(done)
		e.svc.RunSync(ctx, registry.SyncOptions{Fetcher: f, Poll: 20 * time.Millisecond})
	}()
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(5 * time.Millisecond) {
		f.mu.Lock()
		calls := f.calls
		f.mu.Unlock()
		if calls > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the worker never fetched")
		}
	}
	cancel()
	<-done

	// Of the other job, three workers died holding it.
	err = e.store.Update(t.Context(), func(tx registry.Tx) error {
		j, ok, err := tx.SyncJob(regID, out2.ID)
		if err != nil || !ok {
			t.Fatalf("job: %v %v", ok, err)
		}
		j.Attempts = 3
		return tx.PutSyncJob(j)
	})
	if err != nil {
		t.Fatal(err)
	}
	// A new service on the same store (a restarted server) finishes it.
	svc2, err := registry.NewService(t.Context(), registry.Options{Store: e.store, Region: "us-east-1", AccountID: "123456789012"})
	if err != nil {
		t.Fatal(err)
	}
	f2 := &fakeFetcher{}
	f2.set(mcp(server("2.0.0")), nil)
	runSync(t, svc2, f2)
	if r := waitStatus(t, svc2, regID, out.ID); r.Latest.Status != registry.StatusDraft || r.Latest.Version != "2.0.0" {
		t.Fatalf("after restart: %s %q", r.Latest.Status, r.Latest.StatusReason)
	}

	if r := waitStatus(t, svc2, regID, out2.ID); r.Latest.Status != registry.StatusCreateFailed || !strings.Contains(r.Latest.StatusReason, "interrupted") {
		t.Fatalf("crashing job: %s %q, want CREATE_FAILED", r.Latest.Status, r.Latest.StatusReason)
	}
}

// TestSyncPeriodic: with an interval, synchronized records are fetched
// again on their own; only a changed source makes a new DRAFT revision,
// the approved one stays, and a failing source changes nothing.
func TestSyncPeriodic(t *testing.T) {
	e := newSyncEnv(t)
	regID := e.createRegistry(t, "reg", false)
	f := &fakeFetcher{}
	f.set(mcp(server("1.0.0")), nil)
	inline := e.createRecord(t, registry.CreateRecordInput{RegistryID: regID, Name: "inline", DescriptorType: registry.DescriptorMCP, Descriptors: mcp(server("9"))})
	out, err := e.svc.CreateRecord(t.Context(), registry.CreateRecordInput{RegistryID: regID, Name: "weather",
		DescriptorType: registry.DescriptorMCP, SynchronizationType: registry.SyncURL, Sync: syncConfig("https://mcp.example.com/mcp")})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		e.svc.RunSync(ctx, registry.SyncOptions{Fetcher: f, Poll: 20 * time.Millisecond, Interval: 50 * time.Millisecond})
	}()
	t.Cleanup(func() { cancel(); <-done })
	waitStatus(t, e.svc, regID, out.ID)
	if _, err := e.svc.SubmitRecord(t.Context(), regID, out.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.SetRecordStatus(t.Context(), registry.SetRecordStatusInput{RegistryID: regID, RecordID: out.ID, Status: registry.StatusApproved, Reason: "ok"}); err != nil {
		t.Fatal(err)
	}
	calls := func() int { f.mu.Lock(); defer f.mu.Unlock(); return f.calls }
	waitCalls := func(n int) {
		t.Helper()
		for deadline := time.Now().Add(10 * time.Second); calls() < n; time.Sleep(10 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("%d fetches, want %d", calls(), n)
			}
		}
	}
	get := func() registry.Record {
		r, err := e.svc.GetRecord(t.Context(), regID, out.ID)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	// Unchanged: rounds run, the record stays APPROVED.
	waitCalls(calls() + 2)
	if r := get(); r.Latest.Status != registry.StatusApproved || r.Latest.StatusReason != "ok" {
		t.Fatalf("unchanged source: %s %q", r.Latest.Status, r.Latest.StatusReason)
	}
	// Failing: nothing changes.
	f.set(nil, errors.New("connection refused"))
	waitCalls(calls() + 2)
	if r := get(); r.Latest.Status != registry.StatusApproved {
		t.Fatalf("failing source: %s %q", r.Latest.Status, r.Latest.StatusReason)
	}
	// Changed: a new DRAFT beside the approved revision.
	f.set(mcp(server("2.0.0")), nil)
	for deadline := time.Now().Add(10 * time.Second); get().Latest.Status != registry.StatusDraft; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("no new revision after the source changed")
		}
	}
	if r := get(); r.Latest.Version != "2.0.0" || r.Approved == nil || r.Approved.Version != "1.0.0" || !strings.Contains(r.Latest.StatusReason, "periodic") {
		t.Fatalf("changed source: latest %s %q, approved %+v", r.Latest.Version, r.Latest.StatusReason, r.Approved)
	}
	// Records without a source are never fetched.
	if r, _ := e.svc.GetRecord(t.Context(), regID, inline); r.Latest.Version != "9" || r.Latest.Status != registry.StatusDraft {
		t.Fatalf("inline record touched: %+v", r.Latest)
	}
}
