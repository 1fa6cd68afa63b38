package registry

import (
	"strings"
	"time"
)

// AuthorizerType decides how consumers authenticate to a registry's search
// API and MCP endpoint. It is fixed when the registry is created.
type AuthorizerType string

const (
	AuthorizerAWSIAM    AuthorizerType = "AWS_IAM"
	AuthorizerCustomJWT AuthorizerType = "CUSTOM_JWT"
)

// RegistryStatus is the state of a registry. agentry completes registry
// operations synchronously, so a registry is READY whenever it can be read.
type RegistryStatus string

const (
	RegistryCreating     RegistryStatus = "CREATING"
	RegistryReady        RegistryStatus = "READY"
	RegistryUpdating     RegistryStatus = "UPDATING"
	RegistryCreateFailed RegistryStatus = "CREATE_FAILED"
	RegistryUpdateFailed RegistryStatus = "UPDATE_FAILED"
	RegistryDeleting     RegistryStatus = "DELETING"
	RegistryDeleteFailed RegistryStatus = "DELETE_FAILED"
)

// RecordStatus is the state of a record's latest revision.
type RecordStatus string

const (
	StatusDraft           RecordStatus = "DRAFT"
	StatusPendingApproval RecordStatus = "PENDING_APPROVAL"
	StatusApproved        RecordStatus = "APPROVED"
	StatusRejected        RecordStatus = "REJECTED"
	StatusDeprecated      RecordStatus = "DEPRECATED"
	StatusCreating        RecordStatus = "CREATING"
	StatusUpdating        RecordStatus = "UPDATING"
	StatusCreateFailed    RecordStatus = "CREATE_FAILED"
	StatusUpdateFailed    RecordStatus = "UPDATE_FAILED"
)

var recordStatuses = []RecordStatus{StatusDraft, StatusPendingApproval, StatusApproved, StatusRejected,
	StatusDeprecated, StatusCreating, StatusUpdating, StatusCreateFailed, StatusUpdateFailed}

// DescriptorType says what a record describes.
type DescriptorType string

const (
	DescriptorMCP         DescriptorType = "MCP"
	DescriptorA2A         DescriptorType = "A2A"
	DescriptorCustom      DescriptorType = "CUSTOM"
	DescriptorAgentSkills DescriptorType = "AGENT_SKILLS"
	// DescriptorGateway is a gateway (GA recordType GATEWAY); the preview
	// API has no name for it and shows it as GATEWAY.
	DescriptorGateway DescriptorType = "GATEWAY"
)

var descriptorTypes = []DescriptorType{DescriptorMCP, DescriptorA2A, DescriptorCustom, DescriptorAgentSkills, DescriptorGateway}

// Registry is a catalog of records with one authorization and approval
// policy.
type Registry struct {
	ID             string
	Name           string
	Description    string // "" when not set
	AuthorizerType AuthorizerType
	Authorizer     *AuthorizerConfig // nil when not set
	AutoApproval   bool
	Status         RegistryStatus
	StatusReason   string
	CreatedAt      time.Time
	UpdatedAt      time.Time
	// Fields of the GA API only (the preview neither shows nor changes
	// them).
	Tags          map[string]string    // nil when none
	Encryption    *EncryptionConfig    // nil = an AWS-owned key
	AutoDetection *AutoDetectionConfig // nil when not configured
}

// EncryptionConfig names a customer-managed KMS key. agentry stores and
// shows it; it does not encrypt with it (see docs/ga-api.md in api.md).
type EncryptionConfig struct {
	KMSKeyARN string
}

// AutoDetectionConfig is the GA auto-detection setting, stored and shown;
// agentry detects nothing, so it is always INACTIVE.
type AutoDetectionConfig struct {
	Scope   string // ORGANIZATION
	Enabled bool
}

// AuthorizerConfig is the wire shape of a registry's authorizer
// configuration (a union with one member today).
type AuthorizerConfig struct {
	CustomJWT *CustomJWTAuthorizer `json:"customJWTAuthorizer,omitempty"`
}

// CustomJWTAuthorizer says which bearer tokens a CUSTOM_JWT registry accepts.
type CustomJWTAuthorizer struct {
	DiscoveryURL           string            `json:"discoveryUrl"`
	AllowedAudience        []string          `json:"allowedAudience,omitempty"`
	AllowedClients         []string          `json:"allowedClients,omitempty"`
	AllowedScopes          []string          `json:"allowedScopes,omitempty"`
	CustomClaims           []CustomClaim     `json:"customClaims,omitempty"`
	AdvertisedScopeMapping map[string]string `json:"advertisedScopeMapping,omitempty"`
}

// The two kinds of metadata a discoveryUrl may name: OpenID Connect
// Discovery (the well-known suffix after the issuer's URL) and RFC 8414
// authorization server metadata (the well-known prefix before the issuer's
// path, e.g. https://as.example/.well-known/oauth-authorization-server/tenant).
const (
	OpenIDDiscoverySuffix             = "/.well-known/openid-configuration"
	AuthorizationServerMetadataPrefix = "/.well-known/oauth-authorization-server"
)

// IsDiscoveryPath reports whether a discoveryUrl's path names OpenID
// Connect discovery or RFC 8414 authorization server metadata.
func IsDiscoveryPath(path string) bool {
	return strings.HasSuffix(path, OpenIDDiscoverySuffix) ||
		path == AuthorizationServerMetadataPrefix ||
		strings.HasPrefix(path, AuthorizationServerMetadataPrefix+"/")
}

// CustomClaim is one extra check on a token claim.
type CustomClaim struct {
	InboundTokenClaimName      string     `json:"inboundTokenClaimName"`
	InboundTokenClaimValueType string     `json:"inboundTokenClaimValueType"` // STRING or STRING_ARRAY
	AuthorizingClaimMatchValue ClaimMatch `json:"authorizingClaimMatchValue"`
}

// ClaimMatch is how a claim's value is compared.
type ClaimMatch struct {
	ClaimMatchValue    ClaimMatchValue `json:"claimMatchValue"`
	ClaimMatchOperator string          `json:"claimMatchOperator"` // EQUALS, CONTAINS or CONTAINS_ANY
}

// ClaimMatchValue is a union: a single string or a list of strings.
type ClaimMatchValue struct {
	MatchValueString     *string  `json:"matchValueString,omitempty"`
	MatchValueStringList []string `json:"matchValueStringList,omitempty"`
}

// Record is one published server, agent, skill or custom resource. It keeps
// two revisions: Latest, what Get and List show and what curators act on,
// and Approved, the last approved content, which search serves while a newer
// revision is drafted or reviewed.
type Record struct {
	RegistryID string
	ID         string
	CreatedAt  time.Time
	Latest     Revision
	Approved   *Revision // nil when no revision is discoverable
	// Tags (GA TagResource) and the account that created the record; they
	// belong to the record, not to a revision.
	Tags      map[string]string // nil when none
	CreatedBy string            // 12-digit account id; "" when unknown
}

// RecordSummary is what a list of records shows of each: its latest
// revision without the descriptors, which stores need not read.
type RecordSummary struct {
	RegistryID     string
	ID             string
	CreatedAt      time.Time
	Name           string
	Description    string
	DescriptorType DescriptorType
	Version        string
	Status         RecordStatus
	UpdatedAt      time.Time
	// HasApproved: the record has an approved revision (search serves it).
	HasApproved bool
	// What the GA API's summaries show besides: "" / nil when not set.
	DisplayName string
	Provenance  []Provenance
	CreatedBy   string
	// Rev identifies this state of the record among all it ever had or
	// will have, for caches of what is derived from it (SQLite's rev
	// column, read in a read-only transaction); 0 when the store gives none.
	Rev int64
}

// Revision is one version of a record's content and its review state.
type Revision struct {
	Name           string
	Description    string // "" when not set
	DescriptorType DescriptorType
	Descriptors    Descriptors
	Version        string // recordVersion; "" when not set
	Status         RecordStatus
	StatusReason   string
	UpdatedAt      time.Time
	// SyncType is SyncURL when the content is fetched from Sync's source,
	// "" when the publisher gives it inline.
	SyncType string
	Sync     *SyncConfig // nil unless SyncType is set
	// GA only: the display name and the record's lineage.
	DisplayName string       // "" when not set
	Provenance  []Provenance // at most one
}

// Provenance is where a record was detected from (GA).
type Provenance struct {
	Relation      string // DETECTED_FROM
	SourceID      string // the upstream resource ARN
	SourceType    string // "" when not set
	SourceDetails []byte // the sourceDetails union as JSON; nil when not set
}

// DescriptorSource is where a descriptor's content is synchronized from
// (GA "source.fromUrl"); SourceSync makes it a record's SyncConfig.
type DescriptorSource struct {
	URL string
	// CredentialProviders is the credentialProviderConfigurations list as
	// JSON; nil when not set.
	CredentialProviders []byte
}

// SourceDescriptor is a descriptor that has only a source (GA http and
// agui).
type SourceDescriptor struct {
	Source *DescriptorSource
}

// Descriptors holds a record's content; exactly the branch of its
// descriptor type is set. The JSON shape is the wire shape.
type Descriptors struct {
	MCP         *MCPDescriptor         `json:"mcp,omitempty"`
	A2A         *A2ADescriptor         `json:"a2a,omitempty"`
	Custom      *CustomDescriptor      `json:"custom,omitempty"`
	AgentSkills *AgentSkillsDescriptor `json:"agentSkills,omitempty"`
	// GA only, not part of the preview wire shape.
	HTTP *SourceDescriptor `json:"-"`
	AGUI *SourceDescriptor `json:"-"`
}

// MCPDescriptor describes an MCP server and, optionally, its tools.
type MCPDescriptor struct {
	Server *ServerDefinition `json:"server,omitempty"`
	Tools  *ToolsDefinition  `json:"tools,omitempty"`
	Source *DescriptorSource `json:"-"` // GA only
}

// ServerDefinition holds an MCP Registry server.json document.
type ServerDefinition struct {
	SchemaVersion string `json:"schemaVersion,omitempty"`
	InlineContent string `json:"inlineContent,omitempty"`
}

// ToolsDefinition holds an MCP tools/list result.
type ToolsDefinition struct {
	ProtocolVersion string `json:"protocolVersion,omitempty"`
	InlineContent   string `json:"inlineContent,omitempty"`
}

// A2ADescriptor holds an A2A agent card.
type A2ADescriptor struct {
	AgentCard *AgentCardDefinition `json:"agentCard,omitempty"`
	Source    *DescriptorSource    `json:"-"` // GA only
}

// AgentCardDefinition holds an A2A agent card document.
type AgentCardDefinition struct {
	SchemaVersion string `json:"schemaVersion,omitempty"`
	InlineContent string `json:"inlineContent,omitempty"`
}

// CustomDescriptor holds any JSON document.
type CustomDescriptor struct {
	InlineContent string `json:"inlineContent,omitempty"`
}

// AgentSkillsDescriptor holds a SKILL.md and/or a skill definition.
type AgentSkillsDescriptor struct {
	SkillMd         *SkillMdDefinition `json:"skillMd,omitempty"`
	SkillDefinition *SkillDefinition   `json:"skillDefinition,omitempty"`
}

// SkillMdDefinition holds a SKILL.md document.
type SkillMdDefinition struct {
	InlineContent string            `json:"inlineContent,omitempty"`
	SchemaVersion string            `json:"-"` // GA only
	Source        *DescriptorSource `json:"-"` // GA only
}

// SkillDefinition holds a skill definition JSON document.
type SkillDefinition struct {
	SchemaVersion string `json:"schemaVersion,omitempty"`
	InlineContent string `json:"inlineContent,omitempty"`
}

// Update is one member of an update request: when Set is false the member
// was absent and stays unchanged; when Set is true, Value replaces it, and a
// nil Value clears it.
type Update[T any] struct {
	Set   bool
	Value *T
}

// Set returns an Update that sets v.
func Set[T any](v T) Update[T] { return Update[T]{Set: true, Value: &v} }

// Clear returns an Update that clears the member.
func Clear[T any]() Update[T] { return Update[T]{Set: true} }
