package registry

import (
	"context"
	"sync"
)

// CreateRegistryInput is a request to create a registry.
type CreateRegistryInput struct {
	Name           string
	Description    *string
	AuthorizerType AuthorizerType // "" = AWS_IAM
	Authorizer     *AuthorizerConfig
	AutoApproval   bool
	ClientToken    string
	// GA only.
	Tags          map[string]string
	Encryption    *EncryptionConfig
	AutoDetection *AutoDetectionConfig
}

// CreateRegistry creates a registry. It is READY when the call returns.
func (s *Service) CreateRegistry(ctx context.Context, in CreateRegistryInput) (Created, error) {
	if in.AuthorizerType == "" {
		in.AuthorizerType = AuthorizerAWSIAM
	}
	var fe fieldErrors
	checkName(&fe, "name", in.Name, MaxRegistryNameLen)
	if in.Description != nil {
		checkLength(&fe, "description", *in.Description, 1, MaxDescriptionLen)
	}
	checkEnum(&fe, "authorizerType", in.AuthorizerType, AuthorizerAWSIAM, AuthorizerCustomJWT)
	if len(fe) == 0 {
		checkAuthorizer(&fe, in.AuthorizerType, in.Authorizer, s.urlPolicy)
	}
	checkClientToken(&fe, in.ClientToken)
	checkTags(&fe, "tags", in.Tags)
	checkEncryption(&fe, in.Encryption)
	checkAutoDetection(&fe, in.AutoDetection)
	if err := fe.err(); err != nil {
		return Created{}, err
	}
	token := in.ClientToken
	in.ClientToken = ""
	var out Created
	err := s.store.Update(ctx, func(tx Tx) error {
		var err error
		out, err = s.idempotent(tx, "CreateRegistry", token, in, func() (Created, error) {
			now := s.clock()
			r := Registry{
				ID: NewID(12), Name: in.Name, Description: deref(in.Description),
				AuthorizerType: in.AuthorizerType, Authorizer: in.Authorizer, AutoApproval: in.AutoApproval,
				Status: RegistryReady, CreatedAt: now, UpdatedAt: now,
				Tags: in.Tags, Encryption: in.Encryption, AutoDetection: in.AutoDetection,
			}
			if len(r.Tags) == 0 {
				r.Tags = nil
			}
			if err := tx.CreateRegistry(r); err != nil {
				return Created{}, err
			}
			return Created{ID: r.ID, Status: string(r.Status)}, s.appendEvent(ctx, tx, EventRegistryReady, now,
				EventDetail{RegistryID: r.ID, RegistryName: r.Name, PreviousStatus: string(RegistryCreating), Status: string(r.Status)})
		})
		return err
	})
	return out, err
}

// GetRegistry returns a registry by id or ARN.
func (s *Service) GetRegistry(ctx context.Context, registryID string) (Registry, error) {
	id, err := s.ARNs.RegistryID("registryId", registryID)
	if err != nil {
		return Registry{}, err
	}
	var r Registry
	err = s.store.View(ctx, func(tx Tx) error {
		r, err = tx.Registry(id)
		return err
	})
	return r, err
}

// ListRegistriesInput is a request for a page of registries.
type ListRegistriesInput struct {
	MaxResults     *int // nil = the default page of 20
	NextToken      string
	Status         RegistryStatus
	AuthorizerType AuthorizerType
}

// RegistryPage is one page of registries; NextToken is "" on the last.
type RegistryPage struct {
	Registries []Registry
	NextToken  string
}

// ListRegistries returns registries ordered by name.
func (s *Service) ListRegistries(ctx context.Context, in ListRegistriesInput) (RegistryPage, error) {
	var fe fieldErrors
	checkMaxResults(&fe, in.MaxResults)
	if in.Status != "" {
		checkEnum(&fe, "status", in.Status, RegistryCreating, RegistryReady, RegistryUpdating,
			RegistryCreateFailed, RegistryUpdateFailed, RegistryDeleting, RegistryDeleteFailed)
	}
	if in.AuthorizerType != "" {
		checkEnum(&fe, "authorizerType", in.AuthorizerType, AuthorizerAWSIAM, AuthorizerCustomJWT)
	}
	if err := fe.err(); err != nil {
		return RegistryPage{}, err
	}
	filters := "registries\x00" + string(in.Status) + "\x00" + string(in.AuthorizerType)
	q := RegistryQuery{Status: in.Status, AuthorizerType: in.AuthorizerType, Limit: pageSize(in.MaxResults) + 1}
	if in.NextToken != "" {
		c, err := decodeToken(s.pagingKey, in.NextToken, filters)
		if err != nil {
			return RegistryPage{}, err
		}
		q.AfterName, q.AfterID = c.Name, c.ID
	}
	var page RegistryPage
	err := s.store.View(ctx, func(tx Tx) error {
		rs, err := tx.ListRegistries(q)
		if err != nil {
			return err
		}
		if len(rs) == q.Limit {
			rs = rs[:len(rs)-1]
			last := rs[len(rs)-1]
			page.NextToken = encodeToken(s.pagingKey, pageCursor{Name: last.Name, ID: last.ID, Filters: filters})
		}
		page.Registries = rs
		return nil
	})
	return page, err
}

// UpdateRegistryInput is a request to change a registry.
type UpdateRegistryInput struct {
	RegistryID   string
	Name         *string
	Description  Update[string]
	Authorizer   Update[AuthorizerConfig]
	AutoApproval Update[bool]
	// GA only. KeepPreviewFields keeps what the GA shapes cannot express
	// (the authorizer's advertisedScopeMapping) when Authorizer is set.
	AutoDetection     Update[AutoDetectionConfig]
	KeepPreviewFields bool
}

// UpdateRegistry changes a registry's name, description, authorizer
// configuration or approval setting. The authorizer type cannot change.
func (s *Service) UpdateRegistry(ctx context.Context, in UpdateRegistryInput) (Registry, error) {
	id, err := s.ARNs.RegistryID("registryId", in.RegistryID)
	if err != nil {
		return Registry{}, err
	}
	var fe fieldErrors
	if in.Name != nil {
		checkName(&fe, "name", *in.Name, MaxRegistryNameLen)
	}
	if in.Description.Value != nil {
		checkLength(&fe, "description", *in.Description.Value, 1, MaxDescriptionLen)
	}
	checkAutoDetection(&fe, in.AutoDetection.Value)
	if err := fe.err(); err != nil {
		return Registry{}, err
	}
	var r Registry
	err = s.update(ctx, func(tx Tx) (int64, error) {
		if r, err = tx.Registry(id); err != nil {
			return 0, err
		}
		if in.Name != nil {
			r.Name = *in.Name
		}
		if in.Description.Set {
			r.Description = deref(in.Description.Value)
		}
		if in.Authorizer.Set {
			prev := r.Authorizer
			r.Authorizer = in.Authorizer.Value
			if in.KeepPreviewFields && prev != nil && prev.CustomJWT != nil && r.Authorizer != nil && r.Authorizer.CustomJWT != nil {
				j := *r.Authorizer.CustomJWT
				j.AdvertisedScopeMapping = prev.CustomJWT.AdvertisedScopeMapping
				r.Authorizer = &AuthorizerConfig{CustomJWT: &j}
			}
			var fe fieldErrors
			checkAuthorizer(&fe, r.AuthorizerType, r.Authorizer, s.urlPolicy)
			if err := fe.err(); err != nil {
				return 0, err
			}
		}
		if in.AutoApproval.Set {
			r.AutoApproval = in.AutoApproval.Value != nil && *in.AutoApproval.Value
		}
		if in.AutoDetection.Set {
			r.AutoDetection = in.AutoDetection.Value
		}
		r.UpdatedAt = s.clock()
		if err := tx.PutRegistry(r); err != nil {
			return 0, err
		}
		err := s.appendEvent(ctx, tx, EventRegistryUpdating, r.UpdatedAt,
			EventDetail{RegistryID: r.ID, RegistryName: r.Name, PreviousStatus: string(r.Status), Status: string(r.Status)})
		if err != nil {
			return 0, err
		}
		// Consumers' authorization follows the registry: the feed tells
		// other replicas to forget their cached copy.
		return tx.AppendChange(r.ID, "", r.UpdatedAt)
	})
	if err == nil {
		s.registries.forget(id)
	}
	return r, err
}

// DeleteRegistry deletes an empty registry.
func (s *Service) DeleteRegistry(ctx context.Context, registryID string) error {
	id, err := s.ARNs.RegistryID("registryId", registryID)
	if err != nil {
		return err
	}
	err = s.update(ctx, func(tx Tx) (int64, error) {
		r, err := tx.Registry(id)
		if err != nil {
			return 0, err
		}
		n, err := tx.CountRecords(id)
		if err != nil {
			return 0, err
		}
		if n > 0 {
			return 0, Errorf(KindConflict, "Registry %s (%s) still has %d records; delete them before deleting the registry.", r.ID, r.Name, n)
		}
		if err := tx.DeleteRegistry(id); err != nil {
			return 0, err
		}
		err = s.appendEvent(ctx, tx, EventRegistryDeleting, s.clock(),
			EventDetail{RegistryID: r.ID, RegistryName: r.Name, PreviousStatus: string(r.Status), Status: string(RegistryDeleting)})
		if err != nil {
			return 0, err
		}
		return tx.AppendChange(id, "", s.clock())
	})
	if err == nil {
		s.registries.forget(id)
	}
	return err
}

// DeleteRegistryAndRecords deletes a registry with all its records, in
// one transaction (the GA API's DeleteRegistry, which removes "the
// registry and its records"; the preview's refuses a registry that has
// records).
func (s *Service) DeleteRegistryAndRecords(ctx context.Context, registryID string) error {
	id, err := s.ARNs.RegistryID("registryId", registryID)
	if err != nil {
		return err
	}
	err = s.update(ctx, func(tx Tx) (int64, error) {
		if _, err := tx.Registry(id); err != nil {
			return 0, err
		}
		now := s.clock()
		for {
			rs, err := tx.ListRecords(RecordQuery{RegistryID: id, Limit: 500})
			if err != nil {
				return 0, err
			}
			for _, r := range rs {
				if err := tx.DeleteRecord(id, r.ID); err != nil {
					return 0, err
				}
				if _, err := tx.AppendChange(id, r.ID, now); err != nil {
					return 0, err
				}
			}
			if len(rs) < 500 {
				break
			}
		}
		if err := tx.DeleteRegistry(id); err != nil {
			return 0, err
		}
		return tx.AppendChange(id, "", now)
	})
	if err == nil {
		s.registries.forget(id)
	}
	return err
}

// LookupRegistry returns a registry by id or ARN for the consumer surfaces
// (search, MCP), from an in-memory copy when there is one. Changes made
// through this process apply at once; changes made through another replica
// once this one has read them from the change feed (ForgetRegistry).
func (s *Service) LookupRegistry(ctx context.Context, registryID string) (Registry, error) {
	id, err := s.ARNs.RegistryID("registryId", registryID)
	if err != nil {
		return Registry{}, err
	}
	if r, ok := s.registries.get(id); ok {
		return r, nil
	}
	gen := s.registries.generation()
	r, err := s.GetRegistry(ctx, id)
	if err == nil {
		s.registries.fill(id, r, gen)
	}
	return r, err
}

// ForgetRegistry drops the in-memory copy of a registry that changed.
func (s *Service) ForgetRegistry(id string) { s.registries.forget(id) }

// registryCache holds registries for LookupRegistry. A fill that raced
// with a forget is dropped, so a stale copy is never kept.
type registryCache struct {
	mu      sync.Mutex
	gen     uint64
	entries map[string]Registry
}

func (c *registryCache) get(id string) (Registry, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	r, ok := c.entries[id]
	return r, ok
}

func (c *registryCache) generation() uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.gen
}

func (c *registryCache) fill(id string, r Registry, gen uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.gen != gen {
		return
	}
	if c.entries == nil || len(c.entries) >= 10_000 {
		c.entries = make(map[string]Registry)
	}
	c.entries[id] = r
}

func (c *registryCache) forget(id string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	delete(c.entries, id)
}
