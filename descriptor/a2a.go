package descriptor

import (
	"slices"
	"strings"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// DefaultA2ASchemaVersion is the Agent Card version assumed when a descriptor
// names none and the card does not look like a 1.0 card.
const DefaultA2ASchemaVersion = "0.3"

// a2aSchemaFiles maps each accepted A2A schemaVersion to its schema.
var a2aSchemaFiles = map[string]string{
	"0.3":   "a2a-agent-card-0.3.schema.json",
	"0.3.0": "a2a-agent-card-0.3.schema.json",
	"1.0":   "a2a-agent-card-1.0.schema.json",
	"1.0.0": "a2a-agent-card-1.0.schema.json",
}

var a2aVersions = []string{"0.3", "0.3.0", "1.0", "1.0.0"}

// SupportedA2ASchemaVersions returns the Agent Card schema versions
// A2AAgentCard accepts.
func SupportedA2ASchemaVersions() []string { return slices.Clone(a2aVersions) }

// A2AAgentCard validates an A2A Agent Card. schemaVersion is "0.3" (cards with
// a top-level url) or "1.0" (cards with supportedInterfaces); "0.3.0" and
// "1.0.0" are accepted as well. When it is empty, a card that has
// supportedInterfaces and no url is taken for a 1.0 card and anything else for
// a 0.3 card, so that a 1.0 card is not told it lacks a url.
func A2AAgentCard(schemaVersion, content string) error {
	v := strings.TrimSpace(schemaVersion)
	if v != "" {
		if _, ok := a2aSchemaFiles[v]; !ok {
			return unsupportedVersion("A2A schemaVersion", schemaVersion, a2aVersions)
		}
	}
	return validateJSON(content, func(s *compiledSchemas, doc any) *jsonschema.Schema {
		use := v
		if use == "" {
			use = DefaultA2ASchemaVersion
			if obj, ok := doc.(map[string]any); ok {
				_, hasInterfaces := obj["supportedInterfaces"]
				_, hasURL := obj["url"]
				if hasInterfaces && !hasURL {
					use = "1.0"
				}
			}
		}
		return s.a2aCard[use]
	})
}
