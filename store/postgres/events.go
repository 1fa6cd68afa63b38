package postgres

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/agentry/agentry/registry"
)

// The outbox of lifecycle events, the dead letters of webhooks, the audit
// trail, and the lock that makes one replica the deliverer of webhooks.

// deliveryLock is the session advisory lock the delivering replica holds.
const deliveryLock int64 = 0x6167656e74727903

const (
	sqlAppendEvent = `INSERT INTO events (id, detail_type, registry_id, record_id, at, detail)
		VALUES ($1, $2, $3, $4, $5, $6) RETURNING seq`
	sqlEventsSince = `SELECT seq, id, detail_type, registry_id, record_id, at, detail FROM events
		WHERE seq > $1 ORDER BY seq LIMIT $2`
	sqlLatestEvent   = `SELECT COALESCE(MAX(seq), 0) FROM events`
	sqlPruneEvents   = `DELETE FROM events WHERE seq <= $1`
	sqlAddDeadLetter = `INSERT INTO event_dead_letters (webhook, seq, event_id, attempts, last_error, at, body)
		VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING`
	sqlDeadLetters = `SELECT webhook, seq, event_id, attempts, last_error, at, body FROM event_dead_letters
		WHERE $1 = '' OR webhook = $1 ORDER BY at, seq`
	sqlDeleteDeadLetter = `DELETE FROM event_dead_letters WHERE webhook = $1 AND seq = $2`
	sqlAppendAudit      = `INSERT INTO audit (at, request_id, operation, principal, access_key_id, source_ip,
		resource, outcome, status, error, denial, changed, denied_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)`
	sqlSelectAudit = `SELECT seq, at, request_id, operation, principal, access_key_id, source_ip, resource,
		outcome, status, error, denial, changed, denied_by FROM audit`
	sqlPruneAudit      = `DELETE FROM audit WHERE at < $1`
	sqlTryLock         = `SELECT pg_try_advisory_lock($1)`
	sqlUnlock          = `SELECT pg_advisory_unlock($1)`
	sqlLockFeedQuietly = `SELECT pg_advisory_xact_lock($1)`
)

// AppendEvent adds an event to the outbox. Like AppendChange it takes the
// feed lock, held until commit, so that events commit in seq order; it
// sends no notification, as the change feed is unchanged.
func (t *txn) AppendEvent(e registry.Event) (int64, error) {
	if t.readOnly {
		return 0, errReadOnly
	}
	if !t.appended && !t.eventLocked {
		if _, err := t.exec(sqlLockFeedQuietly, feedLock); err != nil {
			return 0, err
		}
		t.eventLocked = true
	}
	var seq int64
	err := t.queryRow(sqlAppendEvent, e.ID, e.DetailType, e.RegistryID, e.RecordID, millis(e.At), string(e.Detail)).Scan(&seq)
	return seq, t.note(err)
}

// EventsSince returns up to limit events of the outbox after seq after,
// in order.
func (s *Store) EventsSince(ctx context.Context, after int64, limit int) ([]registry.Event, error) {
	rows, _ := s.pool.Query(ctx, sqlEventsSince, after, limit)
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (registry.Event, error) {
		var e registry.Event
		var detail string
		err := row.Scan(&e.Seq, &e.ID, &e.DetailType, &e.RegistryID, &e.RecordID, &e.At, &detail)
		e.At, e.Detail = e.At.UTC(), []byte(detail)
		return e, err
	})
	if err != nil {
		return nil, registry.Internal(err)
	}
	return out, nil
}

// LatestEvent returns the highest sequence number in the outbox, 0 when
// it is empty.
func (s *Store) LatestEvent(ctx context.Context) (int64, error) {
	var seq int64
	if err := s.pool.QueryRow(ctx, sqlLatestEvent).Scan(&seq); err != nil {
		return 0, registry.Internal(err)
	}
	return seq, nil
}

// PruneEvents deletes the events up to seq upTo, delivered everywhere.
func (s *Store) PruneEvents(ctx context.Context, upTo int64) error {
	if _, err := s.pool.Exec(ctx, sqlPruneEvents, upTo); err != nil {
		return registry.Internal(err)
	}
	return nil
}

// AddDeadLetter keeps an event a webhook gave up on.
func (s *Store) AddDeadLetter(ctx context.Context, d registry.DeadLetter) error {
	if _, err := s.pool.Exec(ctx, sqlAddDeadLetter, d.Webhook, d.Seq, d.EventID, d.Attempts, d.LastError, millis(d.At), d.Body); err != nil {
		return registry.Internal(err)
	}
	return nil
}

// DeadLetters returns a webhook's dead letters ("" = every webhook's),
// oldest first.
func (s *Store) DeadLetters(ctx context.Context, webhook string) ([]registry.DeadLetter, error) {
	rows, _ := s.pool.Query(ctx, sqlDeadLetters, webhook)
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (registry.DeadLetter, error) {
		var d registry.DeadLetter
		err := row.Scan(&d.Webhook, &d.Seq, &d.EventID, &d.Attempts, &d.LastError, &d.At, &d.Body)
		d.At = d.At.UTC()
		return d, err
	})
	if err != nil {
		return nil, registry.Internal(err)
	}
	return out, nil
}

// DeleteDeadLetter removes a webhook's dead letter, once redelivered.
// Removing one that is not there is no error.
func (s *Store) DeleteDeadLetter(ctx context.Context, webhook string, seq int64) error {
	if _, err := s.pool.Exec(ctx, sqlDeleteDeadLetter, webhook, seq); err != nil {
		return registry.Internal(err)
	}
	return nil
}

// TryLead makes this process the one that delivers webhooks, if no other
// process is: it holds a session advisory lock on a connection of its own
// until release is called or the connection ends (the process dies), and
// lost is closed if that connection fails. ok is false when another
// process leads.
func (s *Store) TryLead(ctx context.Context) (release func(), lost <-chan struct{}, ok bool, err error) {
	conn, err := s.pool.Acquire(ctx)
	if err != nil {
		return nil, nil, false, registry.Internal(err)
	}
	if err := conn.QueryRow(ctx, sqlTryLock, deliveryLock).Scan(&ok); err != nil || !ok {
		conn.Release()
		if err != nil {
			return nil, nil, false, registry.Internal(err)
		}
		return nil, nil, false, nil
	}
	done, gone := make(chan struct{}), make(chan struct{})
	go watchLock(conn, done, gone)
	var once bool
	release = func() {
		if !once {
			once = true
			close(done)
			<-gone
		}
	}
	return release, gone, true, nil
}

// watchLock pings the lock's connection until done is closed, then
// unlocks and returns it to the pool; if a ping fails it closes the
// connection (which releases the lock) and closes gone.
func watchLock(conn *pgxpool.Conn, done <-chan struct{}, gone chan<- struct{}) {
	defer close(gone)
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		select {
		case <-done:
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			if _, err := conn.Exec(ctx, sqlUnlock, deliveryLock); err != nil {
				conn.Conn().Close(ctx)
			}
			cancel()
			conn.Release()
			return
		case <-t.C:
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			err := conn.Ping(ctx)
			cancel()
			if err != nil {
				conn.Conn().Close(context.Background())
				conn.Release()
				return
			}
		}
	}
}

// AppendAudit writes audit entries in one batch.
func (s *Store) AppendAudit(ctx context.Context, entries []registry.AuditEntry) error {
	var b pgx.Batch
	for _, e := range entries {
		b.Queue(sqlAppendAudit, millis(e.At), e.RequestID, e.Operation, e.Principal, e.AccessKeyID, e.SourceIP,
			e.Resource, e.Outcome, e.Status, e.Error, e.Denial, strings.Join(e.Changed, ","), e.DeniedBy)
	}
	if err := s.pool.SendBatch(ctx, &b).Close(); err != nil {
		return registry.Internal(err)
	}
	return nil
}

// Audit returns the audit entries q selects, oldest first.
func (s *Store) Audit(ctx context.Context, q registry.AuditQuery) ([]registry.AuditEntry, error) {
	args := []any{q.AfterSeq}
	where := []string{"seq > $1"}
	add := func(cond string, v any) {
		args = append(args, v)
		where = append(where, strings.ReplaceAll(cond, "?", "$"+strconv.Itoa(len(args))))
	}
	if !q.From.IsZero() {
		add("at >= ?", q.From)
	}
	if !q.To.IsZero() {
		add("at < ?", q.To)
	}
	if q.Principal != "" {
		add("principal = ?", q.Principal)
	}
	if q.Operation != "" {
		add("operation = ?", q.Operation)
	}
	if prefix, ok := strings.CutSuffix(q.Resource, "*"); ok {
		add("starts_with(resource, ?)", prefix)
	} else if q.Resource != "" {
		add("resource = ?", q.Resource)
	}
	args = append(args, q.Limit)
	query := sqlSelectAudit + " WHERE " + strings.Join(where, " AND ") + " ORDER BY seq LIMIT $" + strconv.Itoa(len(args))
	rows, _ := s.pool.Query(ctx, query, args...)
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (registry.AuditEntry, error) {
		var e registry.AuditEntry
		var changed string
		err := row.Scan(&e.Seq, &e.At, &e.RequestID, &e.Operation, &e.Principal, &e.AccessKeyID, &e.SourceIP, &e.Resource,
			&e.Outcome, &e.Status, &e.Error, &e.Denial, &changed, &e.DeniedBy)
		e.At = e.At.UTC()
		if changed != "" {
			e.Changed = strings.Split(changed, ",")
		}
		return e, err
	})
	if err != nil {
		return nil, registry.Internal(err)
	}
	return out, nil
}

// PruneAudit deletes the audit entries older than before.
func (s *Store) PruneAudit(ctx context.Context, before time.Time) (int64, error) {
	tag, err := s.pool.Exec(ctx, sqlPruneAudit, before)
	if err != nil {
		return 0, registry.Internal(err)
	}
	return tag.RowsAffected(), nil
}
