package stored

import (
	"fmt"
	"slices"
	"sync"

	"github.com/agentry/agentry/registry"
)

// SummaryCache keeps record summaries under their record and the rev the
// row had when they were read: a number the database changes on every
// write of the record and never gives twice (SQLite migration 0010). A
// list reads each row's id and rev, takes from here what the cache holds
// at that rev and reads only the rest. An entry is never served for a rev
// other than its own, so writes by other processes on the same database
// are seen at once.
type SummaryCache struct {
	mu sync.RWMutex
	m  map[summaryKey]cachedSummary
}

type summaryKey struct{ registryID, id string }

type cachedSummary struct {
	rev int64
	s   registry.RecordSummary
}

// MaxSummaries bounds a SummaryCache: at about half a kilobyte a summary,
// a few megabytes. Past it, each new entry pushes out an arbitrary one.
const MaxSummaries = 10_000

// Get returns the summary of the record at rev, if the cache has it.
func (c *SummaryCache) Get(registryID, id string, rev int64) (registry.RecordSummary, bool) {
	c.mu.RLock()
	e, ok := c.m[summaryKey{registryID, id}]
	c.mu.RUnlock()
	if !ok || e.rev != rev {
		return registry.RecordSummary{}, false
	}
	s := e.s
	s.Rev = rev
	s.Provenance = slices.Clone(s.Provenance) // the caller's to change
	return s, true
}

// Put keeps s as the summary of its record at rev.
func (c *SummaryCache) Put(rev int64, s registry.RecordSummary) {
	s.Provenance = slices.Clone(s.Provenance)
	k := summaryKey{s.RegistryID, s.ID}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil {
		c.m = make(map[summaryKey]cachedSummary)
	}
	if _, ok := c.m[k]; !ok && len(c.m) >= MaxSummaries {
		for old := range c.m {
			delete(c.m, old)
			break
		}
	}
	c.m[k] = cachedSummary{rev, s}
}

// Fill returns the summaries of the records ids of a registry at revs, in
// that order, Rev set: those the cache holds at those revs, and the others
// from read, which returns the summaries (Rev set) of the ids it is given,
// in any order, read in the same snapshot as ids and revs.
func (c *SummaryCache) Fill(registryID string, ids []string, revs []int64,
	read func(ids []string) ([]registry.RecordSummary, error)) ([]registry.RecordSummary, error) {
	out := make([]registry.RecordSummary, len(ids))
	var missing []string
	var missingAt []int
	for i, id := range ids {
		s, ok := c.Get(registryID, id, revs[i])
		if !ok {
			missing, missingAt = append(missing, id), append(missingAt, i)
		}
		s.Rev = revs[i]
		out[i] = s
	}
	if len(missing) == 0 {
		return out, nil
	}
	got, err := read(missing)
	if err != nil {
		return nil, err
	}
	byID := make(map[string]int, len(got))
	for j, s := range got {
		byID[s.ID] = j
	}
	for k, i := range missingAt {
		j, ok := byID[missing[k]]
		if !ok || got[j].Rev != revs[i] {
			// Cannot happen when both reads share a snapshot.
			return nil, fmt.Errorf("record %s changed while listed", missing[k])
		}
		out[i] = got[j]
		c.Put(revs[i], got[j])
	}
	return out, nil
}
