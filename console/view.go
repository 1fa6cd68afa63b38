package console

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/agentry/agentry/registry"
)

// revisionView is a revision as the record page shows it.
type revisionView struct {
	registry.Revision
	// Document is the descriptor's documents as text, pretty-printed, each
	// under a heading line; the diff compares two of them.
	Document    string
	Tools       []toolView
	Skills      []skillView
	FrontMatter []keyValue
}

type toolView struct {
	Name        string
	Description string
	Params      []paramView
}

type paramView struct {
	Name        string
	Type        string
	Required    bool
	Description string
}

type skillView struct {
	ID, Name, Description string
	Tags                  []string
}

type keyValue struct{ Key, Value string }

// Bounds on what the record page lists, so that a huge descriptor still
// makes a small page.
const (
	maxTools  = 100
	maxParams = 30
	maxSkills = 100
)

func viewRevision(rev registry.Revision) revisionView {
	v := revisionView{Revision: rev}
	var doc strings.Builder
	part := func(title, content string) {
		if content == "" {
			return
		}
		fmt.Fprintf(&doc, "# %s\n%s\n", title, pretty(content))
	}
	d := rev.Descriptors
	if d.MCP != nil {
		if d.MCP.Server != nil {
			part("server.json", d.MCP.Server.InlineContent)
		}
		if d.MCP.Tools != nil {
			part("tools", d.MCP.Tools.InlineContent)
			v.Tools = mcpTools(d.MCP.Tools.InlineContent)
		}
	}
	if d.A2A != nil && d.A2A.AgentCard != nil {
		part("agent card", d.A2A.AgentCard.InlineContent)
		v.Skills = cardSkills(d.A2A.AgentCard.InlineContent)
	}
	if d.Custom != nil {
		part("custom", d.Custom.InlineContent)
	}
	if d.AgentSkills != nil {
		if d.AgentSkills.SkillMd != nil {
			part("SKILL.md", d.AgentSkills.SkillMd.InlineContent)
			v.FrontMatter = frontMatter(d.AgentSkills.SkillMd.InlineContent)
		}
		if d.AgentSkills.SkillDefinition != nil {
			part("skill definition", d.AgentSkills.SkillDefinition.InlineContent)
		}
	}
	v.Document = doc.String()
	return v
}

// pretty indents a JSON document; anything else is shown as it is.
func pretty(s string) string {
	var b bytes.Buffer
	if json.Indent(&b, []byte(strings.TrimSpace(s)), "", "  ") == nil {
		return b.String()
	}
	return strings.TrimRight(s, " \t\r\n")
}

// mcpTools lists the tools of a tools/list result with their parameters.
func mcpTools(content string) []toolView {
	var doc struct {
		Tools []struct {
			Name        string `json:"name"`
			Title       string `json:"title"`
			Description string `json:"description"`
			InputSchema struct {
				Properties map[string]struct {
					Type        any    `json:"type"`
					Description string `json:"description"`
				} `json:"properties"`
				Required []string `json:"required"`
			} `json:"inputSchema"`
		} `json:"tools"`
	}
	if json.Unmarshal([]byte(content), &doc) != nil {
		return nil
	}
	var out []toolView
	for _, t := range doc.Tools[:min(len(doc.Tools), maxTools)] {
		tv := toolView{Name: t.Name, Description: t.Description}
		if tv.Description == "" {
			tv.Description = t.Title
		}
		names := make([]string, 0, len(t.InputSchema.Properties))
		for n := range t.InputSchema.Properties {
			names = append(names, n)
		}
		slices.Sort(names)
		for _, n := range names[:min(len(names), maxParams)] {
			p := t.InputSchema.Properties[n]
			tv.Params = append(tv.Params, paramView{Name: n, Type: typeName(p.Type), Description: p.Description,
				Required: slices.Contains(t.InputSchema.Required, n)})
		}
		out = append(out, tv)
	}
	return out
}

// typeName renders a JSON Schema "type": a name or a list of names.
func typeName(t any) string {
	switch t := t.(type) {
	case string:
		return t
	case []any:
		var parts []string
		for _, p := range t {
			if s, ok := p.(string); ok {
				parts = append(parts, s)
			}
		}
		return strings.Join(parts, " | ")
	}
	return ""
}

// cardSkills lists an agent card's skills.
func cardSkills(content string) []skillView {
	var doc struct {
		Skills []struct {
			ID          string   `json:"id"`
			Name        string   `json:"name"`
			Description string   `json:"description"`
			Tags        []string `json:"tags"`
		} `json:"skills"`
	}
	if json.Unmarshal([]byte(content), &doc) != nil {
		return nil
	}
	var out []skillView
	for _, s := range doc.Skills[:min(len(doc.Skills), maxSkills)] {
		out = append(out, skillView{ID: s.ID, Name: s.Name, Description: s.Description, Tags: s.Tags})
	}
	return out
}

// frontMatter returns the top-level fields of a SKILL.md's YAML front
// matter, in their order; values that are not scalars are shown as YAML.
func frontMatter(md string) (out []keyValue) {
	defer func() {
		if recover() != nil { // hostile YAML must not take the page down
			out = nil
		}
	}()
	md = strings.TrimPrefix(md, "\ufeff")
	rest, ok := strings.CutPrefix(strings.ReplaceAll(md, "\r\n", "\n"), "---\n")
	if !ok {
		return nil
	}
	front, _, ok := strings.Cut(rest, "\n---")
	if !ok {
		return nil
	}
	var doc yaml.Node
	if yaml.Unmarshal([]byte(front), &doc) != nil || len(doc.Content) == 0 || doc.Content[0].Kind != yaml.MappingNode {
		return nil
	}
	m := doc.Content[0].Content
	for i := 0; i+1 < len(m) && len(out) < 50; i += 2 {
		val := m[i+1].Value
		if m[i+1].Kind != yaml.ScalarNode {
			b, _ := yaml.Marshal(m[i+1])
			val = strings.TrimSpace(string(b))
		}
		out = append(out, keyValue{m[i].Value, val})
	}
	return out
}
