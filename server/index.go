package server

import (
	"context"

	"github.com/agentry/agentry/registry"
	"github.com/agentry/agentry/search"
)

// applyChange keeps the search index in step with a committed change. It
// runs before the call that made the change returns, so the next search
// on this node sees it.
func applyChange(ix *search.Index, c registry.Change) {
	switch {
	case c.RecordID == "":
		ix.RemoveRegistry(c.RegistryID)
	case c.Record == nil:
		ix.Remove(c.RegistryID, c.RecordID)
	default:
		ix.Put(*c.Record) // indexes the approved revision, or drops the record
	}
}

// loadIndex fills the index with every discoverable record in the store.
func loadIndex(ctx context.Context, store registry.Store, ix *search.Index) error {
	const page = 1000
	return store.View(ctx, func(tx registry.Tx) error {
		q := registry.RegistryQuery{Limit: page}
		for {
			regs, err := tx.ListRegistries(q)
			if err != nil {
				return err
			}
			for _, reg := range regs {
				rq := registry.RecordQuery{RegistryID: reg.ID, Limit: page}
				for {
					recs, err := tx.ListRecords(rq)
					if err != nil {
						return err
					}
					ix.PutMany(recs)
					if len(recs) < page {
						break
					}
					last := recs[len(recs)-1]
					rq.AfterName, rq.AfterID = last.Latest.Name, last.ID
				}
			}
			if len(regs) < page {
				return nil
			}
			last := regs[len(regs)-1]
			q.AfterName, q.AfterID = last.Name, last.ID
		}
	})
}
