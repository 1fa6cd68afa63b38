package descriptor

import (
	"encoding/json"
	"strings"
)

// ServerVersion returns the "version" of an MCP server.json (for 2025-07-09
// documents, version_detail.version), "" if absent or unparsable.
func ServerVersion(content string) string {
	var doc struct {
		Version       any `json:"version"`
		VersionDetail *struct {
			Version any `json:"version"`
		} `json:"version_detail"`
	}
	if json.Unmarshal([]byte(strings.TrimPrefix(content, "\uFEFF")), &doc) != nil {
		return ""
	}
	if v, ok := doc.Version.(string); ok {
		return v
	}
	if doc.VersionDetail != nil {
		v, _ := doc.VersionDetail.Version.(string)
		return v
	}
	return ""
}

// AgentCardVersion returns the agent card's "version", "" if absent or
// unparsable.
func AgentCardVersion(content string) string {
	var doc struct {
		Version any `json:"version"`
	}
	if json.Unmarshal([]byte(strings.TrimPrefix(content, "\uFEFF")), &doc) != nil {
		return ""
	}
	v, _ := doc.Version.(string)
	return v
}
