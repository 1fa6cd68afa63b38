package search

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/agentry/agentry/registry"
)

// Limits on a filter document, so any filter is cheap to check per record.
const (
	MaxFilterDepth   = 8   // nested $and / $or levels
	MaxFilterClauses = 100 // operators and logical nodes, and values of all $in lists
	maxFilterBytes   = 64 << 10
	maxFilterErrors  = 10
)

// Filter is a parsed, validated filter document (spec section 6): field
// operators $eq, $ne and $in over name, descriptorType and version,
// combined with $and and $or. Keys side by side in one object must all
// hold. A nil *Filter matches every record.
type Filter struct {
	root filterNode
}

type filterOp uint8

const (
	opAnd filterOp = iota
	opOr
	opEq
	opNe
	opIn
)

type filterField uint8

const (
	fieldName filterField = iota
	fieldDescriptorType
	fieldVersion
)

type filterNode struct {
	op     filterOp
	field  filterField
	values []string     // $eq and $ne: one; $in: the list
	kids   []filterNode // $and, $or
}

// ParseFilter parses the filters member of a search request. Absent or
// JSON null means no filter (nil, nil). Errors are *registry.Error of
// KindInvalid naming the path of each problem from "filters", for example
// filters.$and[1].version: unknown operator "$gt"; use $eq, $ne or $in.
func ParseFilter(raw json.RawMessage) (*Filter, error) {
	return parseFilterJSON(raw, "filters")
}

// ParseFilterValue validates a filter already decoded from JSON (maps,
// slices, strings, numbers, booleans and nil, as encoding/json makes
// them), such as the filter argument of the MCP tool; root names it in
// error messages ("filter"). A nil v means no filter.
func ParseFilterValue(v any, root string) (*Filter, error) {
	if v == nil {
		return nil, nil
	}
	p := filterParser{}
	node := p.object(v, root, 0)
	if err := p.err(); err != nil {
		return nil, err
	}
	return &Filter{root: node}, nil
}

func parseFilterJSON(raw json.RawMessage, root string) (*Filter, error) {
	trimmed := bytes.TrimSpace(raw)
	if len(trimmed) == 0 || string(trimmed) == "null" {
		return nil, nil
	}
	if len(trimmed) > maxFilterBytes {
		return nil, filterError([]registry.FieldError{{Name: root, Message: fmt.Sprintf("is too large (%d bytes, at most %d)", len(trimmed), maxFilterBytes)}})
	}
	dec := json.NewDecoder(bytes.NewReader(trimmed))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, filterError([]registry.FieldError{{Name: root, Message: "is not valid JSON: " + strings.TrimPrefix(err.Error(), "json: ")}})
	}
	if dec.More() {
		return nil, filterError([]registry.FieldError{{Name: root, Message: "is not valid JSON: unexpected data after the filter object"}})
	}
	return ParseFilterValue(v, root)
}

func filterError(fields []registry.FieldError) error {
	msgs := make([]string, len(fields))
	for i, f := range fields {
		msgs[i] = f.Name + ": " + f.Message
	}
	return &registry.Error{
		Kind:    registry.KindInvalid,
		Reason:  registry.ReasonFieldValidationFailed,
		Message: strings.Join(msgs, "; "),
		Fields:  fields,
	}
}

type filterParser struct {
	problems []registry.FieldError
	clauses  int
	tooMany  bool
}

func (p *filterParser) fail(path, format string, args ...any) {
	if len(p.problems) < maxFilterErrors {
		p.problems = append(p.problems, registry.FieldError{Name: path, Message: fmt.Sprintf(format, args...)})
	}
}

func (p *filterParser) err() error {
	if len(p.problems) == 0 {
		return nil
	}
	return filterError(p.problems)
}

// count charges n clauses and reports whether the budget still holds.
func (p *filterParser) count(path string, n int) bool {
	p.clauses += n
	if p.clauses > MaxFilterClauses {
		if !p.tooMany {
			p.tooMany = true
			p.fail(path, "the filter has too many conditions (at most %d, counting each operator and each $in value)", MaxFilterClauses)
		}
		return false
	}
	return true
}

const fieldList = "name, descriptorType or version"

// object parses a filter object: every key must hold (an implicit $and).
func (p *filterParser) object(v any, path string, depth int) filterNode {
	m, ok := v.(map[string]any)
	if !ok {
		p.fail(path, "must be a JSON object such as {\"descriptorType\": {\"$eq\": \"MCP\"}}, got %s", jsonKind(v))
		return filterNode{op: opAnd}
	}
	node := filterNode{op: opAnd}
	for _, key := range sortedKeys(m) {
		if p.tooMany {
			break
		}
		sub := path + "." + key
		switch key {
		case "$and", "$or":
			if depth+1 > MaxFilterDepth {
				p.fail(sub, "nesting is too deep (at most %d levels of $and / $or)", MaxFilterDepth)
				continue
			}
			node.kids = append(node.kids, p.logical(key, m[key], sub, depth+1))
		case "name", "descriptorType", "version":
			node.kids = append(node.kids, p.field(key, m[key], sub)...)
		default:
			if strings.HasPrefix(key, "$") {
				p.fail(sub, "unknown operator %q; use $and or $or here, or a field: %s", key, fieldList)
			} else {
				p.fail(sub, "unknown field %q; filterable fields are %s", key, fieldList)
			}
		}
	}
	if len(node.kids) == 1 {
		return node.kids[0]
	}
	return node
}

func (p *filterParser) logical(key string, v any, path string, depth int) filterNode {
	node := filterNode{op: opAnd}
	if key == "$or" {
		node.op = opOr
	}
	list, ok := v.([]any)
	if !ok || len(list) == 0 {
		p.fail(path, "must be a non-empty array of filter objects, got %s", jsonKind(v))
		return node
	}
	if !p.count(path, 1) {
		return node
	}
	for i, e := range list {
		if p.tooMany {
			break
		}
		node.kids = append(node.kids, p.object(e, fmt.Sprintf("%s[%d]", path, i), depth))
	}
	return node
}

// field parses {"$eq": v}, {"$ne": v}, {"$in": [...]} (several operators
// must all hold) or a bare string, read as $eq.
func (p *filterParser) field(name string, v any, path string) []filterNode {
	f := map[string]filterField{"name": fieldName, "descriptorType": fieldDescriptorType, "version": fieldVersion}[name]
	if s, ok := v.(string); ok {
		if !p.count(path, 1) || !p.value(f, s, path) {
			return nil
		}
		return []filterNode{{op: opEq, field: f, values: []string{s}}}
	}
	m, ok := v.(map[string]any)
	if !ok || len(m) == 0 {
		p.fail(path, "must be an object with an operator, such as {\"$eq\": \"...\"}; use $eq, $ne or $in, got %s", jsonKind(v))
		return nil
	}
	var out []filterNode
	for _, op := range sortedKeys(m) {
		sub := path + "." + op
		switch op {
		case "$eq", "$ne":
			s, ok := m[op].(string)
			if !ok {
				p.fail(sub, "must be a string, got %s", jsonKind(m[op]))
				continue
			}
			if !p.count(sub, 1) || !p.value(f, s, sub) {
				continue
			}
			node := filterNode{op: opEq, field: f, values: []string{s}}
			if op == "$ne" {
				node.op = opNe
			}
			out = append(out, node)
		case "$in":
			list, ok := m[op].([]any)
			if !ok || len(list) == 0 {
				p.fail(sub, "must be a non-empty array of strings, got %s", jsonKind(m[op]))
				continue
			}
			if !p.count(sub, len(list)) {
				continue
			}
			node := filterNode{op: opIn, field: f}
			valid := true
			for i, e := range list {
				s, ok := e.(string)
				at := fmt.Sprintf("%s[%d]", sub, i)
				if !ok {
					p.fail(at, "must be a string, got %s", jsonKind(e))
					valid = false
					continue
				}
				if !p.value(f, s, at) {
					valid = false
					continue
				}
				node.values = append(node.values, s)
			}
			if valid {
				out = append(out, node)
			}
		default:
			p.fail(path, "unknown operator %q; use $eq, $ne or $in", op)
		}
	}
	return out
}

var descriptorTypes = []string{
	string(registry.DescriptorMCP), string(registry.DescriptorA2A),
	string(registry.DescriptorCustom), string(registry.DescriptorAgentSkills), string(registry.DescriptorGateway),
}

// value checks one value against its field; an unknown descriptor type
// would silently match nothing, so it is an error.
func (p *filterParser) value(f filterField, s, path string) bool {
	if f == fieldDescriptorType && !slices.Contains(descriptorTypes, s) {
		p.fail(path, "unknown descriptor type %q; use MCP, A2A, CUSTOM or AGENT_SKILLS", s)
		return false
	}
	return true
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys) // deterministic order of errors and clauses
	return keys
}

func jsonKind(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case string:
		return "string"
	case bool:
		return "boolean"
	case float64, float32, int, int64, json.Number:
		return "number"
	case []any:
		return "array"
	case map[string]any:
		return "object"
	}
	return fmt.Sprintf("%T", v)
}

// Match reports whether a revision passes the filter.
func (f *Filter) Match(rev registry.Revision) bool {
	if f == nil {
		return true
	}
	return f.root.match(rev.Name, string(rev.DescriptorType), rev.Version)
}

func (f *Filter) matchDoc(d *doc) bool {
	if f == nil {
		return true
	}
	return f.root.match(d.name, string(d.descriptorType), d.version)
}

func (n *filterNode) match(name, typ, version string) bool {
	switch n.op {
	case opAnd:
		for i := range n.kids {
			if !n.kids[i].match(name, typ, version) {
				return false
			}
		}
		return true
	case opOr:
		for i := range n.kids {
			if n.kids[i].match(name, typ, version) {
				return true
			}
		}
		return false
	}
	v := name
	switch n.field {
	case fieldDescriptorType:
		v = typ
	case fieldVersion:
		v = version
	}
	switch n.op {
	case opEq:
		return v == n.values[0]
	case opNe:
		return v != n.values[0]
	default:
		return slices.Contains(n.values, v)
	}
}
