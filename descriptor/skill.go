package descriptor

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"gopkg.in/yaml.v3"
)

// Limits from the Agent Skills specification (https://agentskills.io/specification).
const (
	maxSkillNameChars     = 64
	maxSkillDescChars     = 1024
	maxSkillCompatChars   = 500
	frontMatterPointer    = "front matter"
	frontMatterDelimiter  = "---"
	maxAliasFollowingHops = 8
)

// SkillDefinition validates a structured skill definition (JSON). No published
// standard versions this document, so schemaVersion is informational: every
// value is validated against agentry's one skill definition schema, which
// carries the SKILL.md front-matter rules (see schemas/README.md).
func SkillDefinition(schemaVersion, content string) error {
	return validateJSON(content, func(s *compiledSchemas, _ any) *jsonschema.Schema {
		return s.skillDefinition
	})
}

// SkillMarkdown validates a SKILL.md: YAML front matter between "---" lines,
// holding a mapping with a valid name and description, followed by Markdown.
// Problems point at "front matter" or "front matter.<field>". Fields other than
// those of the specification are allowed, since agents define their own.
func SkillMarkdown(content string) (err error) {
	content, cerr := checkContent(content)
	if cerr != nil {
		return cerr
	}
	// yaml.v3 is robust, but a panic on hostile input must not take the
	// request (or the server) down with it.
	defer func() {
		if r := recover(); r != nil {
			err = fail(frontMatterPointer, "could not be parsed")
		}
	}()

	front, ok := frontMatter(content)
	if !ok {
		if !startsWithDelimiter(content) {
			return fail(frontMatterPointer, "missing: SKILL.md must start with a line '---', then the YAML front matter, then another line '---'")
		}
		return fail(frontMatterPointer, "not closed: add a line '---' after the YAML")
	}

	var doc yaml.Node
	if err := yaml.Unmarshal([]byte(front), &doc); err != nil {
		return fail(frontMatterPointer, "not valid YAML: %s", yamlErrorText(err))
	}
	if len(doc.Content) == 0 {
		return fail(frontMatterPointer, "is empty: it must be a YAML mapping with name and description")
	}
	root := resolveAlias(doc.Content[0])
	if root.Kind != yaml.MappingNode {
		return fail(frontMatterPointer, "must be a YAML mapping of fields, got %s", nodeKind(root))
	}

	var v skillValidator
	v.check(root)
	if len(v.problems) == 0 {
		return nil
	}
	if len(v.problems) > maxProblems {
		v.problems = v.problems[:maxProblems]
	}
	return &Error{Problems: v.problems}
}

// frontMatter returns the text between the opening "---" line and the next
// "---" line. Both LF and CRLF line ends are accepted, as is trailing blank.
func frontMatter(content string) (string, bool) {
	first, rest, found := strings.Cut(content, "\n")
	if !found || strings.TrimRight(first, " \t\r") != frontMatterDelimiter {
		return "", false
	}
	for off := 0; off <= len(rest); {
		line, _, _ := strings.Cut(rest[off:], "\n")
		if strings.TrimRight(line, " \t\r") == frontMatterDelimiter {
			return rest[:off], true
		}
		off += len(line) + 1
	}
	return "", false
}

func startsWithDelimiter(content string) bool {
	first, _, _ := strings.Cut(content, "\n")
	return strings.TrimRight(first, " \t\r") == frontMatterDelimiter
}

// yamlLine matches the position yaml.v3 puts in its messages. Lines there are
// counted from the start of the front matter, which is line 2 of SKILL.md.
var yamlLine = regexp.MustCompile(`^yaml: line (\d+): `)

func yamlErrorText(err error) string {
	msg := err.Error()
	if m := yamlLine.FindStringSubmatch(msg); m != nil {
		if n, convErr := strconv.Atoi(m[1]); convErr == nil {
			return fmt.Sprintf("line %d: %s", n+1, msg[len(m[0]):])
		}
	}
	return strings.TrimPrefix(msg, "yaml: ")
}

type skillValidator struct {
	problems []Problem
}

func (v *skillValidator) add(field, format string, args ...any) {
	v.problems = append(v.problems, Problem{
		Pointer: frontMatterPointer + "." + field,
		Message: fmt.Sprintf(format, args...),
	})
}

// check validates the front-matter fields the specification defines.
func (v *skillValidator) check(m *yaml.Node) {
	fields := map[string]*yaml.Node{}
	for i := 0; i+1 < len(m.Content); i += 2 {
		key, val := resolveAlias(m.Content[i]), resolveAlias(m.Content[i+1])
		if key.Kind != yaml.ScalarNode {
			v.problems = append(v.problems, Problem{Pointer: frontMatterPointer, Message: "field names must be plain strings"})
			continue
		}
		if _, dup := fields[key.Value]; dup {
			v.add(key.Value, "is defined more than once")
			continue
		}
		fields[key.Value] = val
	}

	if n, ok := fields["name"]; !ok {
		v.add("name", "missing property 'name'")
	} else if s, ok := v.text("name", n, true); ok {
		if msg := skillNameProblem(s); msg != "" {
			v.add("name", "%s", msg)
		}
	}

	if n, ok := fields["description"]; !ok {
		v.add("description", "missing property 'description'")
	} else if s, ok := v.text("description", n, true); ok {
		if c := utf8.RuneCountInString(s); c > maxSkillDescChars {
			v.add("description", "must be at most %d characters long, got %d", maxSkillDescChars, c)
		}
	}

	if n, ok := fields["license"]; ok && !isNull(n) {
		v.text("license", n, false)
	}

	if n, ok := fields["compatibility"]; ok && !isNull(n) {
		if s, ok := v.text("compatibility", n, true); ok {
			if c := utf8.RuneCountInString(s); c > maxSkillCompatChars {
				v.add("compatibility", "must be at most %d characters long, got %d", maxSkillCompatChars, c)
			}
		}
	}

	if n, ok := fields["metadata"]; ok && !isNull(n) {
		v.checkMetadata(n)
	}

	if n, ok := fields["allowed-tools"]; ok && !isNull(n) {
		v.checkAllowedTools(n)
	}
}

// text returns the text of a scalar field. Any scalar is accepted (name: 2048
// is text to a person, whatever YAML's type tag says); mappings and lists are
// not. With nonEmpty, null and blank values are rejected.
func (v *skillValidator) text(field string, n *yaml.Node, nonEmpty bool) (string, bool) {
	if n.Kind != yaml.ScalarNode {
		v.add(field, "must be a string, got %s", nodeKind(n))
		return "", false
	}
	if nonEmpty && (isNull(n) || strings.TrimSpace(n.Value) == "") {
		v.add(field, "must not be empty")
		return "", false
	}
	return n.Value, true
}

func (v *skillValidator) checkMetadata(n *yaml.Node) {
	if n.Kind != yaml.MappingNode {
		v.add("metadata", "must be a mapping of string keys to string values, got %s", nodeKind(n))
		return
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		key, val := resolveAlias(n.Content[i]), resolveAlias(n.Content[i+1])
		if key.Kind != yaml.ScalarNode {
			v.add("metadata", "keys must be strings, got %s", nodeKind(key))
			continue
		}
		// Unquoted numbers (version: 1.0) are still text here.
		if val.Kind != yaml.ScalarNode || isNull(val) {
			v.add("metadata."+key.Value, "must be a string, got %s", nodeKind(val))
		}
	}
}

func (v *skillValidator) checkAllowedTools(n *yaml.Node) {
	switch n.Kind {
	case yaml.ScalarNode:
		return
	case yaml.SequenceNode:
		for i, item := range n.Content {
			if item = resolveAlias(item); item.Kind != yaml.ScalarNode || isNull(item) {
				v.add(fmt.Sprintf("allowed-tools.%d", i), "must be a string, got %s", nodeKind(item))
			}
		}
	default:
		v.add("allowed-tools", "must be a space-separated string or a list of tool names, got %s", nodeKind(n))
	}
}

// skillNameProblem explains why name breaks the Agent Skills naming rules, or
// returns "" when it is valid.
func skillNameProblem(name string) string {
	if c := utf8.RuneCountInString(name); c > maxSkillNameChars {
		return fmt.Sprintf("must be at most %d characters long, got %d", maxSkillNameChars, c)
	}
	for _, r := range name {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-') {
			return fmt.Sprintf("must contain only lowercase letters (a-z), digits (0-9) and hyphens, got %s", display(name))
		}
	}
	if strings.HasPrefix(name, "-") || strings.HasSuffix(name, "-") {
		return fmt.Sprintf("must not start or end with a hyphen, got %s", display(name))
	}
	if strings.Contains(name, "--") {
		return fmt.Sprintf("must not contain consecutive hyphens, got %s", display(name))
	}
	return ""
}

// resolveAlias follows YAML aliases (*anchor) to the node they stand for.
func resolveAlias(n *yaml.Node) *yaml.Node {
	for i := 0; n != nil && n.Kind == yaml.AliasNode && n.Alias != nil && i < maxAliasFollowingHops; i++ {
		n = n.Alias
	}
	return n
}

func isNull(n *yaml.Node) bool {
	return n.Kind == yaml.ScalarNode && n.Tag == "!!null"
}

// nodeKind names a YAML node's kind for messages.
func nodeKind(n *yaml.Node) string {
	switch {
	case n == nil:
		return "nothing"
	case n.Kind == yaml.MappingNode:
		return "a mapping"
	case n.Kind == yaml.SequenceNode:
		return "a list"
	case isNull(n):
		return "null"
	case n.Kind == yaml.ScalarNode:
		return "a scalar"
	default:
		return "an alias"
	}
}
