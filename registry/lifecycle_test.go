package registry

import (
	"reflect"
	"strings"
	"testing"
	"time"
)

var (
	created = time.Date(2025, 1, 2, 3, 4, 5, 6_000_000, time.UTC)
	now     = created.Add(time.Hour)
)

// recordIn returns a record whose latest revision is in status and which
// has an earlier approved revision, so each test can tell whether the
// approved copy was kept, replaced or cleared.
func recordIn(status RecordStatus) Record {
	prev := Revision{
		Name: "weather", Description: "First version.", DescriptorType: DescriptorCustom,
		Descriptors: Descriptors{Custom: &CustomDescriptor{InlineContent: `{"v": 1}`}},
		Version:     "1.0.0", Status: StatusApproved, StatusReason: "Fine.", UpdatedAt: created,
	}
	latest := prev
	latest.Description = "Second version."
	latest.Descriptors = Descriptors{Custom: &CustomDescriptor{InlineContent: `{"v": 2}`}}
	latest.Version = "2.0.0"
	latest.Status, latest.StatusReason = status, "earlier reason"
	return Record{RegistryID: "reg123456789", ID: "rec123456789", CreatedAt: created, Latest: latest, Approved: &prev}
}

// clone copies r deeply enough to compare it after a method changed r.
func clone(r Record) Record {
	if r.Approved != nil {
		a := *r.Approved
		r.Approved = &a
	}
	return r
}

// wantConflict fails unless err is a KindConflict naming every word.
func wantConflict(t *testing.T, err error, words ...string) {
	t.Helper()
	if ErrorKind(err) != KindConflict {
		t.Fatalf("got %v (kind %s), want a conflict", err, ErrorKind(err))
	}
	for _, w := range words {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("message %q does not name %s", err.Error(), w)
		}
	}
}

func TestSetStatus(t *testing.T) {
	// The curator transitions; on top of these, anything but DEPRECATED
	// may become DEPRECATED.
	allowed := map[[2]RecordStatus]bool{
		{StatusPendingApproval, StatusApproved}: true,
		{StatusRejected, StatusApproved}:        true,
		{StatusPendingApproval, StatusRejected}: true,
	}
	for _, from := range recordStatuses {
		for _, to := range recordStatuses {
			legal := allowed[[2]RecordStatus{from, to}] || (to == StatusDeprecated && from != StatusDeprecated)
			t.Run(string(from)+"->"+string(to), func(t *testing.T) {
				r := recordIn(from)
				before := clone(r)
				err := r.SetStatus(to, "curator says so", now)
				if !legal {
					wantConflict(t, err, r.ID, string(from), string(to))
					if from == StatusDeprecated && !strings.Contains(err.Error(), "final") {
						t.Errorf("message %q does not say DEPRECATED is final", err)
					}
					if !reflect.DeepEqual(r, before) {
						t.Errorf("a refused transition changed the record:\ngot  %+v\nwant %+v", r, before)
					}
					return
				}
				if err != nil {
					t.Fatalf("SetStatus: %v", err)
				}
				want := before
				want.Latest.Status, want.Latest.StatusReason, want.Latest.UpdatedAt = to, "curator says so", now
				switch to {
				case StatusApproved:
					approved := want.Latest
					want.Approved = &approved
				case StatusDeprecated:
					want.Approved = nil
				}
				if !reflect.DeepEqual(r, want) {
					t.Errorf("after SetStatus:\ngot  %+v\nwant %+v", r, want)
				}
			})
		}
	}
}

func TestSetStatusApprovedIsACopy(t *testing.T) {
	r := recordIn(StatusPendingApproval)
	if err := r.SetStatus(StatusApproved, "ok", now); err != nil {
		t.Fatal(err)
	}
	r.Latest.Name = "edited-afterwards"
	if r.Approved.Name != "weather" {
		t.Errorf("editing the latest revision changed the approved one: %q", r.Approved.Name)
	}
}

func TestSetStatusRejectNeverApproved(t *testing.T) {
	r := recordIn(StatusPendingApproval)
	r.Approved = nil
	if err := r.SetStatus(StatusRejected, "no", now); err != nil {
		t.Fatal(err)
	}
	if r.Approved != nil {
		t.Errorf("rejecting a never approved record made it discoverable: %+v", r.Approved)
	}
}

func TestSubmit(t *testing.T) {
	for _, from := range recordStatuses {
		for _, autoApprove := range []bool{false, true} {
			name := string(from)
			if autoApprove {
				name += "/autoApproval"
			}
			t.Run(name, func(t *testing.T) {
				r := recordIn(from)
				before := clone(r)
				err := r.Submit(autoApprove, now)
				if from != StatusDraft {
					wantConflict(t, err, r.ID, string(from), string(StatusDraft))
					if !reflect.DeepEqual(r, before) {
						t.Errorf("a refused submit changed the record")
					}
					return
				}
				if err != nil {
					t.Fatalf("Submit: %v", err)
				}
				want := before
				want.Latest.UpdatedAt = now
				if autoApprove {
					want.Latest.Status = StatusApproved
					want.Latest.StatusReason = r.Latest.StatusReason
					approved := want.Latest
					want.Approved = &approved
					if !strings.Contains(r.Latest.StatusReason, "automatically") {
						t.Errorf("StatusReason = %q, want it to say it was approved automatically", r.Latest.StatusReason)
					}
				} else {
					want.Latest.Status, want.Latest.StatusReason = StatusPendingApproval, ""
				}
				if !reflect.DeepEqual(r, want) {
					t.Errorf("after Submit:\ngot  %+v\nwant %+v", r, want)
				}
			})
		}
	}
}

func TestBeginEdit(t *testing.T) {
	refused := map[RecordStatus]string{
		StatusDeprecated: "final",
		StatusCreating:   "settles",
		StatusUpdating:   "settles",
	}
	for _, from := range recordStatuses {
		t.Run(string(from), func(t *testing.T) {
			r := recordIn(from)
			before := clone(r)
			err := r.BeginEdit(now)
			if words, ok := refused[from]; ok {
				wantConflict(t, err, r.ID, string(from), words)
				if !reflect.DeepEqual(r, before) {
					t.Errorf("a refused edit changed the record")
				}
				return
			}
			if err != nil {
				t.Fatalf("BeginEdit: %v", err)
			}
			// The content stays for the caller to change; the approved copy
			// stays discoverable.
			want := before
			want.Latest.Status, want.Latest.StatusReason, want.Latest.UpdatedAt = StatusDraft, "", now
			if !reflect.DeepEqual(r, want) {
				t.Errorf("after BeginEdit:\ngot  %+v\nwant %+v", r, want)
			}
		})
	}
}
