package registry

import (
	"context"
	"slices"
)

// Discovery (the GA data plane's ListDiscoverableRegistryRecords and
// BatchGetDiscoverableRegistryRecord) serves approved revisions only, like
// search: a record is discoverable while it has one.

// ListDiscoverableInput is a request for a page of a registry's
// discoverable records.
type ListDiscoverableInput struct {
	RegistryID string // an id; the caller has resolved ARNs
	// DescriptorTypes and DescriptorKeys filter on the approved revision;
	// empty = any. DescriptorKeys are GA descriptor member names
	// (mcpServer, a2aAgentCard, ...), which keysOf computes.
	DescriptorTypes []DescriptorType
	DescriptorKeys  []string
	KeysOf          func(Descriptors) []string
	MaxResults      *int
	NextToken       string
	// Filters is the canonical form of the filters, bound into the token.
	Filters string
}

// ListDiscoverable returns the registry's records that have an approved
// revision and match the filters, ordered like ListRecords (by the latest
// name, then id).
func (s *Service) ListDiscoverable(ctx context.Context, in ListDiscoverableInput) (DiscoverablePage, error) {
	var fe fieldErrors
	checkMaxResults(&fe, in.MaxResults)
	if err := fe.err(); err != nil {
		return DiscoverablePage{}, err
	}
	filters := "discoverable\x00" + in.RegistryID + "\x00" + in.Filters
	limit := pageSize(in.MaxResults)
	q := RecordQuery{RegistryID: in.RegistryID, Limit: 200}
	if in.NextToken != "" {
		c, err := decodeToken(s.pagingKey, in.NextToken, filters)
		if err != nil {
			return DiscoverablePage{}, err
		}
		q.AfterName, q.AfterID = c.Name, c.ID
	}
	var page DiscoverablePage
	err := s.store.View(ctx, func(tx Tx) error {
		if _, err := tx.Registry(in.RegistryID); err != nil {
			return err
		}
		for {
			rs, err := tx.ListRecords(q)
			if err != nil {
				return err
			}
			for _, r := range rs {
				if !in.matches(r) {
					continue
				}
				if len(page.Records) == limit {
					last := page.Records[len(page.Records)-1]
					page.NextToken = encodeToken(s.pagingKey, pageCursor{Name: last.Latest.Name, ID: last.ID, Filters: filters})
					return nil
				}
				page.Records = append(page.Records, r)
			}
			if len(rs) < q.Limit {
				return nil
			}
			last := rs[len(rs)-1]
			q.AfterName, q.AfterID = last.Latest.Name, last.ID
		}
	})
	return page, err
}

// DiscoverablePage is a page of ListDiscoverable: whole records, whose
// approved revisions the caller shows.
type DiscoverablePage struct {
	Records   []Record
	NextToken string
}

func (in ListDiscoverableInput) matches(r Record) bool {
	a := r.Approved
	if a == nil {
		return false
	}
	if len(in.DescriptorTypes) > 0 && !slices.Contains(in.DescriptorTypes, a.DescriptorType) {
		return false
	}
	if len(in.DescriptorKeys) > 0 && in.KeysOf != nil {
		found := false
		for _, k := range in.KeysOf(a.Descriptors) {
			if slices.Contains(in.DescriptorKeys, k) {
				found = true
			}
		}
		if !found {
			return false
		}
	}
	return true
}

// DiscoverableResult is one record of GetDiscoverable: the record (with
// its approved revision) or why it cannot be returned.
type DiscoverableResult struct {
	Record Record
	Err    error // *Error of KindNotFound, or an internal error
}

// GetDiscoverable returns the records of one registry (ids, resolved by
// the caller) that have an approved revision; each id gets a result, in
// order, and one missing record fails only its own result.
func (s *Service) GetDiscoverable(ctx context.Context, registryID string, recordIDs []string) ([]DiscoverableResult, error) {
	out := make([]DiscoverableResult, len(recordIDs))
	err := s.store.View(ctx, func(tx Tx) error {
		if _, err := tx.Registry(registryID); err != nil {
			return err
		}
		for i, id := range recordIDs {
			r, err := tx.Record(registryID, id)
			switch {
			case err != nil:
				out[i].Err = err
			case r.Approved == nil:
				out[i].Err = Errorf(KindNotFound, "Record %s of registry %s has no approved revision.", id, registryID)
			default:
				out[i].Record = r
			}
		}
		return nil
	})
	return out, err
}
