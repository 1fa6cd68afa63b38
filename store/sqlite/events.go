package sqlite

import (
	"context"
	"database/sql"
	"strings"
	"time"

	"github.com/agentry/agentry/registry"
)

// The outbox of lifecycle events, the dead letters of webhooks and the
// audit trail.

// AppendEvent adds an event to the outbox. seq is the table's
// AUTOINCREMENT rowid, in commit order since SQLite commits one write
// transaction at a time.
func (t *txn) AppendEvent(e registry.Event) (int64, error) {
	res, err := t.exec(`INSERT INTO events (id, detail_type, registry_id, record_id, at, detail) VALUES (?, ?, ?, ?, ?, ?)`,
		e.ID, e.DetailType, e.RegistryID, e.RecordID, millis(e.At), string(e.Detail))
	if err != nil {
		return 0, err
	}
	return res.LastInsertId()
}

// EventsSince returns up to limit events of the outbox after seq after,
// in order.
func (s *Store) EventsSince(ctx context.Context, after int64, limit int) ([]registry.Event, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT seq, id, detail_type, registry_id, record_id, at, detail FROM events
		WHERE seq > ? ORDER BY seq LIMIT ?`, after, limit)
	if err != nil {
		return nil, registry.Internal(err)
	}
	defer rows.Close()
	var out []registry.Event
	for rows.Next() {
		var e registry.Event
		var at int64
		var detail string
		if err := rows.Scan(&e.Seq, &e.ID, &e.DetailType, &e.RegistryID, &e.RecordID, &at, &detail); err != nil {
			return nil, registry.Internal(err)
		}
		e.At, e.Detail = fromMillis(at), []byte(detail)
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, registry.Internal(err)
	}
	return out, nil
}

// LatestEvent returns the highest sequence number in the outbox, 0 when
// it is empty.
func (s *Store) LatestEvent(ctx context.Context) (int64, error) {
	var seq int64
	if err := s.read.QueryRowContext(ctx, `SELECT COALESCE(MAX(seq), 0) FROM events`).Scan(&seq); err != nil {
		return 0, registry.Internal(err)
	}
	return seq, nil
}

// PruneEvents deletes the events up to seq upTo, delivered everywhere.
func (s *Store) PruneEvents(ctx context.Context, upTo int64) error {
	if _, err := s.write.ExecContext(ctx, `DELETE FROM events WHERE seq <= ?`, upTo); err != nil {
		return registry.Internal(err)
	}
	return nil
}

// AddDeadLetter keeps an event a webhook gave up on.
func (s *Store) AddDeadLetter(ctx context.Context, d registry.DeadLetter) error {
	_, err := s.write.ExecContext(ctx, `INSERT INTO event_dead_letters (webhook, seq, event_id, attempts, last_error, at, body)
		VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`, d.Webhook, d.Seq, d.EventID, d.Attempts, d.LastError, millis(d.At), d.Body)
	if err != nil {
		return registry.Internal(err)
	}
	return nil
}

// DeadLetters returns a webhook's dead letters ("" = every webhook's),
// oldest first.
func (s *Store) DeadLetters(ctx context.Context, webhook string) ([]registry.DeadLetter, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT webhook, seq, event_id, attempts, last_error, at, body FROM event_dead_letters
		WHERE ? = '' OR webhook = ? ORDER BY at, seq`, webhook, webhook)
	if err != nil {
		return nil, registry.Internal(err)
	}
	defer rows.Close()
	var out []registry.DeadLetter
	for rows.Next() {
		var d registry.DeadLetter
		var at int64
		if err := rows.Scan(&d.Webhook, &d.Seq, &d.EventID, &d.Attempts, &d.LastError, &at, &d.Body); err != nil {
			return nil, registry.Internal(err)
		}
		d.At = fromMillis(at)
		out = append(out, d)
	}
	if err := rows.Err(); err != nil {
		return nil, registry.Internal(err)
	}
	return out, nil
}

// DeleteDeadLetter removes a webhook's dead letter, once redelivered.
// Removing one that is not there is no error.
func (s *Store) DeleteDeadLetter(ctx context.Context, webhook string, seq int64) error {
	if _, err := s.write.ExecContext(ctx, `DELETE FROM event_dead_letters WHERE webhook = ? AND seq = ?`, webhook, seq); err != nil {
		return registry.Internal(err)
	}
	return nil
}

// AppendAudit writes audit entries in one transaction.
func (s *Store) AppendAudit(ctx context.Context, entries []registry.AuditEntry) error {
	err := s.inTx(ctx, s.write, func(tx *sql.Tx) error {
		stmt, err := tx.PrepareContext(ctx, `INSERT INTO audit (at, request_id, operation, principal, access_key_id, source_ip,
			resource, outcome, status, error, denial, changed, denied_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
		if err != nil {
			return err
		}
		defer stmt.Close()
		for _, e := range entries {
			if _, err := stmt.ExecContext(ctx, millis(e.At), e.RequestID, e.Operation, e.Principal, e.AccessKeyID, e.SourceIP,
				e.Resource, e.Outcome, e.Status, e.Error, e.Denial, strings.Join(e.Changed, ","), e.DeniedBy); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return registry.Internal(err)
	}
	return nil
}

// Audit returns the audit entries q selects, oldest first.
func (s *Store) Audit(ctx context.Context, q registry.AuditQuery) ([]registry.AuditEntry, error) {
	where, args := []string{"seq > ?"}, []any{q.AfterSeq}
	if !q.From.IsZero() {
		where, args = append(where, "at >= ?"), append(args, millis(q.From))
	}
	if !q.To.IsZero() {
		where, args = append(where, "at < ?"), append(args, millis(q.To))
	}
	if q.Principal != "" {
		where, args = append(where, "principal = ?"), append(args, q.Principal)
	}
	if q.Operation != "" {
		where, args = append(where, "operation = ?"), append(args, q.Operation)
	}
	if prefix, ok := strings.CutSuffix(q.Resource, "*"); ok {
		where, args = append(where, "substr(resource, 1, ?) = ?"), append(args, len(prefix), prefix)
	} else if q.Resource != "" {
		where, args = append(where, "resource = ?"), append(args, q.Resource)
	}
	args = append(args, q.Limit)
	rows, err := s.read.QueryContext(ctx, `SELECT seq, at, request_id, operation, principal, access_key_id, source_ip, resource,
		outcome, status, error, denial, changed, denied_by FROM audit WHERE `+strings.Join(where, " AND ")+` ORDER BY seq LIMIT ?`, args...)
	if err != nil {
		return nil, registry.Internal(err)
	}
	defer rows.Close()
	var out []registry.AuditEntry
	for rows.Next() {
		var e registry.AuditEntry
		var at int64
		var changed string
		if err := rows.Scan(&e.Seq, &at, &e.RequestID, &e.Operation, &e.Principal, &e.AccessKeyID, &e.SourceIP, &e.Resource,
			&e.Outcome, &e.Status, &e.Error, &e.Denial, &changed, &e.DeniedBy); err != nil {
			return nil, registry.Internal(err)
		}
		e.At = fromMillis(at)
		if changed != "" {
			e.Changed = strings.Split(changed, ",")
		}
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, registry.Internal(err)
	}
	return out, nil
}

// PruneAudit deletes the audit entries older than before.
func (s *Store) PruneAudit(ctx context.Context, before time.Time) (int64, error) {
	res, err := s.write.ExecContext(ctx, `DELETE FROM audit WHERE at < ?`, millis(before))
	if err != nil {
		return 0, registry.Internal(err)
	}
	return res.RowsAffected()
}
