package httpapi

import (
	"bytes"
	"encoding/json"
	"time"

	"github.com/agentry/agentry/registry"
)

// timestamp is a date-time member, ISO 8601 as the SDKs expect.
type timestamp time.Time

func (t timestamp) MarshalJSON() ([]byte, error) {
	return []byte(`"` + time.Time(t).UTC().Format("2006-01-02T15:04:05.000Z") + `"`), nil
}

// optional is an AWS "Updated..." wrapper: {"optionalValue": X} sets X, {}
// or a null optionalValue clears the member, and an absent member (present
// false) leaves it unchanged.
type optional[T any] struct {
	present bool
	value   *T
}

// wrapperError reports a wrapper that is not an object.
type wrapperError struct{ msg string }

func (e *wrapperError) Error() string { return e.msg }

func (o *optional[T]) UnmarshalJSON(b []byte) error {
	if bytes.Equal(bytes.TrimSpace(b), []byte("null")) {
		return nil
	}
	var w struct {
		OptionalValue *T `json:"optionalValue"`
	}
	if err := json.Unmarshal(b, &w); err != nil {
		if _, ok := err.(*json.UnmarshalTypeError); ok && b[0] != '{' {
			return &wrapperError{`An update member must be an object: {"optionalValue": ...} to set it, or {} to clear it.`}
		}
		return err
	}
	o.present, o.value = true, w.OptionalValue
	return nil
}

// update converts the wrapper with f applied to its value.
func update[T, U any](o optional[T], f func(T) U) registry.Update[U] {
	if !o.present {
		return registry.Update[U]{}
	}
	if o.value == nil {
		return registry.Update[U]{Set: true}
	}
	return registry.Set(f(*o.value))
}

func same[T any](v T) T { return v }

// ---- registries ----

type approvalJSON struct {
	AutoApproval bool `json:"autoApproval"`
}

type registryJSON struct {
	Name                    string                     `json:"name"`
	Description             string                     `json:"description,omitempty"`
	RegistryID              string                     `json:"registryId"`
	RegistryArn             string                     `json:"registryArn"`
	AuthorizerType          registry.AuthorizerType    `json:"authorizerType"`
	AuthorizerConfiguration *registry.AuthorizerConfig `json:"authorizerConfiguration,omitempty"`
	ApprovalConfiguration   approvalJSON               `json:"approvalConfiguration"`
	Status                  registry.RegistryStatus    `json:"status"`
	StatusReason            string                     `json:"statusReason,omitempty"`
	CreatedAt               timestamp                  `json:"createdAt"`
	UpdatedAt               timestamp                  `json:"updatedAt"`
}

func (a *api) registryJSON(r registry.Registry) registryJSON {
	return registryJSON{
		Name: r.Name, Description: r.Description, RegistryID: r.ID, RegistryArn: a.arns.Registry(r.ID),
		AuthorizerType: r.AuthorizerType, AuthorizerConfiguration: r.Authorizer,
		ApprovalConfiguration: approvalJSON{AutoApproval: r.AutoApproval},
		Status:                r.Status, StatusReason: r.StatusReason,
		CreatedAt: timestamp(r.CreatedAt), UpdatedAt: timestamp(r.UpdatedAt),
	}
}

// registrySummaryJSON is RegistrySummary: the list form, without the
// authorizer and approval configurations.
type registrySummaryJSON struct {
	Name           string                  `json:"name"`
	Description    string                  `json:"description,omitempty"`
	RegistryID     string                  `json:"registryId"`
	RegistryArn    string                  `json:"registryArn"`
	AuthorizerType registry.AuthorizerType `json:"authorizerType"`
	Status         registry.RegistryStatus `json:"status"`
	StatusReason   string                  `json:"statusReason,omitempty"`
	CreatedAt      timestamp               `json:"createdAt"`
	UpdatedAt      timestamp               `json:"updatedAt"`
}

// ---- records ----

type recordJSON struct {
	RegistryArn    string                  `json:"registryArn"`
	RecordArn      string                  `json:"recordArn"`
	RecordID       string                  `json:"recordId"`
	Name           string                  `json:"name"`
	Description    string                  `json:"description,omitempty"`
	DescriptorType registry.DescriptorType `json:"descriptorType"`
	Descriptors    registry.Descriptors    `json:"descriptors"`
	RecordVersion  string                  `json:"recordVersion,omitempty"`
	Status         registry.RecordStatus   `json:"status"`
	StatusReason   string                  `json:"statusReason,omitempty"`
	CreatedAt      timestamp               `json:"createdAt"`
	UpdatedAt      timestamp               `json:"updatedAt"`
	// Records filled from a live source say which.
	SynchronizationType          string               `json:"synchronizationType,omitempty"`
	SynchronizationConfiguration *registry.SyncConfig `json:"synchronizationConfiguration,omitempty"`
}

func (a *api) recordJSON(r registry.Record) recordJSON {
	l := r.Latest
	return recordJSON{
		RegistryArn: a.arns.Registry(r.RegistryID), RecordArn: a.arns.Record(r.RegistryID, r.ID),
		RecordID: r.ID, Name: l.Name, Description: l.Description, DescriptorType: l.DescriptorType,
		Descriptors: l.Descriptors, RecordVersion: l.Version, Status: l.Status, StatusReason: l.StatusReason,
		CreatedAt: timestamp(r.CreatedAt), UpdatedAt: timestamp(l.UpdatedAt),
		SynchronizationType: l.SyncType, SynchronizationConfiguration: l.Sync,
	}
}

// recordSummaryJSON is RegistryRecordSummary of the control plane: no
// descriptors.
type recordSummaryJSON struct {
	RegistryArn    string                  `json:"registryArn"`
	RecordArn      string                  `json:"recordArn"`
	RecordID       string                  `json:"recordId"`
	Name           string                  `json:"name"`
	Description    string                  `json:"description,omitempty"`
	DescriptorType registry.DescriptorType `json:"descriptorType"`
	RecordVersion  string                  `json:"recordVersion,omitempty"`
	Status         registry.RecordStatus   `json:"status"`
	CreatedAt      timestamp               `json:"createdAt"`
	UpdatedAt      timestamp               `json:"updatedAt"`
}

// Update wrappers of UpdateRegistryRecord's descriptors.
type updatedDescriptorsJSON struct {
	MCP         optional[updatedMCPJSON]            `json:"mcp"`
	A2A         optional[registry.A2ADescriptor]    `json:"a2a"`
	Custom      optional[registry.CustomDescriptor] `json:"custom"`
	AgentSkills optional[updatedAgentSkillsJSON]    `json:"agentSkills"`
}

type updatedMCPJSON struct {
	Server optional[registry.ServerDefinition] `json:"server"`
	Tools  optional[registry.ToolsDefinition]  `json:"tools"`
}

type updatedAgentSkillsJSON struct {
	SkillMd         optional[registry.SkillMdDefinition] `json:"skillMd"`
	SkillDefinition optional[registry.SkillDefinition]   `json:"skillDefinition"`
}

func (u updatedDescriptorsJSON) domain() registry.DescriptorsUpdate {
	return registry.DescriptorsUpdate{
		MCP: update(u.MCP, func(m updatedMCPJSON) registry.MCPUpdate {
			return registry.MCPUpdate{Server: update(m.Server, same), Tools: update(m.Tools, same)}
		}),
		A2A:    update(u.A2A, same),
		Custom: update(u.Custom, same),
		AgentSkills: update(u.AgentSkills, func(s updatedAgentSkillsJSON) registry.AgentSkillsUpdate {
			return registry.AgentSkillsUpdate{SkillMd: update(s.SkillMd, same), SkillDefinition: update(s.SkillDefinition, same)}
		}),
	}
}
