package registry

import "time"

// The record lifecycle:
//
//	create          -> DRAFT
//	submit (DRAFT)  -> PENDING_APPROVAL, or APPROVED at once with autoApproval
//	status update:  PENDING_APPROVAL -> APPROVED | REJECTED
//	                REJECTED         -> APPROVED
//	                any              -> DEPRECATED (final)
//	edit:           DRAFT is changed in place; PENDING_APPROVAL, REJECTED and
//	                APPROVED start a new DRAFT revision while the last
//	                approved revision stays discoverable.

// curatorTransitions lists, per target status of UpdateRegistryRecordStatus,
// the statuses it may be reached from. DEPRECATED is handled apart: it is
// reachable from anything but itself.
var curatorTransitions = map[RecordStatus][]RecordStatus{
	StatusApproved: {StatusPendingApproval, StatusRejected},
	StatusRejected: {StatusPendingApproval},
}

func transitionConflict(recordID string, from, to RecordStatus) error {
	if from == StatusDeprecated {
		return Errorf(KindConflict, "Record %s is DEPRECATED, which is final; it cannot change to %s.", recordID, to)
	}
	return Errorf(KindConflict, "Record %s cannot change from %s to %s.", recordID, from, to)
}

// Submit sends a DRAFT revision for review. With autoApprove it is approved
// at once and becomes the discoverable revision.
func (r *Record) Submit(autoApprove bool, now time.Time) error {
	if r.Latest.Status != StatusDraft {
		return Errorf(KindConflict, "Record %s cannot be submitted for approval: it is %s, and only a DRAFT can be submitted (requested %s).",
			r.ID, r.Latest.Status, StatusPendingApproval)
	}
	r.Latest.UpdatedAt = now
	if autoApprove {
		r.approve("Approved automatically: the registry has autoApproval enabled.")
		return nil
	}
	r.Latest.Status = StatusPendingApproval
	r.Latest.StatusReason = ""
	return nil
}

// SetStatus is a curator's decision on the latest revision.
func (r *Record) SetStatus(to RecordStatus, reason string, now time.Time) error {
	from := r.Latest.Status
	switch {
	case from == StatusDeprecated:
		return transitionConflict(r.ID, from, to)
	case to == StatusDeprecated:
		r.Latest.Status = StatusDeprecated
		r.Latest.StatusReason = reason
		r.Latest.UpdatedAt = now
		r.Approved = nil
		return nil
	}
	allowed := false
	for _, s := range curatorTransitions[to] {
		allowed = allowed || s == from
	}
	if !allowed {
		return transitionConflict(r.ID, from, to)
	}
	r.Latest.UpdatedAt = now
	if to == StatusApproved {
		r.approve(reason)
		return nil
	}
	r.Latest.Status = to
	r.Latest.StatusReason = reason
	return nil
}

func (r *Record) approve(reason string) {
	r.Latest.Status = StatusApproved
	r.Latest.StatusReason = reason
	approved := r.Latest
	r.Approved = &approved
}

// BeginEdit prepares the latest revision for an edit: a DRAFT is edited in
// place; a revision under review, rejected or approved is replaced by a new
// DRAFT (the approved copy, if any, stays in r.Approved).
func (r *Record) BeginEdit(now time.Time) error {
	if err := r.checkEditable(); err != nil {
		return err
	}
	r.Latest.Status = StatusDraft
	r.Latest.StatusReason = ""
	r.Latest.UpdatedAt = now
	return nil
}

// checkEditable refuses edits of a final or unsettled record, including
// edits that would change nothing.
func (r *Record) checkEditable() error {
	switch r.Latest.Status {
	case StatusDeprecated:
		return Errorf(KindConflict, "Record %s is DEPRECATED, which is final; it cannot be edited (requested %s).", r.ID, StatusDraft)
	case StatusCreating, StatusUpdating:
		return Errorf(KindConflict, "Record %s is %s; wait until it settles before editing it.", r.ID, r.Latest.Status)
	}
	return nil
}
