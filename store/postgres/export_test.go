package postgres

import "github.com/jackc/pgx/v5/pgxpool"

// Pool returns the store's connection pool, so tests can check its settings.
func (s *Store) Pool() *pgxpool.Pool { return s.pool }

// ListenerName is the application_name of listening connections.
const ListenerName = listenerName
