package registry

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"sync"
	"time"
)

// IdempotencyWindow is how long a clientToken is remembered.
const IdempotencyWindow = 24 * time.Hour

const defaultListResults = 20

// Change tells listeners, after the commit, that what is discoverable in a
// registry may have changed. Record is the record as committed, nil when it
// was deleted; RecordID is "" when the registry itself changed or was
// deleted.
type Change struct {
	RegistryID string
	RecordID   string
	Record     *Record
}

// Options configure a Service.
type Options struct {
	Store     Store
	Region    string
	AccountID string
	Now       func() time.Time // nil = time.Now
	OnChange  func(Change)     // nil = nobody listens; runs under a lock, so it must not call the Service
	// URLPolicy judges a URL the server will fetch (a CUSTOM_JWT
	// discoveryUrl) when it is configured; its error, which completes
	// "<field> ...", says which rule failed. nil = any http or https URL.
	URLPolicy func(rawURL string) error
}

// Service implements the registry's use cases. Each method validates its
// whole input first, then reads and writes through the store in one
// transaction, so a failed call changes nothing.
type Service struct {
	// notifyMu keeps listeners seeing changes in commit order: it is held
	// from the start of a notifying write until its listeners have run.
	notifyMu   sync.Mutex
	store      Store
	ARNs       ARNs
	now        func() time.Time
	onChange   func(Change)
	urlPolicy  func(string) error
	pagingKey  []byte
	registries registryCache
}

// NewService returns a Service over opts.Store, creating the server-wide
// paging key on first use.
func NewService(ctx context.Context, opts Options) (*Service, error) {
	s := &Service{
		store:     opts.Store,
		ARNs:      ARNs{Region: opts.Region, AccountID: opts.AccountID},
		now:       opts.Now,
		onChange:  opts.OnChange,
		urlPolicy: opts.URLPolicy,
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.onChange == nil {
		s.onChange = func(Change) {}
	}
	err := s.store.Update(ctx, func(tx Tx) error {
		key, ok, err := tx.Setting("paging-key")
		if err != nil || ok {
			s.pagingKey = key
			return err
		}
		key = make([]byte, 32)
		rand.Read(key)
		s.pagingKey = key
		return tx.PutSetting("paging-key", key)
	})
	if err != nil {
		return nil, err
	}
	return s, nil
}

// updateAndNotify runs fn in a write transaction and, once it has
// committed, passes the change that change returns (if any) to the
// listener, in commit order.
func (s *Service) updateAndNotify(ctx context.Context, fn func(Tx) error, change func() *Change) error {
	s.notifyMu.Lock()
	defer s.notifyMu.Unlock()
	if err := s.store.Update(ctx, fn); err != nil {
		return err
	}
	if c := change(); c != nil {
		if c.RecordID == "" {
			s.registries.forget(c.RegistryID)
		}
		s.onChange(*c)
	}
	return nil
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

func (s *Service) clock() time.Time { return s.now().UTC().Truncate(time.Millisecond) }

// Created is the result of a create call. A call repeated with the same
// clientToken returns the first call's result.
type Created struct {
	ID     string `json:"id"`
	Status string `json:"status"`
}

// idempotent runs create inside tx unless key already holds a result for
// the same request, in which case it returns that result. An empty token
// disables the check.
func (s *Service) idempotent(tx Tx, key, token string, request any, create func() (Created, error)) (Created, error) {
	if token == "" {
		return create()
	}
	raw, _ := json.Marshal(request)
	sum := sha256.Sum256(raw)
	fingerprint := hex.EncodeToString(sum[:])
	key += "\x00" + token
	prev, ok, err := tx.Idempotency(key)
	if err != nil {
		return Created{}, err
	}
	now := s.clock()
	if ok && now.Sub(prev.CreatedAt) < IdempotencyWindow {
		if prev.Fingerprint != fingerprint {
			return Created{}, &Error{Kind: KindInvalid, Reason: ReasonIdempotencyMismatch,
				Message: "The clientToken was already used with different parameters; use a new clientToken for a different request."}
		}
		var c Created
		if err := json.Unmarshal(prev.Result, &c); err != nil {
			return Created{}, Internal(err)
		}
		return c, nil
	}
	c, err := create()
	if err != nil {
		return Created{}, err
	}
	result, _ := json.Marshal(c)
	return c, tx.PutIdempotency(Idempotency{Key: key, Fingerprint: fingerprint, Result: result, CreatedAt: now})
}

// ---- registries ----

// CreateRegistryInput is a request to create a registry.
type CreateRegistryInput struct {
	Name           string
	Description    *string
	AuthorizerType AuthorizerType // "" = AWS_IAM
	Authorizer     *AuthorizerConfig
	AutoApproval   bool
	ClientToken    string
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
			}
			return Created{ID: r.ID, Status: string(r.Status)}, tx.CreateRegistry(r)
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

func pageSize(n *int) int {
	if n == nil {
		return defaultListResults
	}
	return *n
}

// UpdateRegistryInput is a request to change a registry.
type UpdateRegistryInput struct {
	RegistryID   string
	Name         *string
	Description  Update[string]
	Authorizer   Update[AuthorizerConfig]
	AutoApproval Update[bool]
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
	if err := fe.err(); err != nil {
		return Registry{}, err
	}
	var r Registry
	err = s.updateAndNotify(ctx, func(tx Tx) error {
		if r, err = tx.Registry(id); err != nil {
			return err
		}
		if in.Name != nil {
			r.Name = *in.Name
		}
		if in.Description.Set {
			r.Description = deref(in.Description.Value)
		}
		if in.Authorizer.Set {
			r.Authorizer = in.Authorizer.Value
			var fe fieldErrors
			checkAuthorizer(&fe, r.AuthorizerType, r.Authorizer, s.urlPolicy)
			if err := fe.err(); err != nil {
				return err
			}
		}
		if in.AutoApproval.Set {
			r.AutoApproval = in.AutoApproval.Value != nil && *in.AutoApproval.Value
		}
		r.UpdatedAt = s.clock()
		if err := tx.PutRegistry(r); err != nil {
			return err
		}
		// Consumers' authorization follows the registry: the feed tells
		// other replicas to forget their cached copy.
		return tx.AppendChange(r.ID, "", r.UpdatedAt)
	}, func() *Change { return &Change{RegistryID: id} })
	return r, err
}

// DeleteRegistry deletes an empty registry.
func (s *Service) DeleteRegistry(ctx context.Context, registryID string) error {
	id, err := s.ARNs.RegistryID("registryId", registryID)
	if err != nil {
		return err
	}
	return s.updateAndNotify(ctx, func(tx Tx) error {
		r, err := tx.Registry(id)
		if err != nil {
			return err
		}
		n, err := tx.CountRecords(id)
		if err != nil {
			return err
		}
		if n > 0 {
			return Errorf(KindConflict, "Registry %s (%s) still has %d records; delete them before deleting the registry.", r.ID, r.Name, n)
		}
		if err := tx.DeleteRegistry(id); err != nil {
			return err
		}
		return tx.AppendChange(id, "", s.clock())
	}, func() *Change { return &Change{RegistryID: id} })
}

// ---- records ----

// CreateRecordInput is a request to create a record.
type CreateRecordInput struct {
	RegistryID     string
	Name           string
	Description    *string
	DescriptorType DescriptorType
	Descriptors    *Descriptors
	Version        *string
	// SynchronizationType is "URL" when the publisher asks the registry to
	// fetch the content from a live server; not supported yet.
	SynchronizationType string
	ClientToken         string
}

// CreateRecord creates a record in DRAFT.
func (s *Service) CreateRecord(ctx context.Context, in CreateRecordInput) (Created, error) {
	regID, err := s.ARNs.RegistryID("registryId", in.RegistryID)
	if err != nil {
		return Created{}, err
	}
	var fe fieldErrors
	checkName(&fe, "name", in.Name, MaxRecordNameLen)
	if in.Description != nil {
		checkLength(&fe, "description", *in.Description, 1, MaxDescriptionLen)
	}
	if in.Version != nil {
		checkLength(&fe, "recordVersion", *in.Version, 1, MaxVersionLen)
	}
	checkSync(&fe, in.SynchronizationType)
	checkEnum(&fe, "descriptorType", in.DescriptorType, descriptorTypes...)
	if len(fe) == 0 {
		if in.Descriptors == nil {
			fe.add("descriptors", "is required: give the record's content inline")
		} else {
			checkDescriptors(&fe, in.DescriptorType, *in.Descriptors)
		}
	}
	checkClientToken(&fe, in.ClientToken)
	if err := fe.err(); err != nil {
		return Created{}, err
	}
	token := in.ClientToken
	in.ClientToken, in.RegistryID = "", regID
	var out Created
	err = s.store.Update(ctx, func(tx Tx) error {
		if _, err := tx.Registry(regID); err != nil {
			return err
		}
		out, err = s.idempotent(tx, "CreateRegistryRecord\x00"+regID, token, in, func() (Created, error) {
			now := s.clock()
			rev := Revision{
				Name: in.Name, Description: deref(in.Description),
				DescriptorType: in.DescriptorType, Descriptors: *in.Descriptors,
				Version: deref(in.Version), Status: StatusDraft, UpdatedAt: now,
			}
			if rev.Version == "" {
				rev.Version = descriptorVersion(rev.DescriptorType, rev.Descriptors)
			}
			r := Record{RegistryID: regID, ID: NewID(12), CreatedAt: now, Latest: rev}
			return Created{ID: r.ID, Status: string(rev.Status)}, tx.CreateRecord(r)
		})
		return err
	})
	return out, err
}

func checkSync(fe *fieldErrors, syncType string) {
	if syncType != "" {
		fe.add("synchronizationType", "URL synchronization is not supported by this server yet; give the descriptors inline")
	}
}

func (s *Service) recordIDs(registryID, recordID string) (string, string, error) {
	regID, err := s.ARNs.RegistryID("registryId", registryID)
	if err != nil {
		return "", "", err
	}
	recID, err := s.ARNs.RecordID("recordId", regID, recordID)
	return regID, recID, err
}

// GetRecord returns a record by id or ARN.
func (s *Service) GetRecord(ctx context.Context, registryID, recordID string) (Record, error) {
	regID, recID, err := s.recordIDs(registryID, recordID)
	if err != nil {
		return Record{}, err
	}
	var r Record
	err = s.store.View(ctx, func(tx Tx) error {
		if _, err := tx.Registry(regID); err != nil {
			return err
		}
		r, err = tx.Record(regID, recID)
		return err
	})
	return r, err
}

// ListRecordsInput is a request for a page of a registry's records.
type ListRecordsInput struct {
	RegistryID     string
	Name           string
	Status         RecordStatus
	DescriptorType DescriptorType
	MaxResults     *int // nil = the default page of 20
	NextToken      string
}

// RecordPage is one page of records; NextToken is "" on the last.
type RecordPage struct {
	Records   []Record
	NextToken string
}

// ListRecords returns a registry's records ordered by name.
func (s *Service) ListRecords(ctx context.Context, in ListRecordsInput) (RecordPage, error) {
	regID, err := s.ARNs.RegistryID("registryId", in.RegistryID)
	if err != nil {
		return RecordPage{}, err
	}
	var fe fieldErrors
	checkMaxResults(&fe, in.MaxResults)
	if in.Name != "" {
		checkName(&fe, "name", in.Name, MaxRecordNameLen)
	}
	if in.Status != "" {
		checkEnum(&fe, "status", in.Status, recordStatuses...)
	}
	if in.DescriptorType != "" {
		checkEnum(&fe, "descriptorType", in.DescriptorType, descriptorTypes...)
	}
	if err := fe.err(); err != nil {
		return RecordPage{}, err
	}
	filters := "records\x00" + regID + "\x00" + in.Name + "\x00" + string(in.Status) + "\x00" + string(in.DescriptorType)
	q := RecordQuery{RegistryID: regID, Name: in.Name, Status: in.Status, DescriptorType: in.DescriptorType,
		Limit: pageSize(in.MaxResults) + 1}
	if in.NextToken != "" {
		c, err := decodeToken(s.pagingKey, in.NextToken, filters)
		if err != nil {
			return RecordPage{}, err
		}
		q.AfterName, q.AfterID = c.Name, c.ID
	}
	var page RecordPage
	err = s.store.View(ctx, func(tx Tx) error {
		if _, err := tx.Registry(regID); err != nil {
			return err
		}
		rs, err := tx.ListRecords(q)
		if err != nil {
			return err
		}
		if len(rs) == q.Limit {
			rs = rs[:len(rs)-1]
			last := rs[len(rs)-1]
			page.NextToken = encodeToken(s.pagingKey, pageCursor{Name: last.Latest.Name, ID: last.ID, Filters: filters})
		}
		page.Records = rs
		return nil
	})
	return page, err
}

// UpdateRecordInput is a request to edit a record.
type UpdateRecordInput struct {
	RegistryID          string
	RecordID            string
	Name                *string
	Description         Update[string]
	DescriptorType      *DescriptorType
	Descriptors         Update[DescriptorsUpdate]
	Version             *string
	SynchronizationType Update[string]
	TriggerSync         bool
}

// DescriptorsUpdate changes some branches of a record's descriptors.
type DescriptorsUpdate struct {
	MCP         Update[MCPUpdate]
	A2A         Update[A2ADescriptor]
	Custom      Update[CustomDescriptor]
	AgentSkills Update[AgentSkillsUpdate]
}

// MCPUpdate changes an MCP descriptor's server or tools.
type MCPUpdate struct {
	Server Update[ServerDefinition]
	Tools  Update[ToolsDefinition]
}

// AgentSkillsUpdate changes an agent skills descriptor's parts.
type AgentSkillsUpdate struct {
	SkillMd         Update[SkillMdDefinition]
	SkillDefinition Update[SkillDefinition]
}

// UpdateRecord edits a record. A DRAFT is changed in place; any other
// editable status starts a new DRAFT revision, and the last approved one
// stays discoverable until a newer one is approved. A request that changes
// nothing leaves the record as it is.
func (s *Service) UpdateRecord(ctx context.Context, in UpdateRecordInput) (Record, error) {
	regID, recID, err := s.recordIDs(in.RegistryID, in.RecordID)
	if err != nil {
		return Record{}, err
	}
	var fe fieldErrors
	if in.Name != nil {
		checkName(&fe, "name", *in.Name, MaxRecordNameLen)
	}
	if in.Description.Value != nil {
		checkLength(&fe, "description", *in.Description.Value, 1, MaxDescriptionLen)
	}
	if in.Version != nil {
		checkLength(&fe, "recordVersion", *in.Version, 1, MaxVersionLen)
	}
	if in.DescriptorType != nil {
		checkEnum(&fe, "descriptorType", *in.DescriptorType, descriptorTypes...)
	}
	if in.SynchronizationType.Value != nil {
		checkSync(&fe, *in.SynchronizationType.Value)
	}
	if in.TriggerSync {
		fe.add("triggerSynchronization", "URL synchronization is not supported by this server yet")
	}
	if err := fe.err(); err != nil {
		return Record{}, err
	}
	var r Record
	changed := false
	err = s.updateAndNotify(ctx, func(tx Tx) error {
		if _, err := tx.Registry(regID); err != nil {
			return err
		}
		if r, err = tx.Record(regID, recID); err != nil {
			return err
		}
		if err := r.checkEditable(); err != nil {
			return err
		}
		next := r.Latest
		if in.Name != nil {
			next.Name = *in.Name
		}
		if in.Description.Set {
			next.Description = deref(in.Description.Value)
		}
		if in.DescriptorType != nil {
			next.DescriptorType = *in.DescriptorType
		}
		if in.Descriptors.Set {
			next.Descriptors = applyDescriptors(next.Descriptors, in.Descriptors.Value)
		}
		if in.Version != nil {
			next.Version = *in.Version
		}
		if sameContent(r.Latest, next) {
			return nil
		}
		var fe fieldErrors
		checkDescriptors(&fe, next.DescriptorType, next.Descriptors)
		if err := fe.err(); err != nil {
			return err
		}
		if in.Version == nil && next.Version == descriptorVersion(r.Latest.DescriptorType, r.Latest.Descriptors) {
			// The version followed the documents; keep following them.
			next.Version = descriptorVersion(next.DescriptorType, next.Descriptors)
		}
		if err := r.BeginEdit(s.clock()); err != nil {
			return err
		}
		next.Status, next.StatusReason, next.UpdatedAt = r.Latest.Status, r.Latest.StatusReason, r.Latest.UpdatedAt
		r.Latest = next
		changed = true
		return s.putRecord(tx, r)
	}, func() *Change {
		if !changed {
			return nil
		}
		return &Change{RegistryID: regID, RecordID: recID, Record: &r}
	})
	return r, err
}

// putRecord stores a changed record and records the change in the feed.
func (s *Service) putRecord(tx Tx, r Record) error {
	if err := tx.PutRecord(r); err != nil {
		return err
	}
	return tx.AppendChange(r.RegistryID, r.ID, r.Latest.UpdatedAt)
}

func sameContent(a, b Revision) bool {
	ja, _ := json.Marshal(a.Descriptors)
	jb, _ := json.Marshal(b.Descriptors)
	return a.Name == b.Name && a.Description == b.Description && a.DescriptorType == b.DescriptorType &&
		a.Version == b.Version && string(ja) == string(jb)
}

// applyDescriptors merges an update into d; a nil update clears them all.
func applyDescriptors(d Descriptors, u *DescriptorsUpdate) Descriptors {
	if u == nil {
		return Descriptors{}
	}
	if u.MCP.Set {
		if u.MCP.Value == nil {
			d.MCP = nil
		} else {
			m := MCPDescriptor{}
			if d.MCP != nil {
				m = *d.MCP
			}
			m.Server = apply(m.Server, u.MCP.Value.Server)
			m.Tools = apply(m.Tools, u.MCP.Value.Tools)
			d.MCP = &m
		}
	}
	d.A2A = apply(d.A2A, u.A2A)
	d.Custom = apply(d.Custom, u.Custom)
	if u.AgentSkills.Set {
		if u.AgentSkills.Value == nil {
			d.AgentSkills = nil
		} else {
			a := AgentSkillsDescriptor{}
			if d.AgentSkills != nil {
				a = *d.AgentSkills
			}
			a.SkillMd = apply(a.SkillMd, u.AgentSkills.Value.SkillMd)
			a.SkillDefinition = apply(a.SkillDefinition, u.AgentSkills.Value.SkillDefinition)
			d.AgentSkills = &a
		}
	}
	return d
}

func apply[T any](cur *T, u Update[T]) *T {
	if !u.Set {
		return cur
	}
	return u.Value
}

// DeleteRecord deletes a record in any status.
func (s *Service) DeleteRecord(ctx context.Context, registryID, recordID string) error {
	regID, recID, err := s.recordIDs(registryID, recordID)
	if err != nil {
		return err
	}
	return s.updateAndNotify(ctx, func(tx Tx) error {
		if _, err := tx.Registry(regID); err != nil {
			return err
		}
		if err := tx.DeleteRecord(regID, recID); err != nil {
			return err
		}
		return tx.AppendChange(regID, recID, s.clock())
	}, func() *Change { return &Change{RegistryID: regID, RecordID: recID} })
}

// SubmitRecord sends a DRAFT for approval, or approves it at once when the
// registry has autoApproval.
func (s *Service) SubmitRecord(ctx context.Context, registryID, recordID string) (Record, error) {
	regID, recID, err := s.recordIDs(registryID, recordID)
	if err != nil {
		return Record{}, err
	}
	var r Record
	err = s.updateAndNotify(ctx, func(tx Tx) error {
		reg, err := tx.Registry(regID)
		if err != nil {
			return err
		}
		if r, err = tx.Record(regID, recID); err != nil {
			return err
		}
		if err := r.Submit(reg.AutoApproval, s.clock()); err != nil {
			return err
		}
		return s.putRecord(tx, r)
	}, func() *Change {
		if r.Latest.Status != StatusApproved {
			return nil
		}
		return &Change{RegistryID: regID, RecordID: recID, Record: &r}
	})
	return r, err
}

// SetRecordStatusInput is a curator's decision on a record.
type SetRecordStatusInput struct {
	RegistryID string
	RecordID   string
	Status     RecordStatus
	Reason     string
}

// SetRecordStatus approves, rejects or deprecates a record.
func (s *Service) SetRecordStatus(ctx context.Context, in SetRecordStatusInput) (Record, error) {
	regID, recID, err := s.recordIDs(in.RegistryID, in.RecordID)
	if err != nil {
		return Record{}, err
	}
	var fe fieldErrors
	checkEnum(&fe, "status", in.Status, recordStatuses...)
	checkLength(&fe, "statusReason", in.Reason, 1, MaxReasonLen)
	if err := fe.err(); err != nil {
		return Record{}, err
	}
	var r Record
	err = s.updateAndNotify(ctx, func(tx Tx) error {
		if _, err := tx.Registry(regID); err != nil {
			return err
		}
		if r, err = tx.Record(regID, recID); err != nil {
			return err
		}
		if err := r.SetStatus(in.Status, in.Reason, s.clock()); err != nil {
			return err
		}
		return s.putRecord(tx, r)
	}, func() *Change { return &Change{RegistryID: regID, RecordID: recID, Record: &r} })
	return r, err
}

func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}

// IsNotFound reports whether err is a not-found error.
func IsNotFound(err error) bool {
	var e *Error
	return errors.As(err, &e) && e.Kind == KindNotFound
}
