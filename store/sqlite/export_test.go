package sqlite

import "database/sql"

// Pools returns the store's write and read connection pools, so tests can
// inspect the settings in effect on their connections.
func (s *Store) Pools() (write, read *sql.DB) { return s.write, s.read }
