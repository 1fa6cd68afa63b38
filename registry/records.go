package registry

import (
	"context"
	"encoding/json"
	"reflect"
)

// CreateRecordInput is a request to create a record.
type CreateRecordInput struct {
	RegistryID     string
	Name           string
	Description    *string
	DescriptorType DescriptorType
	Descriptors    *Descriptors
	Version        *string
	// SynchronizationType is SyncURL when the publisher asks the registry
	// to fetch the content from Sync's source instead of giving it inline.
	SynchronizationType string
	Sync                *SyncConfig
	ClientToken         string
	// GA only, and CreatedBy: the account id of the caller, if known.
	DisplayName *string
	Provenance  []Provenance
	Tags        map[string]string
	CreatedBy   string
}

// CreateRecord creates a record in DRAFT, or, with synchronization, in
// CREATING until its content has been fetched.
func (s *Service) CreateRecord(ctx context.Context, in CreateRecordInput) (Created, error) {
	regID, err := s.ARNs.RegistryID("registryId", in.RegistryID)
	if err != nil {
		return Created{}, err
	}
	if err := s.CheckRecord(in); err != nil {
		return Created{}, err
	}
	syncing := in.SynchronizationType != "" || in.Sync != nil
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
				Name: in.Name, Description: deref(in.Description), DescriptorType: in.DescriptorType,
				Version: deref(in.Version), Status: StatusDraft, UpdatedAt: now,
				DisplayName: deref(in.DisplayName), Provenance: in.Provenance,
			}
			if syncing {
				rev.SyncType, rev.Sync = in.SynchronizationType, in.Sync
			} else {
				rev.Descriptors = *in.Descriptors
			}
			if rev.Version == "" {
				rev.Version = descriptorVersion(rev.DescriptorType, rev.Descriptors)
			}
			r := Record{RegistryID: regID, ID: NewID(12), CreatedAt: now, Latest: rev, Tags: in.Tags, CreatedBy: in.CreatedBy}
			if len(r.Tags) == 0 {
				r.Tags = nil
			}
			if syncing {
				if err := s.startSync(ctx, tx, &r, true); err != nil {
					return Created{}, err
				}
			}
			if err := tx.CreateRecord(r); err != nil {
				return Created{}, err
			}
			return Created{ID: r.ID, Status: string(r.Latest.Status)}, s.recordEvent(ctx, tx, r, "")
		})
		return err
	})
	if err == nil && syncing {
		s.kickSync()
	}
	return out, err
}

// CheckRecord validates a new record as CreateRecord does, without storing
// anything: the console validates a draft with it as it is typed, so that
// its messages are the API's.
func (s *Service) CheckRecord(in CreateRecordInput) error {
	var fe fieldErrors
	checkName(&fe, "name", in.Name, MaxRecordNameLen)
	if in.Description != nil {
		checkLength(&fe, "description", *in.Description, 1, MaxDescriptionLen)
	}
	if in.Version != nil {
		checkLength(&fe, "recordVersion", *in.Version, 1, MaxVersionLen)
	}
	checkEnum(&fe, "descriptorType", in.DescriptorType, descriptorTypes...)
	syncing := in.SynchronizationType != "" || in.Sync != nil
	if syncing {
		checkSyncConfig(&fe, in.DescriptorType, in.SynchronizationType, in.Sync, s.urlPolicy)
		if in.Descriptors != nil {
			fe.add("descriptors", "must not be given with synchronizationType URL: the content is fetched from synchronizationConfiguration.fromUrl.url")
		}
	} else if len(fe) == 0 {
		if in.Descriptors == nil {
			fe.add("descriptors", "is required: give the record's content inline")
		} else {
			checkDescriptors(&fe, in.DescriptorType, *in.Descriptors)
		}
	}
	checkClientToken(&fe, in.ClientToken)
	if in.DisplayName != nil {
		checkLength(&fe, "displayName", *in.DisplayName, 1, MaxDisplayNameLen)
	}
	checkProvenance(&fe, "provenance", in.Provenance)
	checkTags(&fe, "tags", in.Tags)
	return fe.err()
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
	Records   []RecordSummary
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
		rs, err := tx.ListRecordSummaries(q)
		if err != nil {
			return err
		}
		if len(rs) == q.Limit {
			rs = rs[:len(rs)-1]
			last := rs[len(rs)-1]
			page.NextToken = encodeToken(s.pagingKey, pageCursor{Name: last.Name, ID: last.ID, Filters: filters})
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
	Sync                Update[SyncConfig]
	// TriggerSync fetches the content again from the record's source.
	TriggerSync bool
	// GA only. EditDescriptors, when set, replaces Descriptors: it is
	// applied to the latest descriptors inside the transaction, for the GA
	// API, whose patches address single leaves of a descriptor.
	DisplayName     Update[string]
	Provenance      *[]Provenance
	EditDescriptors func(Descriptors) Descriptors
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
	if v := in.SynchronizationType.Value; v != nil && *v != SyncURL {
		fe.add("synchronizationType", "must be %s", SyncURL)
	}
	if in.DisplayName.Value != nil {
		checkLength(&fe, "displayName", *in.DisplayName.Value, 1, MaxDisplayNameLen)
	}
	if in.Provenance != nil {
		checkProvenance(&fe, "provenance", *in.Provenance)
	}
	if err := fe.err(); err != nil {
		return Record{}, err
	}
	// A new source, or a trigger, starts a synchronization.
	asked := in.TriggerSync || in.Sync.Value != nil || in.SynchronizationType.Value != nil
	var (
		r       Record
		started bool
	)
	err = s.update(ctx, func(tx Tx) (int64, error) {
		syncing := asked
		started = false
		if _, err := tx.Registry(regID); err != nil {
			return 0, err
		}
		if r, err = tx.Record(regID, recID); err != nil {
			return 0, err
		}
		if err := r.checkEditable(); err != nil {
			return 0, err
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
		if in.EditDescriptors != nil {
			next.Descriptors = in.EditDescriptors(next.Descriptors)
		}
		if in.DisplayName.Set {
			next.DisplayName = deref(in.DisplayName.Value)
		}
		if in.Provenance != nil {
			next.Provenance = *in.Provenance
		}
		if in.Version != nil {
			next.Version = *in.Version
		}
		if in.SynchronizationType.Set {
			next.SyncType = deref(in.SynchronizationType.Value)
		}
		if in.Sync.Set {
			next.Sync = in.Sync.Value
		}
		if next.SyncType == "" {
			next.Sync = nil
		}
		// A GA descriptor source synchronizes the record when a
		// synchronization is triggered, and replaces the source of a
		// synchronized one.
		if in.TriggerSync || next.SyncType != "" {
			cfg, err := SourceSync(next.DescriptorType, next.Descriptors)
			if err != nil {
				return 0, err
			}
			if cfg != nil && (in.TriggerSync || !sameSync(next.Sync, cfg)) {
				next.SyncType, next.Sync, syncing = SyncURL, cfg, true
			}
		}
		var fe fieldErrors
		if next.SyncType != "" {
			checkSyncConfig(&fe, next.DescriptorType, next.SyncType, next.Sync, s.urlPolicy)
			if in.Descriptors.Set {
				fe.add("descriptors", "of a synchronized record come from its source: clear synchronizationType to edit them inline")
			}
		} else if syncing {
			fe.add("triggerSynchronization", "needs a record with synchronizationType URL and a synchronizationConfiguration")
		}
		if err := fe.err(); err != nil {
			return 0, err
		}
		if sameContent(r.Latest, next) {
			if !syncing {
				return 0, nil
			}
			if err := s.startSync(ctx, tx, &r, false); err != nil {
				return 0, err
			}
			started = true
			return s.putRecord(tx, r)
		}
		if !syncing {
			checkDescriptors(&fe, next.DescriptorType, next.Descriptors)
			if err := fe.err(); err != nil {
				return 0, err
			}
		}
		if in.Version == nil && next.Version == descriptorVersion(r.Latest.DescriptorType, r.Latest.Descriptors) {
			// The version followed the documents; keep following them.
			next.Version = descriptorVersion(next.DescriptorType, next.Descriptors)
		}
		previous := r.Latest.Status
		if err := r.BeginEdit(s.clock()); err != nil {
			return 0, err
		}
		next.Status, next.StatusReason, next.UpdatedAt = r.Latest.Status, r.Latest.StatusReason, r.Latest.UpdatedAt
		r.Latest = next
		if syncing {
			if err := s.startSync(ctx, tx, &r, false); err != nil {
				return 0, err
			}
		}
		if err := s.recordEvent(ctx, tx, r, previous); err != nil {
			return 0, err
		}
		started = syncing
		return s.putRecord(tx, r)
	})
	if err == nil && started {
		s.kickSync()
	}
	return r, err
}

// putRecord stores a changed record and records the change in the feed.
func (s *Service) putRecord(tx Tx, r Record) (seq int64, err error) {
	if err := tx.PutRecord(r); err != nil {
		return 0, err
	}
	return tx.AppendChange(r.RegistryID, r.ID, r.Latest.UpdatedAt)
}

func sameSync(a, b *SyncConfig) bool {
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	return string(ja) == string(jb)
}

func sameContent(a, b Revision) bool {
	ja, _ := json.Marshal(a.Descriptors)
	jb, _ := json.Marshal(b.Descriptors)
	sa, _ := json.Marshal(a.Sync)
	sb, _ := json.Marshal(b.Sync)
	return a.Name == b.Name && a.Description == b.Description && a.DescriptorType == b.DescriptorType &&
		a.Version == b.Version && string(ja) == string(jb) && a.SyncType == b.SyncType && string(sa) == string(sb) &&
		// The GA members, which the wire JSON above leaves out.
		a.DisplayName == b.DisplayName && reflect.DeepEqual(a.Provenance, b.Provenance) && sameGA(a.Descriptors, b.Descriptors)
}

// sameGA compares the members of descriptors that only the GA API has.
func sameGA(a, b Descriptors) bool {
	type ga struct {
		mcp, a2a, skillMd *DescriptorSource
		skillMdVersion    string
		http, agui        *SourceDescriptor
	}
	of := func(d Descriptors) ga {
		g := ga{http: d.HTTP, agui: d.AGUI}
		if d.MCP != nil {
			g.mcp = d.MCP.Source
		}
		if d.A2A != nil {
			g.a2a = d.A2A.Source
		}
		if d.AgentSkills != nil && d.AgentSkills.SkillMd != nil {
			g.skillMd, g.skillMdVersion = d.AgentSkills.SkillMd.Source, d.AgentSkills.SkillMd.SchemaVersion
		}
		return g
	}
	return reflect.DeepEqual(of(a), of(b))
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
	return s.update(ctx, func(tx Tx) (int64, error) {
		if _, err := tx.Registry(regID); err != nil {
			return 0, err
		}
		if s.events {
			r, err := tx.Record(regID, recID)
			if err != nil {
				return 0, err
			}
			err = s.appendEvent(ctx, tx, EventRecordDeleted, s.clock(), EventDetail{RegistryID: regID,
				RegistryRecordID: recID, RecordName: r.Latest.Name, PreviousStatus: string(r.Latest.Status)})
			if err != nil {
				return 0, err
			}
		}
		if err := tx.DeleteRecord(regID, recID); err != nil {
			return 0, err
		}
		if err := tx.DeleteSyncJob(regID, recID); err != nil {
			return 0, err
		}
		return tx.AppendChange(regID, recID, s.clock())
	})
}
