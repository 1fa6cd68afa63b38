package registry

import "context"

// SubmitRecord sends a DRAFT for approval, or approves it at once when the
// registry has autoApproval.
func (s *Service) SubmitRecord(ctx context.Context, registryID, recordID string) (Record, error) {
	regID, recID, err := s.recordIDs(registryID, recordID)
	if err != nil {
		return Record{}, err
	}
	var r Record
	err = s.update(ctx, func(tx Tx) (int64, error) {
		reg, err := tx.Registry(regID)
		if err != nil {
			return 0, err
		}
		if r, err = tx.Record(regID, recID); err != nil {
			return 0, err
		}
		previous := r.Latest.Status
		if err := r.Submit(reg.AutoApproval, s.clock()); err != nil {
			return 0, err
		}
		if err := s.recordEvent(ctx, tx, r, previous); err != nil {
			return 0, err
		}
		return s.putRecord(tx, r)
	})
	return r, err
}

// SetRecordStatusInput is a curator's decision on a record.
type SetRecordStatusInput struct {
	RegistryID string
	RecordID   string
	Status     RecordStatus
	Reason     string
	// ReasonOptional accepts an empty Reason (the GA API's statusReason
	// is 0 to 255 characters; the preview's at least 1).
	ReasonOptional bool
}

// SetRecordStatus approves, rejects or deprecates a record.
func (s *Service) SetRecordStatus(ctx context.Context, in SetRecordStatusInput) (Record, error) {
	regID, recID, err := s.recordIDs(in.RegistryID, in.RecordID)
	if err != nil {
		return Record{}, err
	}
	var fe fieldErrors
	checkEnum(&fe, "status", in.Status, recordStatuses...)
	minReason := 1
	if in.ReasonOptional {
		minReason = 0
	}
	checkLength(&fe, "statusReason", in.Reason, minReason, MaxReasonLen)
	if err := fe.err(); err != nil {
		return Record{}, err
	}
	var r Record
	err = s.update(ctx, func(tx Tx) (int64, error) {
		if _, err := tx.Registry(regID); err != nil {
			return 0, err
		}
		if r, err = tx.Record(regID, recID); err != nil {
			return 0, err
		}
		previous := r.Latest.Status
		if err := r.SetStatus(in.Status, in.Reason, s.clock()); err != nil {
			return 0, err
		}
		if err := s.recordEvent(ctx, tx, r, previous); err != nil {
			return 0, err
		}
		return s.putRecord(tx, r)
	})
	return r, err
}
