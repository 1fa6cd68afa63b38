package search

// Stats is a snapshot of an Index's size, for monitoring.
type Stats struct {
	Registries int // registries with records indexed
	Records    int // records indexed
	Vectors    int // records with their vector
	// VectorsPending is the number of records waiting for their vector.
	VectorsPending int
	// ApproxServing is the number of registries whose semantic leg an
	// approximate index serves; ApproxBuilding those that have one on its
	// way.
	ApproxServing, ApproxBuilding int
}

// Stats returns the index's size now. It takes each shard's lock in turn,
// briefly: a scrape does not hold up searches.
func (ix *Index) Stats() Stats {
	var st Stats
	for _, sh := range ix.allShards() {
		sh.mu.RLock()
		st.Records += sh.live
		st.Vectors += sh.vectors
		if sh.live > 0 {
			st.Registries++
		}
		if a := sh.ann; a != nil {
			if a.ready.Load() {
				st.ApproxServing++
			} else {
				st.ApproxBuilding++
			}
		}
		sh.mu.RUnlock()
	}
	ix.vq.mu.Lock()
	st.VectorsPending = len(ix.vq.order)
	ix.vq.mu.Unlock()
	return st
}

// Applied returns the sequence number of the last change-feed entry the
// follower has applied to its index.
func (f *Follower) Applied() int64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.applied
}
