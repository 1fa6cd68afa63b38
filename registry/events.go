package registry

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"time"
)

// Lifecycle events. When Options.Events is set, every change of a
// registry's or record's state writes an Event in the same transaction as
// the change (Tx.AppendEvent): the outbox from which webhooks are
// delivered (package events), so that an event exists exactly when its
// change committed. The detail-types are AWS's, listed with their sources
// in docs/events.md.

// Detail-types of record events.
const (
	EventRecordDraft           = "Registry Record State changed to Draft"
	EventRecordPendingApproval = "Registry Record State changed to Pending Approval"
	EventRecordApproved        = "Registry Record State changed to Approved"
	EventRecordRejected        = "Registry Record State changed to Rejected"
	EventRecordDeprecated      = "Registry Record State changed to Deprecated"
	// EventRecordDeleted is agentry's own: AWS documents no event for a
	// deleted record.
	EventRecordDeleted = "Registry Record Deleted"
	// EventRecordCreateFailed and EventRecordUpdateFailed are agentry's
	// own too: a URL synchronization failed (AWS documents no event).
	EventRecordCreateFailed = "Registry Record State changed to Create Failed"
	EventRecordUpdateFailed = "Registry Record State changed to Update Failed"
)

// Detail-types of registry events. agentry creates and updates registries
// at once, so it never emits AWS's "Failed" ones.
const (
	EventRegistryReady = "Registry State transitions from Creating to Ready"
	// EventRegistryReadyGA is EventRegistryReady as the GA API names it.
	EventRegistryReadyGA  = "Registry Ready"
	EventRegistryUpdating = "Registry Updating"
	EventRegistryDeleting = "Registry Deleting"
)

// EventDetailTypes are the detail-types agentry emits.
var EventDetailTypes = []string{
	EventRecordDraft, EventRecordPendingApproval, EventRecordApproved, EventRecordRejected, EventRecordDeprecated,
	EventRecordDeleted, EventRecordCreateFailed, EventRecordUpdateFailed, EventRegistryReady, EventRegistryReadyGA, EventRegistryUpdating, EventRegistryDeleting,
}

var recordEvents = map[RecordStatus]string{
	StatusDraft: EventRecordDraft, StatusPendingApproval: EventRecordPendingApproval,
	StatusApproved: EventRecordApproved, StatusRejected: EventRecordRejected, StatusDeprecated: EventRecordDeprecated,
	StatusCreateFailed: EventRecordCreateFailed, StatusUpdateFailed: EventRecordUpdateFailed,
}

// Event is one lifecycle event in the outbox.
type Event struct {
	Seq        int64  // assigned by AppendEvent, in commit order
	ID         string // unique: receivers drop the duplicates of retries by it
	DetailType string
	At         time.Time
	RegistryID string
	RecordID   string // "" for an event of the registry itself
	Detail     []byte // EventDetail as JSON
}

// EventDetail is the detail of an event: what changed, from what, to
// what, and who changed it.
type EventDetail struct {
	RegistryID       string `json:"registryId"`
	RegistryArn      string `json:"registryArn"`
	RegistryName     string `json:"registryName,omitempty"`
	RegistryRecordID string `json:"registryRecordId,omitempty"`
	RecordArn        string `json:"recordArn,omitempty"`
	RecordName       string `json:"recordName,omitempty"`
	PreviousStatus   string `json:"previousStatus,omitempty"`
	Status           string `json:"status,omitempty"`
	StatusReason     string `json:"statusReason,omitempty"`
	// Principal is the ARN of the caller that made the change.
	Principal string `json:"principal,omitempty"`
}

// DeadLetter is an event a webhook gave up on after its last try.
type DeadLetter struct {
	Webhook   string
	Seq       int64
	EventID   string
	Attempts  int
	LastError string
	At        time.Time // when it was given up on
	Body      []byte    // the envelope as it was sent
}

type principalKey struct{}

// WithPrincipal returns ctx carrying the ARN of the caller, which events
// record as the principal of the change.
func WithPrincipal(ctx context.Context, arn string) context.Context {
	return context.WithValue(ctx, principalKey{}, arn)
}

func principalOf(ctx context.Context) string {
	arn, _ := ctx.Value(principalKey{}).(string)
	return arn
}

type namespaceKey struct{}

// WithNamespace returns ctx saying which API the change comes through, by
// its ARN namespace (NamespaceGA, or "" for the preview's): its events
// name resources in that namespace, and package events gives them that
// API's source.
func WithNamespace(ctx context.Context, ns string) context.Context {
	return context.WithValue(ctx, namespaceKey{}, ns)
}

func namespaceOf(ctx context.Context) string {
	ns, _ := ctx.Value(namespaceKey{}).(string)
	return ns
}

// NewEventID returns a random UUID (version 4).
func NewEventID() string {
	var b [16]byte
	rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}

// recordEvent writes the event of r's change from previous (a status, ""
// when it was created) to its latest revision's status; a change that
// keeps the status writes none.
func (s *Service) recordEvent(ctx context.Context, tx Tx, r Record, previous RecordStatus) error {
	if !s.events || previous == r.Latest.Status {
		return nil
	}
	return s.appendEvent(ctx, tx, recordEvents[r.Latest.Status], r.Latest.UpdatedAt, EventDetail{
		RegistryID: r.RegistryID, RegistryRecordID: r.ID, RecordName: r.Latest.Name,
		PreviousStatus: string(previous), Status: string(r.Latest.Status), StatusReason: r.Latest.StatusReason,
	})
}

func (s *Service) appendEvent(ctx context.Context, tx Tx, detailType string, at time.Time, d EventDetail) error {
	if !s.events || detailType == "" {
		return nil
	}
	arns := s.ARNs
	if ns := namespaceOf(ctx); ns != "" {
		arns.Namespace = ns
		if detailType == EventRegistryReady {
			detailType = EventRegistryReadyGA
		}
	}
	d.RegistryArn = arns.Registry(d.RegistryID)
	if d.RegistryRecordID != "" {
		d.RecordArn = arns.Record(d.RegistryID, d.RegistryRecordID)
	}
	d.Principal = principalOf(ctx)
	detail, err := json.Marshal(d)
	if err != nil {
		return err
	}
	_, err = tx.AppendEvent(Event{ID: NewEventID(), DetailType: detailType, At: at,
		RegistryID: d.RegistryID, RecordID: d.RegistryRecordID, Detail: detail})
	return err
}
