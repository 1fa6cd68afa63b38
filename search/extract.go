package search

import (
	"slices"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/agentry/agentry/registry"
)

// Field is one separately weighted part of a record's text.
type Field int

// The fields of a record, from the most to the least telling of what a
// record is for.
const (
	FieldName            Field = iota // record name, server.json name
	FieldTitle                        // server.json title, agent card name, skill name
	FieldToolName                     // tool names and titles, agent card skill names and ids
	FieldParam                        // tool parameter (inputSchema property) names
	FieldDescription                  // record description, server, agent and skill descriptions
	FieldToolDescription              // tool descriptions, agent card skill descriptions, tags and examples
	FieldBody                         // SKILL.md text, custom JSON, parameter descriptions, packages, environment
	NumFields
)

var fieldNames = [NumFields]string{"name", "title", "toolName", "param", "description", "toolDescription", "body"}

func (f Field) String() string {
	if f >= 0 && f < NumFields {
		return fieldNames[f]
	}
	return "field?"
}

// Limits on what is read from one record, so a huge or hostile document
// costs bounded time and memory. Descriptors are at most 100 KiB each.
const (
	maxFieldBytes   = 64 << 10
	maxJSONStrings  = 4096
	maxSchemaDepth  = 4
	maxEmbedBytes   = 2048 // of a query's text
	maxRecordEmbed  = 1024 // of a record's text (embedText)
	maxToolSummary  = 200
	maxFrontMatter  = 16 << 10
	maxPieceLenByte = 16 << 10
)

// docText is the text of one record, by field, before tokenising.
type docText struct {
	fields [NumFields][]string
	size   [NumFields]int
	seen   map[fieldText]bool
	// paramText holds the FieldBody strings that describe tool
	// parameters, which the semantic leg leaves out.
	paramText map[string]bool
}

// add appends s to field f unless it is empty, already there or over the
// field's budget. Duplicates are common (a server.json repeats the record
// name and description) and would otherwise count twice.
func (d *docText) add(f Field, s string) {
	s = strings.TrimSpace(s)
	if s == "" || d.size[f] >= maxFieldBytes {
		return
	}
	s = truncateUTF8(s, maxPieceLenByte)
	// A short scan finds the usual duplicates; a map keeps documents
	// with thousands of strings linear.
	if len(d.fields[f]) < 32 {
		if slices.Contains(d.fields[f], s) {
			return
		}
	} else {
		if d.seen == nil {
			d.seen = map[fieldText]bool{}
		}
		if len(d.fields[f]) == 32 {
			for _, have := range d.fields[f] {
				d.seen[fieldText{f, have}] = true
			}
		}
		if d.seen[fieldText{f, s}] {
			return
		}
		d.seen[fieldText{f, s}] = true
	}
	d.fields[f] = append(d.fields[f], s)
	d.size[f] += len(s)
}

// addParamText adds a parameter's description: body text for the lexical
// leg that embedText leaves out.
func (d *docText) addParamText(s string) {
	n := len(d.fields[FieldBody])
	d.add(FieldBody, s)
	if len(d.fields[FieldBody]) > n {
		if d.paramText == nil {
			d.paramText = map[string]bool{}
		}
		d.paramText[d.fields[FieldBody][n]] = true
	}
}

type fieldText struct {
	f Field
	s string
}

// embedText is what the semantic leg embeds: who the record is (title,
// name, description), what its tools are called and, while the budget
// lasts, the first sentence of each tool description and the body. One
// vector stands for the whole record, so the long parts are kept out: a
// tool description's usage notes and the parameters' descriptions, which
// would outweigh the record's identity in a server with many tools. The
// lexical leg still indexes all of it.
func (d *docText) embedText() string {
	var b strings.Builder
	for _, f := range []Field{FieldTitle, FieldName, FieldDescription, FieldToolName, FieldToolDescription, FieldBody} {
		for _, s := range d.fields[f] {
			if b.Len() >= maxRecordEmbed {
				return truncateUTF8(b.String(), maxRecordEmbed)
			}
			switch {
			case f == FieldToolDescription:
				s = summary(s)
			case f == FieldBody && d.paramText[s]:
				continue
			}
			if b.Len() > 0 {
				b.WriteString(". ")
			}
			b.WriteString(s)
		}
	}
	return truncateUTF8(b.String(), maxRecordEmbed)
}

// summary returns the first sentence of a description, with its spacing
// folded, at most maxToolSummary bytes.
func summary(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	for i := 0; i+1 < len(s); i++ {
		if (s[i] == '.' || s[i] == '!' || s[i] == '?') && s[i+1] == ' ' {
			s = s[:i+1]
			break
		}
	}
	return truncateUTF8(s, maxToolSummary)
}

func truncateUTF8(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && s[n]&0xC0 == 0x80 {
		n--
	}
	return s[:n]
}

// extract collects the searchable text of a revision. Content was validated
// when it was written, but nothing here trusts that: a document that does
// not parse contributes what can be read of it, never a panic.
func extract(rev *registry.Revision) *docText {
	d := &docText{}
	d.add(FieldName, rev.Name)
	if rev.DisplayName != "" { // GA records only
		d.add(FieldName, rev.DisplayName)
	}
	d.add(FieldDescription, rev.Description)
	ds := rev.Descriptors
	if m := ds.MCP; m != nil {
		if m.Server != nil {
			extractServer(d, m.Server.InlineContent)
		}
		if m.Tools != nil {
			extractTools(d, m.Tools.InlineContent)
		}
	}
	if a := ds.A2A; a != nil && a.AgentCard != nil {
		extractAgentCard(d, a.AgentCard.InlineContent)
	}
	if s := ds.AgentSkills; s != nil {
		if s.SkillMd != nil {
			extractSkillMd(d, s.SkillMd.InlineContent)
		}
		if s.SkillDefinition != nil {
			extractNamedJSON(d, s.SkillDefinition.InlineContent)
		}
	}
	if c := ds.Custom; c != nil {
		extractNamedJSON(d, c.InlineContent)
	}
	addProductKnowledge(d)
	return d
}

// notJSON indexes unreadable content as plain text of low weight.
func notJSON(d *docText, content string) {
	d.add(FieldBody, content)
}

// addString adds the next JSON value to field f if it is a string.
func addString(d *docText, r *jsonReader, f Field) {
	if s, ok := r.str(); ok {
		d.add(f, s)
	}
}

// extractServer reads an MCP server.json: identity, packages, remotes.
func extractServer(d *docText, content string) {
	r := &jsonReader{s: content}
	if r.peek() != '{' {
		notJSON(d, content)
		return
	}
	named := func() { // lists of {name, description}
		r.array(func() {
			r.object(func(k string) {
				if k == "name" || k == "description" {
					addString(d, r, FieldBody)
				}
			})
		})
	}
	r.object(func(k string) {
		switch k {
		case "name":
			addString(d, r, FieldName)
		case "title":
			addString(d, r, FieldTitle)
		case "description":
			addString(d, r, FieldDescription)
		case "websiteUrl":
			addString(d, r, FieldBody)
		case "repository":
			r.object(func(k string) {
				if k == "url" || k == "subfolder" {
					addString(d, r, FieldBody)
				}
			})
		case "packages":
			r.array(func() {
				r.object(func(k string) {
					switch k {
					case "identifier", "name": // name: the 2025 seed format
						addString(d, r, FieldBody)
					case "environmentVariables", "environment_variables", "packageArguments":
						named()
					}
				})
			})
		case "remotes":
			r.array(func() {
				r.object(func(k string) {
					if k == "url" {
						addString(d, r, FieldBody)
					}
				})
			})
		}
	})
}

// extractTools reads a tools/list result (or a bare array of tools).
func extractTools(d *docText, content string) {
	r := &jsonReader{s: content}
	tool := func() {
		r.object(func(k string) {
			switch k {
			case "name", "title":
				addString(d, r, FieldToolName)
			case "description":
				addString(d, r, FieldToolDescription)
			case "annotations":
				r.object(func(k string) {
					if k == "title" {
						addString(d, r, FieldToolName)
					}
				})
			case "inputSchema":
				extractSchema(d, r, 0)
			}
		})
	}
	switch r.peek() {
	case '[':
		r.array(tool)
	case '{':
		r.object(func(k string) {
			if k == "tools" {
				r.array(tool)
			}
		})
	default:
		notJSON(d, content)
	}
}

// extractSchema reads a JSON schema: property names are parameter names,
// their descriptions body text; nested objects and arrays are read to a
// bounded depth.
func extractSchema(d *docText, r *jsonReader, depth int) {
	if depth >= maxSchemaDepth {
		r.skip()
		return
	}
	r.object(func(k string) {
		switch k {
		case "properties":
			r.object(func(name string) {
				d.add(FieldParam, name)
				extractSchema(d, r, depth+1)
			})
		case "items":
			extractSchema(d, r, depth+1)
		case "description":
			if s, ok := r.str(); ok && depth > 0 {
				d.addParamText(s)
			}
		}
	})
}

// extractAgentCard reads an A2A agent card: the agent and its skills.
func extractAgentCard(d *docText, content string) {
	r := &jsonReader{s: content}
	if r.peek() != '{' {
		notJSON(d, content)
		return
	}
	r.object(func(k string) {
		switch k {
		case "name":
			addString(d, r, FieldTitle)
		case "description":
			addString(d, r, FieldDescription)
		case "provider":
			r.object(func(k string) {
				if k == "organization" {
					addString(d, r, FieldBody)
				}
			})
		case "skills":
			r.array(func() {
				r.object(func(k string) {
					switch k {
					case "id", "name":
						addString(d, r, FieldToolName)
					case "description":
						addString(d, r, FieldToolDescription)
					case "tags", "examples":
						r.array(func() { addString(d, r, FieldToolDescription) })
					}
				})
			})
		}
	})
}

// extractSkillMd reads the YAML front matter's name and description and
// keeps the Markdown body as text.
func extractSkillMd(d *docText, content string) {
	front, body, ok := splitFrontMatter(content)
	if !ok {
		d.add(FieldBody, content)
		return
	}
	var meta map[string]any
	if len(front) <= maxFrontMatter && yamlUnmarshal(front, &meta) {
		if s, ok := meta["name"].(string); ok {
			d.add(FieldTitle, s)
		}
		if s, ok := meta["description"].(string); ok {
			d.add(FieldDescription, s)
		}
		if s, ok := meta["compatibility"].(string); ok {
			d.add(FieldBody, s)
		}
	}
	d.add(FieldBody, body)
}

// yamlUnmarshal never panics, whatever the input.
func yamlUnmarshal(s string, v any) (ok bool) {
	defer func() {
		if recover() != nil {
			ok = false
		}
	}()
	return yaml.Unmarshal([]byte(s), v) == nil
}

// splitFrontMatter splits a SKILL.md at its "---" lines.
func splitFrontMatter(content string) (front, body string, ok bool) {
	first, rest, found := strings.Cut(content, "\n")
	if !found || strings.TrimSpace(first) != "---" {
		return "", content, false
	}
	for off := 0; off < len(rest); {
		line, _, _ := strings.Cut(rest[off:], "\n")
		if strings.TrimSpace(line) == "---" {
			end := off + len(line)
			if end < len(rest) {
				end++
			}
			return rest[:off], rest[end:], true
		}
		off += len(line) + 1
	}
	return "", content, false
}

// extractNamedJSON reads any JSON document (a skill definition, a custom
// resource): top-level name/title and description go to their fields,
// every other string value to the body, within limits.
func extractNamedJSON(d *docText, content string) {
	r := &jsonReader{s: content}
	n := 0
	body := func(s string) bool {
		d.add(FieldBody, s)
		n++
		return n < maxJSONStrings
	}
	switch r.peek() {
	case '{':
		r.object(func(k string) {
			switch {
			case r.peek() == '"' && (k == "name" || k == "title" || k == "displayName"):
				addString(d, r, FieldTitle)
			case r.peek() == '"' && k == "description":
				addString(d, r, FieldDescription)
			case n < maxJSONStrings:
				r.strings(body)
			}
		})
	case '[':
		r.strings(body)
	case '"':
		addString(d, r, FieldBody)
	case 0:
	default:
		if !looksLikeJSONScalar(content) {
			notJSON(d, content)
		}
	}
}

// looksLikeJSONScalar reports whether content is a number, true, false or
// null, which hold nothing to search.
func looksLikeJSONScalar(content string) bool {
	r := &jsonReader{s: content}
	r.skip()
	return !r.bad && r.peek() == 0
}
