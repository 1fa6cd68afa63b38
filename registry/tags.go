package registry

import (
	"context"
	"maps"
)

// Tags belong to a registry or a record (GA TagResource, UntagResource,
// ListTagsForResource). Changing them changes no revision and nothing
// discoverable, so it writes no change-feed entry.

// ListTags returns the tags of a registry (recordID "") or a record.
func (s *Service) ListTags(ctx context.Context, registryID, recordID string) (map[string]string, error) {
	var tags map[string]string
	err := s.store.View(ctx, func(tx Tx) error {
		reg, err := tx.Registry(registryID)
		if err != nil {
			return err
		}
		if recordID == "" {
			tags = reg.Tags
			return nil
		}
		rec, err := tx.Record(registryID, recordID)
		tags = rec.Tags
		return err
	})
	if tags == nil && err == nil {
		tags = map[string]string{}
	}
	return tags, err
}

// TagResource adds or overwrites tags of a registry (recordID "") or a
// record. A resource keeps at most MaxTags tags.
func (s *Service) TagResource(ctx context.Context, registryID, recordID string, tags map[string]string) error {
	var fe fieldErrors
	if len(tags) == 0 {
		fe.add("tags", "must have at least 1 entry")
	}
	checkTags(&fe, "tags", tags)
	if err := fe.err(); err != nil {
		return err
	}
	return s.editTags(ctx, registryID, recordID, func(cur map[string]string) (map[string]string, error) {
		next := maps.Clone(cur)
		if next == nil {
			next = map[string]string{}
		}
		maps.Copy(next, tags)
		if len(next) > MaxTags {
			return nil, Errorf(KindQuotaExceeded, "A resource can have at most %d tags; this request would give it %d.", MaxTags, len(next))
		}
		return next, nil
	})
}

// UntagResource removes tags by key; keys the resource lacks are ignored.
func (s *Service) UntagResource(ctx context.Context, registryID, recordID string, keys []string) error {
	var fe fieldErrors
	if len(keys) == 0 || len(keys) > MaxTags {
		fe.add("tagKeys", "must name 1 to %d keys, got %d", MaxTags, len(keys))
	}
	for _, k := range keys {
		if n := len(k); n < 1 || n > 128 || !tagPattern.MatchString(k) {
			fe.add("tagKeys", "key %q must be 1 to 128 letters, digits, spaces or . _ : / = + @ -", k)
		}
	}
	if err := fe.err(); err != nil {
		return err
	}
	return s.editTags(ctx, registryID, recordID, func(cur map[string]string) (map[string]string, error) {
		next := maps.Clone(cur)
		for _, k := range keys {
			delete(next, k)
		}
		return next, nil
	})
}

func (s *Service) editTags(ctx context.Context, registryID, recordID string, edit func(map[string]string) (map[string]string, error)) error {
	err := s.store.Update(ctx, func(tx Tx) error {
		reg, err := tx.Registry(registryID)
		if err != nil {
			return err
		}
		if recordID == "" {
			if reg.Tags, err = edit(reg.Tags); err != nil {
				return err
			}
			if len(reg.Tags) == 0 {
				reg.Tags = nil
			}
			return tx.PutRegistry(reg)
		}
		rec, err := tx.Record(registryID, recordID)
		if err != nil {
			return err
		}
		if rec.Tags, err = edit(rec.Tags); err != nil {
			return err
		}
		if len(rec.Tags) == 0 {
			rec.Tags = nil
		}
		return tx.PutRecord(rec)
	})
	if err == nil && recordID == "" {
		s.registries.forget(registryID)
	}
	return err
}
