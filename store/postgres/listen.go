package postgres

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/jackc/pgx/v5"
)

// listenerName is the application_name of listening connections, so that
// operators (and tests) can tell them apart in pg_stat_activity.
const listenerName = "agentry-listen"

const (
	// listenCheckEvery is how long a listener waits in silence before it
	// pings, so that a connection dropped without a word (a network
	// partition, a failover) is noticed.
	listenCheckEvery = 30 * time.Second
	listenPingWithin = 5 * time.Second
	// Reconnection attempts back off from reconnectMin to reconnectMax.
	reconnectMin = 100 * time.Millisecond
	reconnectMax = 10 * time.Second
)

// Listen follows the change feed's notifications on a connection of its
// own. The channel receives a signal after transactions that appended to
// the feed commit, in any Store on the database; signals are coalesced, so
// one may stand for several commits, and the receiver should read
// ChangesSince until it is empty. After a lost connection Listen reconnects
// with backoff and then signals once, since commits may have gone unheard.
// No signal marks the start: read the feed once after Listen returns.
// The channel is closed when ctx ends or the store is closed.
func (s *Store) Listen(ctx context.Context) (<-chan struct{}, error) {
	s.mu.Lock()
	if s.closing.Err() != nil {
		s.mu.Unlock()
		return nil, errors.New("postgres: listen: the store is closed")
	}
	s.listeners.Add(1)
	s.mu.Unlock()
	ctx, cancel := context.WithCancel(ctx)
	stop := context.AfterFunc(s.closing, cancel)
	done := func() {
		stop()
		cancel()
		s.listeners.Done()
	}
	conn, err := s.listen(ctx)
	if err != nil {
		done()
		return nil, fmt.Errorf("postgres: listen: %w", err)
	}
	ch := make(chan struct{}, 1)
	go func() {
		defer done()
		defer close(ch)
		s.follow(ctx, conn, func() {
			select {
			case ch <- struct{}{}:
			default: // a signal is pending already
			}
		})
	}()
	return ch, nil
}

// listen opens a connection and subscribes it to the feed's channel.
func (s *Store) listen(ctx context.Context) (*pgx.Conn, error) {
	cfg := s.pool.Config().ConnConfig
	cfg.RuntimeParams["application_name"] = listenerName
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return nil, err
	}
	if _, err := conn.Exec(ctx, sqlListen); err != nil {
		closeConn(conn)
		return nil, err
	}
	return conn, nil
}

// follow signals each notification on conn, replacing conn when it is
// lost, until ctx ends.
func (s *Store) follow(ctx context.Context, conn *pgx.Conn, signal func()) {
	for {
		err := wait(ctx, conn, signal)
		closeConn(conn)
		if ctx.Err() != nil {
			return
		}
		s.log.WarnContext(ctx, "postgres: lost the change notification connection; reconnecting", "err", err)
		if conn = s.reconnect(ctx); conn == nil {
			return
		}
		s.log.InfoContext(ctx, "postgres: listening for changes again")
		signal()
	}
}

// wait signals each notification on conn until ctx ends or conn fails.
func wait(ctx context.Context, conn *pgx.Conn, signal func()) error {
	for {
		waitCtx, cancel := context.WithTimeout(ctx, listenCheckEvery)
		_, err := conn.WaitForNotification(waitCtx)
		timedOut := waitCtx.Err() != nil && ctx.Err() == nil
		cancel()
		switch {
		case err == nil:
			signal()
		case ctx.Err() != nil:
			return ctx.Err()
		case timedOut:
			// A timeout leaves the connection usable; check that the
			// server is still there.
			pingCtx, cancel := context.WithTimeout(ctx, listenPingWithin)
			err := conn.Ping(pingCtx)
			cancel()
			if err != nil {
				return err
			}
		default:
			return err
		}
	}
}

// reconnect listens again, backing off between attempts; nil when ctx
// ends first.
func (s *Store) reconnect(ctx context.Context) *pgx.Conn {
	for delay := reconnectMin; ; delay = min(2*delay, reconnectMax) {
		if sleep(ctx, delay/2+rand.N(delay/2)) != nil {
			return nil
		}
		conn, err := s.listen(ctx)
		if err == nil {
			return conn
		}
		if ctx.Err() != nil {
			return nil
		}
		s.log.WarnContext(ctx, "postgres: reconnecting for change notifications failed", "err", err)
	}
}

// closeConn closes conn, waiting briefly for a polite goodbye.
func closeConn(conn *pgx.Conn) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	conn.Close(ctx)
}
