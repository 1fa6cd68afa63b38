// Package registry is agentry's domain: registries and their records, the
// record lifecycle with its two revisions (the latest and the last approved),
// identifiers and ARNs, the error kinds every adapter maps to its own wire
// shape, and Service, the use cases that enforce all of it over a Store.
//
// It knows nothing of HTTP or SQL; adapters (httpapi, store/sqlite,
// store/postgres, search) depend on it, never the other way round.
package registry
