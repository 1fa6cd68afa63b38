package httpapi

import (
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/agentry/agentry/registry"
)

// The wire types of the GA AWS Agent Registry API (agent-registry,
// 2025-12-01): its shapes, and their mapping to the domain, which keeps
// the preview's names (docs/api.md, "The GA API"). Shapes are those of the
// Smithy models aws-sdk-js-v3 ships (agent-registry-control.json,
// agent-registry.json); ../shared/docs/ga-api.md sections are cited as §.

// ---- record types (§6.2, §13.5) ----

var gaRecordTypes = []string{"MCP", "AGENT", "CUSTOM", "SKILL", "GATEWAY"}

func gaRecordTypeOf(t registry.DescriptorType) string {
	switch t {
	case registry.DescriptorA2A:
		return "AGENT"
	case registry.DescriptorAgentSkills:
		return "SKILL"
	}
	return string(t)
}

// domainRecordType maps a GA recordType; ok is false for a value the GA
// enum lacks.
func domainRecordType(s string) (registry.DescriptorType, bool) {
	switch s {
	case "AGENT":
		return registry.DescriptorA2A, true
	case "SKILL":
		return registry.DescriptorAgentSkills, true
	case "MCP", "CUSTOM", "GATEWAY":
		return registry.DescriptorType(s), true
	}
	return "", false
}

// ---- descriptors (§6.3, §6.6) ----

type gaFromURLJSON struct {
	URL                              string          `json:"url"`
	CredentialProviderConfigurations json.RawMessage `json:"credentialProviderConfigurations,omitempty"`
}

type gaSourceJSON struct {
	FromURL *gaFromURLJSON `json:"fromUrl,omitempty"`
}

type gaDataJSON struct {
	Data              string `json:"data,omitempty"`
	DataSchemaVersion string `json:"dataSchemaVersion,omitempty"`
}

type gaMCPServerJSON struct {
	Data              string `json:"data,omitempty"`
	DataSchemaVersion string `json:"dataSchemaVersion,omitempty"`
	AdditionalData    *struct {
		Tools *gaDataJSON `json:"tools,omitempty"`
	} `json:"additionalData,omitempty"`
	Source *gaSourceJSON `json:"source,omitempty"`
}

type gaA2AJSON struct {
	Data              string        `json:"data,omitempty"`
	DataSchemaVersion string        `json:"dataSchemaVersion,omitempty"`
	Source            *gaSourceJSON `json:"source,omitempty"`
}

type gaSkillMdJSON = gaA2AJSON

type gaSkillsJSON struct {
	Data              string `json:"data,omitempty"`
	DataSchemaVersion string `json:"dataSchemaVersion,omitempty"`
	AdditionalData    *struct {
		SkillMd *gaSkillMdJSON `json:"skillMd,omitempty"`
	} `json:"additionalData,omitempty"`
}

type gaCustomJSON struct {
	Data string `json:"data,omitempty"`
}

type gaSourceOnlyJSON struct {
	Source *gaSourceJSON `json:"source,omitempty"`
}

// gaDescriptorsJSON is Descriptors of both planes (a structure of which
// exactly one member is set).
type gaDescriptorsJSON struct {
	MCPServer             *gaMCPServerJSON  `json:"mcpServer,omitempty"`
	A2AAgentCard          *gaA2AJSON        `json:"a2aAgentCard,omitempty"`
	AgentSkillsDefinition *gaSkillsJSON     `json:"agentSkillsDefinition,omitempty"`
	Custom                *gaCustomJSON     `json:"custom,omitempty"`
	HTTP                  *gaSourceOnlyJSON `json:"http,omitempty"`
	AGUI                  *gaSourceOnlyJSON `json:"agui,omitempty"`
}

func sourceDomain(s *gaSourceJSON) *registry.DescriptorSource {
	if s == nil || s.FromURL == nil {
		return nil
	}
	return &registry.DescriptorSource{URL: s.FromURL.URL, CredentialProviders: s.FromURL.CredentialProviderConfigurations}
}

// sourceWire is the wire source; the data plane never shows credential
// provider configurations (§6.6).
func sourceWire(s *registry.DescriptorSource, dataPlane bool) *gaSourceJSON {
	if s == nil {
		return nil
	}
	f := &gaFromURLJSON{URL: s.URL}
	if !dataPlane {
		f.CredentialProviderConfigurations = s.CredentialProviders
	}
	return &gaSourceJSON{FromURL: f}
}

// domain maps GA descriptors to the domain's (§13.5): an empty data member
// is an absent one.
func (g gaDescriptorsJSON) domain() registry.Descriptors {
	var d registry.Descriptors
	if m := g.MCPServer; m != nil {
		d.MCP = &registry.MCPDescriptor{Source: sourceDomain(m.Source)}
		if m.Data != "" || m.DataSchemaVersion != "" {
			d.MCP.Server = &registry.ServerDefinition{InlineContent: m.Data, SchemaVersion: m.DataSchemaVersion}
		}
		if m.AdditionalData != nil && m.AdditionalData.Tools != nil {
			t := m.AdditionalData.Tools
			d.MCP.Tools = &registry.ToolsDefinition{InlineContent: t.Data, ProtocolVersion: t.DataSchemaVersion}
		}
	}
	if a := g.A2AAgentCard; a != nil {
		d.A2A = &registry.A2ADescriptor{Source: sourceDomain(a.Source)}
		if a.Data != "" || a.DataSchemaVersion != "" {
			d.A2A.AgentCard = &registry.AgentCardDefinition{InlineContent: a.Data, SchemaVersion: a.DataSchemaVersion}
		}
	}
	if s := g.AgentSkillsDefinition; s != nil {
		d.AgentSkills = &registry.AgentSkillsDescriptor{}
		if s.Data != "" || s.DataSchemaVersion != "" {
			d.AgentSkills.SkillDefinition = &registry.SkillDefinition{InlineContent: s.Data, SchemaVersion: s.DataSchemaVersion}
		}
		if s.AdditionalData != nil && s.AdditionalData.SkillMd != nil {
			m := s.AdditionalData.SkillMd
			d.AgentSkills.SkillMd = &registry.SkillMdDefinition{InlineContent: m.Data, SchemaVersion: m.DataSchemaVersion, Source: sourceDomain(m.Source)}
		}
	}
	if c := g.Custom; c != nil {
		d.Custom = &registry.CustomDescriptor{InlineContent: c.Data}
	}
	if h := g.HTTP; h != nil {
		d.HTTP = &registry.SourceDescriptor{Source: sourceDomain(h.Source)}
	}
	if h := g.AGUI; h != nil {
		d.AGUI = &registry.SourceDescriptor{Source: sourceDomain(h.Source)}
	}
	return d
}

// gaDescriptors maps domain descriptors to the GA shape.
func gaDescriptors(d registry.Descriptors, dataPlane bool) gaDescriptorsJSON {
	var g gaDescriptorsJSON
	if m := d.MCP; m != nil {
		g.MCPServer = &gaMCPServerJSON{Source: sourceWire(m.Source, dataPlane)}
		if m.Server != nil {
			g.MCPServer.Data, g.MCPServer.DataSchemaVersion = m.Server.InlineContent, m.Server.SchemaVersion
		}
		if m.Tools != nil {
			g.MCPServer.AdditionalData = &struct {
				Tools *gaDataJSON `json:"tools,omitempty"`
			}{Tools: &gaDataJSON{Data: m.Tools.InlineContent, DataSchemaVersion: m.Tools.ProtocolVersion}}
		}
	}
	if a := d.A2A; a != nil {
		g.A2AAgentCard = &gaA2AJSON{Source: sourceWire(a.Source, dataPlane)}
		if a.AgentCard != nil {
			g.A2AAgentCard.Data, g.A2AAgentCard.DataSchemaVersion = a.AgentCard.InlineContent, a.AgentCard.SchemaVersion
		}
	}
	if s := d.AgentSkills; s != nil {
		g.AgentSkillsDefinition = &gaSkillsJSON{}
		if s.SkillDefinition != nil {
			g.AgentSkillsDefinition.Data, g.AgentSkillsDefinition.DataSchemaVersion = s.SkillDefinition.InlineContent, s.SkillDefinition.SchemaVersion
		}
		if m := s.SkillMd; m != nil {
			g.AgentSkillsDefinition.AdditionalData = &struct {
				SkillMd *gaSkillMdJSON `json:"skillMd,omitempty"`
			}{SkillMd: &gaSkillMdJSON{Data: m.InlineContent, DataSchemaVersion: m.SchemaVersion, Source: sourceWire(m.Source, dataPlane)}}
		}
	}
	if c := d.Custom; c != nil {
		g.Custom = &gaCustomJSON{Data: c.InlineContent}
	}
	if h := d.HTTP; h != nil {
		g.HTTP = &gaSourceOnlyJSON{Source: sourceWire(h.Source, dataPlane)}
	}
	if h := d.AGUI; h != nil {
		g.AGUI = &gaSourceOnlyJSON{Source: sourceWire(h.Source, dataPlane)}
	}
	return g
}

// withSyncSource is rev's descriptors with the source of its URL
// synchronization, if any, on the descriptor it fills (GA shows a
// synchronized record's source there; the domain keeps it in Sync).
func withSyncSource(rev registry.Revision) registry.Descriptors {
	d := rev.Descriptors
	if rev.SyncType != registry.SyncURL || rev.Sync == nil || rev.Sync.FromURL == nil {
		return d
	}
	src := &registry.DescriptorSource{URL: rev.Sync.FromURL.URL}
	if c := rev.Sync.FromURL.CredentialProviderConfigurations; len(c) > 0 {
		src.CredentialProviders, _ = json.Marshal(c)
	}
	switch rev.DescriptorType {
	case registry.DescriptorMCP:
		m := clone(d.MCP)
		if m.Source == nil {
			m.Source = src
		}
		d.MCP = m
	case registry.DescriptorA2A:
		a := clone(d.A2A)
		if a.Source == nil {
			a.Source = src
		}
		d.A2A = a
	case registry.DescriptorAgentSkills:
		s := clone(d.AgentSkills)
		s.SkillMd = clone(s.SkillMd)
		if s.SkillMd.Source == nil {
			s.SkillMd.Source = src
		}
		d.AgentSkills = s
	}
	return d
}

// descriptorKeys are the GA member names of d's set descriptors: the
// values of ListDiscoverableRegistryRecords' descriptorTypes (§6.6).
func descriptorKeys(d registry.Descriptors) []string {
	var keys []string
	for _, k := range []struct {
		name string
		set  bool
	}{{"mcpServer", d.MCP != nil}, {"a2aAgentCard", d.A2A != nil}, {"agentSkillsDefinition", d.AgentSkills != nil},
		{"custom", d.Custom != nil}, {"http", d.HTTP != nil}, {"agui", d.AGUI != nil}} {
		if k.set {
			keys = append(keys, k.name)
		}
	}
	return keys
}

var gaDescriptorKeys = []string{"mcpServer", "a2aAgentCard", "agentSkillsDefinition", "custom", "http", "agui"}

// ---- descriptor patches (§6.4) ----

type gaUpdatedDataFields struct {
	Data              optional[string] `json:"data"`
	DataSchemaVersion optional[string] `json:"dataSchemaVersion"`
}

type gaUpdatedMCPServerFields struct {
	Data              optional[string]       `json:"data"`
	DataSchemaVersion optional[string]       `json:"dataSchemaVersion"`
	Source            optional[gaSourceJSON] `json:"source"`
	AdditionalData    optional[struct {
		Tools optional[gaUpdatedDataFields] `json:"tools"`
	}] `json:"additionalData"`
}

type gaUpdatedSourcedDataFields struct {
	Data              optional[string]       `json:"data"`
	DataSchemaVersion optional[string]       `json:"dataSchemaVersion"`
	Source            optional[gaSourceJSON] `json:"source"`
}

type gaUpdatedSkillsFields struct {
	Data              optional[string] `json:"data"`
	DataSchemaVersion optional[string] `json:"dataSchemaVersion"`
	AdditionalData    optional[struct {
		SkillMd optional[gaUpdatedSourcedDataFields] `json:"skillMd"`
	}] `json:"additionalData"`
}

type gaUpdatedSourceOnlyFields struct {
	Source optional[gaSourceJSON] `json:"source"`
}

type gaUpdatedDescriptorsFields struct {
	MCPServer             optional[gaUpdatedMCPServerFields]   `json:"mcpServer"`
	A2AAgentCard          optional[gaUpdatedSourcedDataFields] `json:"a2aAgentCard"`
	AgentSkillsDefinition optional[gaUpdatedSkillsFields]      `json:"agentSkillsDefinition"`
	Custom                optional[struct {
		Data optional[string] `json:"data"`
	}] `json:"custom"`
	HTTP optional[gaUpdatedSourceOnlyFields] `json:"http"`
	AGUI optional[gaUpdatedSourceOnlyFields] `json:"agui"`
}

// clone returns a copy of *p, or a new T when p is nil, so that a patch
// never changes the revision it starts from.
func clone[T any](p *T) *T {
	if p == nil {
		return new(T)
	}
	v := *p
	return &v
}

// patchString applies a leaf wrapper to *s.
func patchString(s *string, o optional[string]) {
	if o.present {
		*s = ""
		if o.value != nil {
			*s = *o.value
		}
	}
}

func patchSource(s **registry.DescriptorSource, o optional[gaSourceJSON]) {
	if o.present {
		*s = nil
		if o.value != nil {
			*s = sourceDomain(o.value)
		}
	}
}

// edit returns the function that applies this patch to a record's
// descriptors (nil fields = the wrapper {}: clear them all).
func gaEditDescriptors(f *gaUpdatedDescriptorsFields) func(registry.Descriptors) registry.Descriptors {
	return func(d registry.Descriptors) registry.Descriptors {
		if f == nil {
			return registry.Descriptors{}
		}
		if o := f.MCPServer; o.present {
			if o.value == nil {
				d.MCP = nil
			} else {
				m := clone(d.MCP)
				p := o.value
				if p.Data.present || p.DataSchemaVersion.present {
					s := clone(m.Server)
					patchString(&s.InlineContent, p.Data)
					patchString(&s.SchemaVersion, p.DataSchemaVersion)
					m.Server = s
					if *s == (registry.ServerDefinition{}) {
						m.Server = nil
					}
				}
				patchSource(&m.Source, p.Source)
				if a := p.AdditionalData; a.present {
					if a.value == nil || (a.value.Tools.present && a.value.Tools.value == nil) {
						m.Tools = nil
					} else if t := a.value.Tools.value; t != nil {
						tools := clone(m.Tools)
						patchString(&tools.InlineContent, t.Data)
						patchString(&tools.ProtocolVersion, t.DataSchemaVersion)
						m.Tools = tools
					}
				}
				d.MCP = m
			}
		}
		if o := f.A2AAgentCard; o.present {
			if o.value == nil {
				d.A2A = nil
			} else {
				a := clone(d.A2A)
				p := o.value
				if p.Data.present || p.DataSchemaVersion.present {
					c := clone(a.AgentCard)
					patchString(&c.InlineContent, p.Data)
					patchString(&c.SchemaVersion, p.DataSchemaVersion)
					a.AgentCard = c
					if *c == (registry.AgentCardDefinition{}) {
						a.AgentCard = nil
					}
				}
				patchSource(&a.Source, p.Source)
				d.A2A = a
			}
		}
		if o := f.AgentSkillsDefinition; o.present {
			if o.value == nil {
				d.AgentSkills = nil
			} else {
				s := clone(d.AgentSkills)
				p := o.value
				if p.Data.present || p.DataSchemaVersion.present {
					def := clone(s.SkillDefinition)
					patchString(&def.InlineContent, p.Data)
					patchString(&def.SchemaVersion, p.DataSchemaVersion)
					s.SkillDefinition = def
					if *def == (registry.SkillDefinition{}) {
						s.SkillDefinition = nil
					}
				}
				if a := p.AdditionalData; a.present {
					if a.value == nil || (a.value.SkillMd.present && a.value.SkillMd.value == nil) {
						s.SkillMd = nil
					} else if m := a.value.SkillMd.value; m != nil {
						md := clone(s.SkillMd)
						patchString(&md.InlineContent, m.Data)
						patchString(&md.SchemaVersion, m.DataSchemaVersion)
						patchSource(&md.Source, m.Source)
						s.SkillMd = md
					}
				}
				d.AgentSkills = s
			}
		}
		if o := f.Custom; o.present {
			if o.value == nil {
				d.Custom = nil
			} else {
				c := clone(d.Custom)
				patchString(&c.InlineContent, o.value.Data)
				d.Custom = c
			}
		}
		for _, p := range []struct {
			o optional[gaUpdatedSourceOnlyFields]
			d **registry.SourceDescriptor
		}{{f.HTTP, &d.HTTP}, {f.AGUI, &d.AGUI}} {
			if p.o.present {
				if p.o.value == nil {
					*p.d = nil
				} else {
					s := clone(*p.d)
					patchSource(&s.Source, p.o.value.Source)
					*p.d = s
				}
			}
		}
		return d
	}
}

// ---- provenance (§6.5) ----

type gaProvenanceJSON struct {
	Relation      string          `json:"relation"`
	SourceID      string          `json:"sourceId"`
	SourceType    string          `json:"sourceType,omitempty"`
	SourceDetails json.RawMessage `json:"sourceDetails,omitempty"`
}

func provenanceDomain(ps []gaProvenanceJSON) []registry.Provenance {
	if ps == nil {
		return nil
	}
	out := make([]registry.Provenance, len(ps))
	for i, p := range ps {
		out[i] = registry.Provenance{Relation: p.Relation, SourceID: p.SourceID, SourceType: p.SourceType, SourceDetails: p.SourceDetails}
		if string(p.SourceDetails) == "null" {
			out[i].SourceDetails = nil
		}
	}
	return out
}

func provenanceWire(ps []registry.Provenance) []gaProvenanceJSON {
	if len(ps) == 0 {
		return nil
	}
	out := make([]gaProvenanceJSON, len(ps))
	for i, p := range ps {
		out[i] = gaProvenanceJSON{Relation: p.Relation, SourceID: p.SourceID, SourceType: p.SourceType, SourceDetails: p.SourceDetails}
	}
	return out
}

// ---- registries (§4.2, §6.1) ----

type gaDiscoveryJSON struct {
	AuthorizerType          registry.AuthorizerType    `json:"authorizerType"`
	AuthorizerConfiguration *registry.AuthorizerConfig `json:"authorizerConfiguration,omitempty"`
}

type gaApprovalJSON struct {
	AutoApprovalRules []string `json:"autoApprovalRules"`
}

type gaEncryptionJSON struct {
	KMSKeyARN string `json:"kmsKeyArn"`
}

type gaAutoDetectionConfigJSON struct {
	Scope   string `json:"scope"`
	Enabled *bool  `json:"enabled"`
}

type gaAutoDetectionJSON struct {
	Configuration gaAutoDetectionConfigJSON `json:"configuration"`
	Status        string                    `json:"status"`
	StatusReason  string                    `json:"statusReason,omitempty"`
}

type gaRegistryJSON struct {
	Name                    string                  `json:"name"`
	Description             string                  `json:"description,omitempty"`
	RegistryID              string                  `json:"registryId"`
	RegistryArn             string                  `json:"registryArn"`
	DiscoveryConfiguration  *gaDiscoveryJSON        `json:"discoveryConfiguration,omitempty"`
	EncryptionConfiguration *gaEncryptionJSON       `json:"encryptionConfiguration,omitempty"`
	ApprovalConfiguration   *gaApprovalJSON         `json:"approvalConfiguration,omitempty"`
	Status                  registry.RegistryStatus `json:"status"`
	StatusReason            string                  `json:"statusReason,omitempty"`
	AutoDetection           *gaAutoDetectionJSON    `json:"autoDetection,omitempty"`
	CreatedAt               timestamp               `json:"createdAt"`
	UpdatedAt               timestamp               `json:"updatedAt"`
}

// gaAuthorizer is cfg without the preview-only members, which the GA
// shape lacks (§13.4).
func gaAuthorizer(cfg *registry.AuthorizerConfig) *registry.AuthorizerConfig {
	if cfg == nil || cfg.CustomJWT == nil {
		return cfg
	}
	j := *cfg.CustomJWT
	j.AdvertisedScopeMapping = nil
	return &registry.AuthorizerConfig{CustomJWT: &j}
}

func (g *gaAPI) registryJSON(r registry.Registry, summary bool) gaRegistryJSON {
	out := gaRegistryJSON{
		Name: r.Name, Description: r.Description, RegistryID: r.ID, RegistryArn: g.arns.Registry(r.ID),
		DiscoveryConfiguration: &gaDiscoveryJSON{AuthorizerType: r.AuthorizerType, AuthorizerConfiguration: gaAuthorizer(r.Authorizer)},
		Status:                 r.Status, StatusReason: r.StatusReason,
		CreatedAt: timestamp(r.CreatedAt), UpdatedAt: timestamp(r.UpdatedAt),
	}
	if a := r.AutoDetection; a != nil {
		enabled := a.Enabled
		out.AutoDetection = &gaAutoDetectionJSON{Configuration: gaAutoDetectionConfigJSON{Scope: a.Scope, Enabled: &enabled},
			Status: "INACTIVE", StatusReason: "agentry does not detect resources; records are published through the API."}
	}
	if summary {
		return out
	}
	out.ApprovalConfiguration = &gaApprovalJSON{AutoApprovalRules: []string{}}
	if r.AutoApproval {
		out.ApprovalConfiguration.AutoApprovalRules = []string{"APPROVE_ALL"}
	}
	if r.Encryption != nil {
		out.EncryptionConfiguration = &gaEncryptionJSON{KMSKeyARN: r.Encryption.KMSKeyARN}
	}
	return out
}

// ---- records (§4.7, §6.5, §6.6) ----

type gaRecordJSON struct {
	RegistryArn            string             `json:"registryArn"`
	RecordArn              string             `json:"recordArn"`
	RecordID               string             `json:"recordId"`
	Name                   string             `json:"name"`
	DisplayName            string             `json:"displayName,omitempty"`
	Description            string             `json:"description,omitempty"`
	RecordType             string             `json:"recordType"`
	Descriptors            *gaDescriptorsJSON `json:"descriptors,omitempty"`
	DescriptorTypes        []string           `json:"descriptorTypes,omitempty"`
	RecordVersion          *string            `json:"recordVersion,omitempty"`
	Status                 string             `json:"status"`
	CreatedAt              timestamp          `json:"createdAt"`
	UpdatedAt              timestamp          `json:"updatedAt"`
	StatusReason           string             `json:"statusReason,omitempty"`
	Provenance             []gaProvenanceJSON `json:"provenance,omitempty"`
	ProvenanceSummaryList  []gaProvenanceJSON `json:"provenanceSummaryList,omitempty"`
	CreatedByAutoDetection *bool              `json:"createdByAutoDetection,omitempty"`
	CreatedBy              string             `json:"createdBy,omitempty"`
	// RelevanceScore is agentry's own member of search results, as in the
	// preview's (docs/api.md); nil elsewhere.
	RelevanceScore *float64 `json:"relevanceScore,omitempty"`
}

// recordForm says which of the GA record shapes to build.
type recordForm int

const (
	formDetail       recordForm = iota // RecordDetail (Get, Update)
	formSummary                        // RegistryRecordSummary of the control plane (no descriptors)
	formDiscovered                     // RegistryRecordSummary of the data plane (descriptors, approved revision)
	formDiscoverable                   // DiscoverableRegistryRecordSummary (descriptorTypes)
)

func (g *gaAPI) recordJSON(r registry.Record, rev registry.Revision, form recordForm) gaRecordJSON {
	out := gaRecordJSON{
		RegistryArn: g.arns.Registry(r.RegistryID), RecordArn: g.arns.Record(r.RegistryID, r.ID), RecordID: r.ID,
		Name: rev.Name, DisplayName: rev.DisplayName, Description: rev.Description, RecordType: gaRecordTypeOf(rev.DescriptorType),
		Status: string(rev.Status), CreatedAt: timestamp(r.CreatedAt), UpdatedAt: timestamp(rev.UpdatedAt),
	}
	version := rev.Version
	out.RecordVersion = &version // required in every summary; "" when the publisher gave none
	if form == formDetail && version == "" {
		out.RecordVersion = nil
	}
	no := false
	switch form {
	case formDetail:
		d := gaDescriptors(withSyncSource(rev), false)
		out.Descriptors, out.StatusReason, out.Provenance = &d, rev.StatusReason, provenanceWire(rev.Provenance)
		out.CreatedByAutoDetection, out.CreatedBy = &no, r.CreatedBy
	case formSummary:
		out.CreatedByAutoDetection, out.CreatedBy = &no, r.CreatedBy
		for _, p := range provenanceWire(rev.Provenance) {
			p.SourceDetails = nil
			out.ProvenanceSummaryList = append(out.ProvenanceSummaryList, p)
		}
	case formDiscovered:
		d := gaDescriptors(withSyncSource(rev), true)
		out.Descriptors = &d
	case formDiscoverable:
		out.DescriptorTypes = descriptorKeys(rev.Descriptors)
	}
	return out
}

// ---- validation of the GA shapes the domain does not check ----

// gaFields collects ValidationException fields in the GA member names.
type gaFields []registry.FieldError

func (f *gaFields) add(name, format string, args ...any) {
	*f = append(*f, registry.FieldError{Name: name, Message: fmt.Sprintf(format, args...)})
}

func (f gaFields) err() error {
	if len(f) == 0 {
		return nil
	}
	msgs := make([]string, len(f))
	for i, e := range f {
		msgs[i] = e.Name + ": " + e.Message
	}
	return &registry.Error{Kind: registry.KindInvalid, Reason: registry.ReasonFieldValidationFailed,
		Message: fmt.Sprintf("%d validation error(s) detected: %s", len(f), strings.Join(msgs, "; ")), Fields: f}
}

func (f *gaFields) length(name, s string, min, max int) {
	if n := utf8.RuneCountInString(s); n < min || n > max {
		f.add(name, "must be %d to %d characters, got %d", min, max, n)
	}
}

func (f *gaFields) enum(name, v string, allowed []string) {
	if !slices.Contains(allowed, v) {
		f.add(name, "must be one of %s, got %q", strings.Join(allowed, ", "), v)
	}
}

var (
	gaNextTokenPattern = regexp.MustCompile(`^\S*$`)
	gaVersionPattern   = regexp.MustCompile(`^[a-zA-Z0-9.-]+$`)
)

// gaFilterJSON is RegistryFilter and RegistryRecordFilter (§4.3, §4.8,
// §5.2).
type gaFilterJSON struct {
	Name   *string  `json:"name"`
	Values []string `json:"values"`
}

// filters validates list filters: at most 10, names from names, each with
// 1 to maxValues values of 1 to 255 characters. It returns the values by
// filter name; a name given twice is refused, since its values would have
// to hold at once.
func (f *gaFields) filters(fs []gaFilterJSON, names []string, maxValues int) map[string][]string {
	out := map[string][]string{}
	if len(fs) > 10 {
		f.add("filters", "must have at most 10 filters, got %d", len(fs))
		return out
	}
	for i, flt := range fs {
		p := fmt.Sprintf("filters[%d]", i)
		if flt.Name == nil {
			f.add(p+".name", "is required")
			continue
		}
		f.enum(p+".name", *flt.Name, names)
		if len(flt.Values) < 1 || len(flt.Values) > maxValues {
			if maxValues == 1 {
				f.add(p+".values", "must have exactly 1 value, got %d", len(flt.Values))
			} else {
				f.add(p+".values", "must have 1 to %d values, got %d", maxValues, len(flt.Values))
			}
		}
		for j, v := range flt.Values {
			f.length(fmt.Sprintf("%s.values[%d]", p, j), v, 1, 255)
		}
		if _, dup := out[*flt.Name]; dup {
			f.add(p+".name", "filter %q is given twice; give it once", *flt.Name)
		}
		out[*flt.Name] = flt.Values
	}
	return out
}

// paging validates maxResults and nextToken of the list operations.
func (f *gaFields) paging(maxResults *int, nextToken *string, maxToken int) string {
	if maxResults != nil && (*maxResults < 1 || *maxResults > 100) {
		f.add("maxResults", "must be between 1 and 100, got %d", *maxResults)
	}
	if nextToken == nil {
		return ""
	}
	f.length("nextToken", *nextToken, 1, maxToken)
	if !gaNextTokenPattern.MatchString(*nextToken) {
		f.add("nextToken", "must not contain white space")
	}
	return *nextToken
}
