package interop

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// The client configurations of docs/mcp.md are copied and pasted: each JSON
// block, and each --authorizer-configuration of its commands, must be
// valid JSON, and the registry configuration must be the shape the API
// takes (the OAuth tests configure their registries the same way).
func TestMCPDocSnippets(t *testing.T) {
	doc, err := os.ReadFile(filepath.Join("..", "docs", "mcp.md"))
	if err != nil {
		t.Fatal(err)
	}
	blocks := regexp.MustCompile("(?s)```(json|sh)\n(.*?)```").FindAllStringSubmatch(string(doc), -1)
	jsonBlocks, configs := 0, 0
	for _, b := range blocks {
		switch b[1] {
		case "json":
			jsonBlocks++
			if !json.Valid([]byte(b[2])) {
				t.Errorf("docs/mcp.md: a JSON block is not valid JSON:\n%s", b[2])
			}
		case "sh":
			for _, m := range regexp.MustCompile(`(?s)--authorizer-configuration '([^']*)'`).FindAllStringSubmatch(b[2], -1) {
				configs++
				var v struct {
					OptionalValue *struct {
						CustomJWTAuthorizer map[string]any `json:"customJWTAuthorizer"`
					} `json:"optionalValue"`
					CustomJWTAuthorizer map[string]any `json:"customJWTAuthorizer"`
				}
				if err := json.Unmarshal([]byte(m[1]), &v); err != nil {
					t.Errorf("docs/mcp.md: --authorizer-configuration %s: %v", m[1], err)
					continue
				}
				c := v.CustomJWTAuthorizer
				if v.OptionalValue != nil {
					c = v.OptionalValue.CustomJWTAuthorizer
				}
				if u, _ := c["discoveryUrl"].(string); !strings.HasSuffix(u, "/.well-known/openid-configuration") {
					t.Errorf("docs/mcp.md: --authorizer-configuration %s has no customJWTAuthorizer.discoveryUrl", m[1])
				}
			}
		}
	}
	if jsonBlocks < 7 || configs < 2 {
		t.Errorf("found %d JSON blocks and %d --authorizer-configuration values in docs/mcp.md; the set-ups are missing", jsonBlocks, configs)
	}
}
