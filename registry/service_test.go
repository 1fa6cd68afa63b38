package registry_test

import (
	"context"
	"fmt"
	"path/filepath"
	"reflect"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/agentry/agentry/registry"
	"github.com/agentry/agentry/store/sqlite"
)

// env is a Service on a fresh SQLite store whose AfterCommit hook records
// every call, with what the store held for it when the hook ran.
type env struct {
	svc   *registry.Service
	store *sqlite.Store

	mu      sync.Mutex
	commits []commit
}

// commit is one call of AfterCommit.
type commit struct {
	// entry is the change feed entry at the seq the hook was given.
	registryID, recordID string
	// seen is what a new read transaction found when the hook ran: the
	// record's latest status, or "gone"; for a registry, "present" or
	// "gone".
	seen string
}

func newEnv(t *testing.T) *env {
	t.Helper()
	var e *env
	e = newEnvWith(t, func(ctx context.Context, seq int64) {
		c := e.commitAt(t, seq)
		e.mu.Lock()
		defer e.mu.Unlock()
		e.commits = append(e.commits, c)
	})
	return e
}

// newEnvWith returns an env whose AfterCommit hook is afterCommit.
func newEnvWith(t *testing.T, afterCommit func(ctx context.Context, seq int64)) *env {
	t.Helper()
	store, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "agentry.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	e := &env{store: store}
	clock := time.Date(2025, 5, 1, 9, 0, 0, 0, time.UTC)
	e.svc, err = registry.NewService(t.Context(), registry.Options{
		Store: store, Region: "us-east-1", AccountID: "123456789012",
		Now: func() time.Time {
			e.mu.Lock()
			defer e.mu.Unlock()
			clock = clock.Add(time.Second)
			return clock
		},
		AfterCommit: afterCommit,
	})
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// commitAt reads, in transactions of its own, the feed entry at seq and
// the state it is about.
func (e *env) commitAt(t *testing.T, seq int64) commit {
	es, err := e.store.ChangesSince(t.Context(), seq-1, 1)
	if err != nil || len(es) != 1 || es[0].Seq != seq {
		t.Errorf("AfterCommit(%d): the feed holds %+v (%v), want the entry at %d", seq, es, err, seq)
		return commit{}
	}
	c := commit{registryID: es[0].RegistryID, recordID: es[0].RecordID, seen: "gone"}
	err = e.store.View(t.Context(), func(tx registry.Tx) error {
		if c.recordID == "" {
			if _, err := tx.Registry(c.registryID); err == nil {
				c.seen = "present"
			}
			return nil
		}
		if r, err := tx.Record(c.registryID, c.recordID); err == nil {
			c.seen = string(r.Latest.Status)
		}
		return nil
	})
	if err != nil {
		t.Errorf("AfterCommit: %v", err)
	}
	return c
}

// takeCommits returns the calls of AfterCommit since the last call.
func (e *env) takeCommits() []commit {
	e.mu.Lock()
	defer e.mu.Unlock()
	c := e.commits
	e.commits = nil
	return c
}

func (e *env) createRegistry(t *testing.T, name string, autoApproval bool) string {
	t.Helper()
	out, err := e.svc.CreateRegistry(t.Context(), registry.CreateRegistryInput{Name: name, AutoApproval: autoApproval})
	if err != nil {
		t.Fatal(err)
	}
	return out.ID
}

func (e *env) createRecord(t *testing.T, in registry.CreateRecordInput) string {
	t.Helper()
	if in.DescriptorType == "" {
		in.DescriptorType, in.Descriptors = registry.DescriptorMCP, mcp(server("1.0.0"))
	}
	out, err := e.svc.CreateRecord(t.Context(), in)
	if err != nil {
		t.Fatal(err)
	}
	return out.ID
}

func (e *env) getRecord(t *testing.T, regID, recID string) registry.Record {
	t.Helper()
	r, err := e.svc.GetRecord(t.Context(), regID, recID)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func (e *env) setStatus(t *testing.T, regID, recID string, status registry.RecordStatus) registry.Record {
	t.Helper()
	r, err := e.svc.SetRecordStatus(t.Context(), registry.SetRecordStatusInput{
		RegistryID: regID, RecordID: recID, Status: status, Reason: "Curator decision.",
	})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func (e *env) submit(t *testing.T, regID, recID string) registry.Record {
	t.Helper()
	r, err := e.svc.SubmitRecord(t.Context(), regID, recID)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func (e *env) update(t *testing.T, in registry.UpdateRecordInput) registry.Record {
	t.Helper()
	r, err := e.svc.UpdateRecord(t.Context(), in)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// bringTo takes a new DRAFT record through the lifecycle to status.
func (e *env) bringTo(t *testing.T, regID, recID string, status registry.RecordStatus) {
	t.Helper()
	switch status {
	case registry.StatusDraft:
	case registry.StatusPendingApproval:
		e.submit(t, regID, recID)
	case registry.StatusApproved, registry.StatusRejected:
		e.submit(t, regID, recID)
		e.setStatus(t, regID, recID, status)
	case registry.StatusDeprecated:
		e.bringTo(t, regID, recID, registry.StatusApproved)
		e.setStatus(t, regID, recID, status)
	default:
		t.Fatalf("bringTo %s: not reachable through the service", status)
	}
}

func server(version string) string {
	return fmt.Sprintf(`{"name": "io.example/weather", "description": "Forecasts for any place.", "version": %q}`, version)
}

func card(version string) string {
	return fmt.Sprintf(`{"protocolVersion": "0.3.0", "name": "Recipe Agent", "description": "Finds recipes.",
		"url": "https://agents.example.com/a2a", "version": %q, "capabilities": {},
		"defaultInputModes": ["text/plain"], "defaultOutputModes": ["text/plain"],
		"skills": [{"id": "find", "name": "Find", "description": "Finds a recipe.", "tags": ["cooking"]}]}`, version)
}

func mcp(serverJSON string) *registry.Descriptors {
	return &registry.Descriptors{MCP: &registry.MCPDescriptor{Server: &registry.ServerDefinition{InlineContent: serverJSON}}}
}

func a2a(cardJSON string) *registry.Descriptors {
	return &registry.Descriptors{A2A: &registry.A2ADescriptor{AgentCard: &registry.AgentCardDefinition{InlineContent: cardJSON}}}
}

func custom(doc string) *registry.Descriptors {
	return &registry.Descriptors{Custom: &registry.CustomDescriptor{InlineContent: doc}}
}

// serverUpdate replaces an MCP record's server.json.
func serverUpdate(serverJSON string) registry.Update[registry.DescriptorsUpdate] {
	return registry.Set(registry.DescriptorsUpdate{MCP: registry.Set(registry.MCPUpdate{
		Server: registry.Set(registry.ServerDefinition{InlineContent: serverJSON}),
	})})
}

func wantKind(t *testing.T, err error, want registry.Kind) {
	t.Helper()
	if err == nil || registry.ErrorKind(err) != want {
		t.Fatalf("got error %v (kind %s), want a %s error", err, registry.ErrorKind(err), want)
	}
}

// TestAfterCommit: every write that changes what may be discoverable tells
// AfterCommit, once, after the commit, the seq of its feed entry.
func TestAfterCommit(t *testing.T) {
	const (
		gone = "gone"
		none = "" // AfterCommit is not called
	)
	tests := []struct {
		name         string
		autoApproval bool
		start        registry.RecordStatus
		act          func(t *testing.T, e *env, id ids) error
		wantErr      registry.Kind // checked when the action fails
		fails        bool
		notify       string // what AfterCommit must find: a status, "gone" or none
	}{
		{name: "approve", start: registry.StatusPendingApproval, notify: string(registry.StatusApproved),
			act: setStatusTo(registry.StatusApproved)},
		{name: "reject", start: registry.StatusPendingApproval, notify: string(registry.StatusRejected),
			act: setStatusTo(registry.StatusRejected)},
		{name: "deprecate", start: registry.StatusApproved, notify: string(registry.StatusDeprecated),
			act: setStatusTo(registry.StatusDeprecated)},
		{name: "update", start: registry.StatusApproved, notify: string(registry.StatusDraft),
			act: func(t *testing.T, e *env, id ids) error {
				_, err := e.svc.UpdateRecord(t.Context(), registry.UpdateRecordInput{
					RegistryID: id.reg, RecordID: id.rec, Description: registry.Set("Now with alerts."),
				})
				return err
			}},
		{name: "delete record", start: registry.StatusApproved, notify: gone,
			act: func(t *testing.T, e *env, id ids) error { return e.svc.DeleteRecord(t.Context(), id.reg, id.rec) }},
		{name: "submit with autoApproval", autoApproval: true, start: registry.StatusDraft, notify: string(registry.StatusApproved),
			act: submitIt},
		{name: "submit for review", start: registry.StatusDraft, notify: string(registry.StatusPendingApproval), act: submitIt},
		{name: "update that changes nothing", start: registry.StatusApproved, notify: none,
			act: func(t *testing.T, e *env, id ids) error {
				_, err := e.svc.UpdateRecord(t.Context(), registry.UpdateRecordInput{RegistryID: id.reg, RecordID: id.rec})
				return err
			}},
		{name: "create", start: registry.StatusDraft, notify: none,
			act: func(t *testing.T, e *env, id ids) error {
				_, err := e.svc.CreateRecord(t.Context(), registry.CreateRecordInput{RegistryID: id.reg, Name: "another",
					DescriptorType: registry.DescriptorCustom, Descriptors: custom(`{}`)})
				return err
			}},

		// Failed calls call nobody.
		{name: "approve a draft", start: registry.StatusDraft, fails: true, wantErr: registry.KindConflict,
			act: setStatusTo(registry.StatusApproved)},
		{name: "deprecate a deprecated record", start: registry.StatusDeprecated, fails: true, wantErr: registry.KindConflict,
			act: setStatusTo(registry.StatusDeprecated)},
		{name: "update a deprecated record", start: registry.StatusDeprecated, fails: true, wantErr: registry.KindConflict,
			act: func(t *testing.T, e *env, id ids) error {
				_, err := e.svc.UpdateRecord(t.Context(), registry.UpdateRecordInput{
					RegistryID: id.reg, RecordID: id.rec, Description: registry.Set("Revived."),
				})
				return err
			}},
		{name: "update with invalid descriptors", start: registry.StatusApproved, fails: true, wantErr: registry.KindInvalid,
			act: func(t *testing.T, e *env, id ids) error {
				_, err := e.svc.UpdateRecord(t.Context(), registry.UpdateRecordInput{
					RegistryID: id.reg, RecordID: id.rec, Descriptors: serverUpdate(`{"name": 42}`),
				})
				return err
			}},
		{name: "status of a missing record", start: registry.StatusDraft, fails: true, wantErr: registry.KindNotFound,
			act: func(t *testing.T, e *env, id ids) error {
				return setStatusTo(registry.StatusDeprecated)(t, e, ids{id.reg, registry.NewID(12)})
			}},
		{name: "delete a missing record", start: registry.StatusDraft, fails: true, wantErr: registry.KindNotFound,
			act: func(t *testing.T, e *env, id ids) error {
				return e.svc.DeleteRecord(t.Context(), id.reg, registry.NewID(12))
			}},
		{name: "delete a registry with records", start: registry.StatusApproved, fails: true, wantErr: registry.KindConflict,
			act: func(t *testing.T, e *env, id ids) error { return e.svc.DeleteRegistry(t.Context(), id.reg) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			id := ids{reg: e.createRegistry(t, "reg", tt.autoApproval)}
			id.rec = e.createRecord(t, registry.CreateRecordInput{RegistryID: id.reg, Name: "weather"})
			e.bringTo(t, id.reg, id.rec, tt.start)
			before := e.getRecord(t, id.reg, id.rec)
			e.takeCommits()

			err := tt.act(t, e, id)
			got := e.takeCommits()
			if tt.fails {
				wantKind(t, err, tt.wantErr)
				if len(got) > 0 {
					t.Errorf("a failed call called AfterCommit: %+v", got)
				}
				if after := e.getRecord(t, id.reg, id.rec); !reflect.DeepEqual(after, before) {
					t.Errorf("a failed call changed the record:\ngot  %+v\nwant %+v", after, before)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if tt.notify == none {
				if len(got) > 0 {
					t.Errorf("AfterCommit called with %+v, want no call", got)
				}
				return
			}
			if len(got) != 1 {
				t.Fatalf("AfterCommit called %d times, want once: %+v", len(got), got)
			}
			c := got[0]
			if c.registryID != id.reg || c.recordID != id.rec {
				t.Errorf("the feed entry is for %s/%s, want %s/%s", c.registryID, c.recordID, id.reg, id.rec)
			}
			// AfterCommit runs after the commit: a new transaction sees the
			// change already.
			if c.seen != tt.notify {
				t.Errorf("AfterCommit found %s, want %s", c.seen, tt.notify)
			}
		})
	}
}

// ids names a record.
type ids struct{ reg, rec string }

func setStatusTo(status registry.RecordStatus) func(t *testing.T, e *env, id ids) error {
	return func(t *testing.T, e *env, id ids) error {
		_, err := e.svc.SetRecordStatus(t.Context(), registry.SetRecordStatusInput{
			RegistryID: id.reg, RecordID: id.rec, Status: status, Reason: "Curator decision.",
		})
		return err
	}
}

func submitIt(t *testing.T, e *env, id ids) error {
	_, err := e.svc.SubmitRecord(t.Context(), id.reg, id.rec)
	return err
}

func TestAfterCommitRegistryChanges(t *testing.T) {
	e := newEnv(t)
	reg := e.createRegistry(t, "reg", false)
	if got := e.takeCommits(); len(got) > 0 {
		t.Errorf("creating a registry called AfterCommit: %+v", got)
	}
	if _, err := e.svc.UpdateRegistry(t.Context(), registry.UpdateRegistryInput{RegistryID: reg, AutoApproval: registry.Set(true)}); err != nil {
		t.Fatal(err)
	}
	if err := e.svc.DeleteRegistry(t.Context(), reg); err != nil {
		t.Fatal(err)
	}
	got := e.takeCommits()
	want := []commit{{registryID: reg, seen: "present"}, {registryID: reg, seen: "gone"}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %+v, want %+v", got, want)
	}

	err := e.svc.DeleteRegistry(t.Context(), reg)
	wantKind(t, err, registry.KindNotFound)
	if got := e.takeCommits(); len(got) > 0 {
		t.Errorf("deleting a missing registry called AfterCommit: %+v", got)
	}
}

// TestAfterCommitHoldsNoLock: a write whose AfterCommit is slow (a search
// index that takes its time) holds up no other write: another record's
// approval, in another registry, commits and returns meanwhile.
func TestAfterCommitHoldsNoLock(t *testing.T) {
	type call struct {
		seq     int64
		release chan struct{}
	}
	calls := make(chan call)
	e := newEnvWith(t, func(ctx context.Context, seq int64) {
		c := call{seq, make(chan struct{})}
		calls <- c
		<-c.release
	})
	regA, regB := e.createRegistry(t, "a", false), e.createRegistry(t, "b", false)
	a := e.createRecord(t, registry.CreateRecordInput{RegistryID: regA, Name: "a"})
	b := e.createRecord(t, registry.CreateRecordInput{RegistryID: regB, Name: "b"})
	for _, id := range []ids{{regA, a}, {regB, b}} {
		go func() { (<-calls).release <- struct{}{} }()
		e.bringTo(t, id.reg, id.rec, registry.StatusPendingApproval)
	}

	approve := func(id ids) <-chan error {
		done := make(chan error, 1)
		go func() { done <- setStatusTo(registry.StatusApproved)(t, e, id) }()
		return done
	}
	doneA := approve(ids{regA, a})
	first := <-calls // a's approval has committed; its hook holds on
	doneB := approve(ids{regB, b})
	var second call
	select {
	case second = <-calls:
	case <-time.After(5 * time.Second):
		close(first.release)
		t.Fatal("approving b waited for a's AfterCommit")
	}
	if second.seq <= first.seq {
		t.Errorf("b's change has seq %d, not after a's %d", second.seq, first.seq)
	}
	if got := e.getRecord(t, regB, b); got.Latest.Status != registry.StatusApproved {
		t.Errorf("b is %s while its AfterCommit runs, want committed as APPROVED", got.Latest.Status)
	}
	close(second.release)
	if err := <-doneB; err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-doneA:
		t.Fatalf("approving a returned (%v) before its AfterCommit did", err)
	default:
	}
	close(first.release)
	if err := <-doneA; err != nil {
		t.Fatal(err)
	}
}

func TestUpdateRecordNoOp(t *testing.T) {
	noOps := []struct {
		name string
		in   registry.UpdateRecordInput
	}{
		{"nothing set", registry.UpdateRecordInput{}},
		{"same name", registry.UpdateRecordInput{Name: new("weather")}},
		{"same description", registry.UpdateRecordInput{Description: registry.Set("Forecasts.")}},
		{"same version", registry.UpdateRecordInput{Version: new("1.0.0")}},
		{"same descriptor type", registry.UpdateRecordInput{DescriptorType: new(registry.DescriptorMCP)}},
		{"same descriptors", registry.UpdateRecordInput{Descriptors: serverUpdate(server("1.0.0"))}},
		{"empty descriptors update", registry.UpdateRecordInput{Descriptors: registry.Set(registry.DescriptorsUpdate{})}},
	}
	statuses := []registry.RecordStatus{registry.StatusDraft, registry.StatusPendingApproval, registry.StatusApproved,
		registry.StatusRejected}
	for _, status := range statuses {
		for _, op := range noOps {
			t.Run(string(status)+"/"+op.name, func(t *testing.T) {
				e := newEnv(t)
				reg := e.createRegistry(t, "reg", false)
				rec := e.createRecord(t, registry.CreateRecordInput{RegistryID: reg, Name: "weather",
					Description: new("Forecasts."), DescriptorType: registry.DescriptorMCP, Descriptors: mcp(server("1.0.0"))})
				e.bringTo(t, reg, rec, status)
				before := e.getRecord(t, reg, rec)
				e.takeCommits()

				in := op.in
				in.RegistryID, in.RecordID = reg, rec
				returned := e.update(t, in)
				if !reflect.DeepEqual(returned, before) {
					t.Errorf("UpdateRecord returned %+v, want the record unchanged %+v", returned, before)
				}
				if after := e.getRecord(t, reg, rec); !reflect.DeepEqual(after, before) {
					t.Errorf("stored record changed:\ngot  %+v\nwant %+v", after, before)
				}
				if got := e.takeCommits(); len(got) > 0 {
					t.Errorf("a no-op update called AfterCommit: %+v", got)
				}
			})
		}
	}
}

func TestRecordVersion(t *testing.T) {
	type step struct {
		name string
		in   registry.UpdateRecordInput
		want string
	}
	tests := []struct {
		name   string
		create registry.CreateRecordInput
		want   string // recordVersion after create
		steps  []step
	}{
		{
			name:   "follows server.json",
			create: registry.CreateRecordInput{DescriptorType: registry.DescriptorMCP, Descriptors: mcp(server("1.0.0"))},
			want:   "1.0.0",
			steps: []step{
				{"new server version", registry.UpdateRecordInput{Descriptors: serverUpdate(server("1.1.0"))}, "1.1.0"},
				{"description only", registry.UpdateRecordInput{Description: registry.Set("New words.")}, "1.1.0"},
				{"switch to an agent card", registry.UpdateRecordInput{
					DescriptorType: new(registry.DescriptorA2A),
					Descriptors: registry.Set(registry.DescriptorsUpdate{
						MCP: registry.Clear[registry.MCPUpdate](),
						A2A: registry.Set(*a2a(card("3.0.0")).A2A),
					}),
				}, "3.0.0"},
				{"explicit version", registry.UpdateRecordInput{Version: new("2025.06")}, "2025.06"},
				{"card changes after an explicit version", registry.UpdateRecordInput{
					Descriptors: registry.Set(registry.DescriptorsUpdate{A2A: registry.Set(*a2a(card("3.1.0")).A2A)}),
				}, "2025.06"},
			},
		},
		{
			name:   "follows the agent card",
			create: registry.CreateRecordInput{DescriptorType: registry.DescriptorA2A, Descriptors: a2a(card("1.4.0"))},
			want:   "1.4.0",
			steps: []step{
				{"new card version", registry.UpdateRecordInput{
					Descriptors: registry.Set(registry.DescriptorsUpdate{A2A: registry.Set(*a2a(card("1.5.0")).A2A)}),
				}, "1.5.0"},
			},
		},
		{
			name: "explicit at create",
			create: registry.CreateRecordInput{DescriptorType: registry.DescriptorMCP, Descriptors: mcp(server("1.0.0")),
				Version: new("v7")},
			want: "v7",
			steps: []step{
				{"new server version", registry.UpdateRecordInput{Descriptors: serverUpdate(server("2.0.0"))}, "v7"},
			},
		},
		{
			name:   "no version in the documents",
			create: registry.CreateRecordInput{DescriptorType: registry.DescriptorCustom, Descriptors: custom(`{"version": "9.9"}`)},
			want:   "",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			reg := e.createRegistry(t, "reg", false)
			in := tt.create
			in.RegistryID, in.Name = reg, "rec"
			rec := e.createRecord(t, in)
			if got := e.getRecord(t, reg, rec).Latest.Version; got != tt.want {
				t.Fatalf("after create: recordVersion %q, want %q", got, tt.want)
			}
			for _, s := range tt.steps {
				in := s.in
				in.RegistryID, in.RecordID = reg, rec
				e.update(t, in)
				if got := e.getRecord(t, reg, rec).Latest.Version; got != s.want {
					t.Fatalf("after %s: recordVersion %q, want %q", s.name, got, s.want)
				}
			}
		})
	}
}

func TestApprovedRevisionKeptWhileEditing(t *testing.T) {
	e := newEnv(t)
	reg := e.createRegistry(t, "reg", false)
	rec := e.createRecord(t, registry.CreateRecordInput{RegistryID: reg, Name: "weather", Description: new("First.")})
	e.bringTo(t, reg, rec, registry.StatusApproved)
	approved := e.getRecord(t, reg, rec).Approved
	if approved == nil || approved.Description != "First." || approved.Status != registry.StatusApproved {
		t.Fatalf("after approval: Approved = %+v", approved)
	}

	wantApprovedKept := func(step string, r registry.Record, status registry.RecordStatus) {
		t.Helper()
		if r.Latest.Status != status {
			t.Errorf("after %s: latest is %s, want %s", step, r.Latest.Status, status)
		}
		if !reflect.DeepEqual(r.Approved, approved) {
			t.Errorf("after %s: Approved = %+v, want it unchanged: %+v", step, r.Approved, approved)
		}
		if stored := e.getRecord(t, reg, rec); !reflect.DeepEqual(stored, r) {
			t.Errorf("after %s: stored %+v, returned %+v", step, stored, r)
		}
	}
	edit := func(description string) registry.Record {
		return e.update(t, registry.UpdateRecordInput{RegistryID: reg, RecordID: rec, Description: registry.Set(description)})
	}

	r := edit("Second.")
	if r.Latest.Description != "Second." {
		t.Errorf("latest description %q, want Second.", r.Latest.Description)
	}
	wantApprovedKept("an edit", r, registry.StatusDraft)
	wantApprovedKept("another edit of the draft", edit("Second, again."), registry.StatusDraft)
	wantApprovedKept("submit", e.submit(t, reg, rec), registry.StatusPendingApproval)
	wantApprovedKept("reject", e.setStatus(t, reg, rec, registry.StatusRejected), registry.StatusRejected)
	wantApprovedKept("an edit after rejection", edit("Third."), registry.StatusDraft)
	e.submit(t, reg, rec)

	r = e.setStatus(t, reg, rec, registry.StatusApproved)
	if r.Approved == nil || r.Approved.Description != "Third." || !reflect.DeepEqual(*r.Approved, r.Latest) {
		t.Errorf("after approving the new revision: Approved = %+v, want the latest %+v", r.Approved, r.Latest)
	}
	if r = e.setStatus(t, reg, rec, registry.StatusDeprecated); r.Approved != nil {
		t.Errorf("after deprecation: Approved = %+v, want nil", r.Approved)
	}
}

func TestListRecordsPaging(t *testing.T) {
	e := newEnv(t)
	reg := e.createRegistry(t, "reg", false)
	other := e.createRegistry(t, "other", false)
	e.createRecord(t, registry.CreateRecordInput{RegistryID: other, Name: "rec-05"})

	// 21 records: every third is CUSTOM, the others MCP; even ones are
	// submitted.
	isCustom := func(i int) bool { return i%3 == 0 }
	isPending := func(i int) bool { return i%2 == 0 }
	var all, mcpNames, customPending []string
	for i := range 21 {
		name := fmt.Sprintf("rec-%02d", i)
		in := registry.CreateRecordInput{RegistryID: reg, Name: name}
		if isCustom(i) {
			in.DescriptorType, in.Descriptors = registry.DescriptorCustom, custom(`{}`)
		}
		id := e.createRecord(t, in)
		if isPending(i) {
			e.submit(t, reg, id)
		}
		all = append(all, name)
		if !isCustom(i) {
			mcpNames = append(mcpNames, name)
		}
		if isCustom(i) && isPending(i) {
			customPending = append(customPending, name)
		}
	}

	tests := []struct {
		name      string
		in        registry.ListRecordsInput
		want      []string
		wantPages []int
	}{
		{"default page size", registry.ListRecordsInput{}, all, []int{20, 1}},
		{"by type", registry.ListRecordsInput{DescriptorType: registry.DescriptorMCP, MaxResults: new(5)}, mcpNames, []int{5, 5, 4}},
		{"by type and status, exact pages", registry.ListRecordsInput{DescriptorType: registry.DescriptorCustom,
			Status: registry.StatusPendingApproval, MaxResults: new(2)}, customPending, []int{2, 2}},
		{"by name", registry.ListRecordsInput{Name: "rec-07", MaxResults: new(1)}, []string{"rec-07"}, []int{1}},
		{"one page", registry.ListRecordsInput{MaxResults: new(100)}, all, []int{21}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := tt.in
			in.RegistryID = reg
			var names []string
			var sizes []int
			for {
				page, err := e.svc.ListRecords(t.Context(), in)
				if err != nil {
					t.Fatal(err)
				}
				for _, r := range page.Records {
					names = append(names, r.Name)
				}
				sizes = append(sizes, len(page.Records))
				if page.NextToken == "" {
					break
				}
				if len(sizes) > 30 {
					t.Fatal("paging does not end")
				}
				in.NextToken = page.NextToken
			}
			if !slices.Equal(names, tt.want) {
				t.Errorf("got %q, want %q", names, tt.want)
			}
			if !slices.Equal(sizes, tt.wantPages) {
				t.Errorf("got pages of %v, want %v", sizes, tt.wantPages)
			}
		})
	}

	t.Run("token bound to the query", func(t *testing.T) {
		page, err := e.svc.ListRecords(t.Context(), registry.ListRecordsInput{RegistryID: reg, DescriptorType: registry.DescriptorMCP, MaxResults: new(2)})
		if err != nil || page.NextToken == "" {
			t.Fatalf("first page: %v, token %q", err, page.NextToken)
		}
		for _, in := range []registry.ListRecordsInput{
			{RegistryID: reg, DescriptorType: registry.DescriptorCustom},
			{RegistryID: reg},
			{RegistryID: reg, DescriptorType: registry.DescriptorMCP, Status: registry.StatusDraft},
			{RegistryID: other, DescriptorType: registry.DescriptorMCP},
		} {
			in.NextToken = page.NextToken
			_, err := e.svc.ListRecords(t.Context(), in)
			wantKind(t, err, registry.KindInvalid)
		}
		// Another page size is the same query.
		_, err = e.svc.ListRecords(t.Context(), registry.ListRecordsInput{RegistryID: reg, DescriptorType: registry.DescriptorMCP,
			MaxResults: new(7), NextToken: page.NextToken})
		if err != nil {
			t.Errorf("a token with another page size: %v", err)
		}
	})

	t.Run("records created while paging", func(t *testing.T) {
		first, err := e.svc.ListRecords(t.Context(), registry.ListRecordsInput{RegistryID: reg, MaxResults: new(10)})
		if err != nil {
			t.Fatal(err)
		}
		// One lands before the cursor, one after it.
		e.createRecord(t, registry.CreateRecordInput{RegistryID: reg, Name: "rec-00a"})
		e.createRecord(t, registry.CreateRecordInput{RegistryID: reg, Name: "rec-99"})
		rest, err := e.svc.ListRecords(t.Context(), registry.ListRecordsInput{RegistryID: reg, MaxResults: new(100), NextToken: first.NextToken})
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, r := range rest.Records {
			names = append(names, r.Name)
		}
		if want := append(slices.Clone(all[10:]), "rec-99"); !slices.Equal(names, want) {
			t.Errorf("second page %q, want %q", names, want)
		}
	})
}
