package descriptor

import (
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/santhosh-tekuri/jsonschema/v6/kind"
	"golang.org/x/text/language"
	"golang.org/x/text/message"
)

// printer renders the library's own messages for the rare error kinds we do
// not rephrase. message.Printer is safe for concurrent use.
var printer = message.NewPrinter(language.English)

// patternHints explains the patterns people actually trip over.
var patternHints = map[string]string{
	"^[a-zA-Z0-9.-]+/[a-zA-Z0-9._-]+$": "a reverse-DNS namespace and a name separated by one slash, e.g. io.github.user/weather",
	"^[a-z0-9]+(-[a-z0-9]+)*$":         "lowercase letters, digits and single hyphens, not starting or ending with a hyphen",
	"^https?://[^\\s]+$":               "an http:// or https:// URL without spaces",
	"^[a-f0-9]{64}$":                   "64 lowercase hexadecimal digits",
	"^(\\d+x\\d+|any)$":                "WIDTHxHEIGHT or any",
}

// issue is a problem plus what the anyOf heuristics need to know about it.
type issue struct {
	Problem
	loc     string // pointer of the value the rule applies to
	alts    []any  // allowed values when a const or enum failed
	got     any    // the rejected value when alts is set
	missing string // the property name when a required property is missing
}

// schemaError converts a validation failure of doc into an *Error. The
// library reports a tree (one branch per $ref, allOf, anyOf...); people want
// the leaves: the few values that are actually wrong.
func schemaError(doc any, err error) error {
	var ve *jsonschema.ValidationError
	if !errors.As(err, &ve) {
		return fail("", "%v", err)
	}
	c := converter{doc: doc}
	issues := c.collect(ve)

	problems := make([]Problem, 0, len(issues))
	seen := make(map[Problem]bool, len(issues))
	for _, is := range issues {
		if !seen[is.Problem] {
			seen[is.Problem] = true
			problems = append(problems, is.Problem)
		}
	}
	if len(problems) == 0 {
		problems = append(problems, Problem{Message: "the document does not match the schema"})
	}
	// The library walks maps, so its order is random; sort for stable output.
	sort.SliceStable(problems, func(i, j int) bool {
		if problems[i].Pointer != problems[j].Pointer {
			return problems[i].Pointer < problems[j].Pointer
		}
		return problems[i].Message < problems[j].Message
	})
	if len(problems) > maxProblems {
		problems = problems[:maxProblems]
	}
	return &Error{Problems: problems}
}

type converter struct {
	doc any
}

// collect flattens the error tree under e into leaf issues.
func (c *converter) collect(e *jsonschema.ValidationError) []issue {
	if e == nil || e.ErrorKind == nil {
		return nil
	}
	switch k := e.ErrorKind.(type) {
	case *kind.Schema, *kind.Group, *kind.AllOf, *kind.Reference:
		var out []issue
		for _, cause := range e.Causes {
			out = append(out, c.collect(cause)...)
		}
		return out
	case *kind.AnyOf:
		return c.bestAlternative(e)
	case *kind.OneOf:
		if len(k.Subschemas) == 0 {
			return c.bestAlternative(e)
		}
	}
	if len(e.Causes) > 0 {
		var out []issue
		for _, cause := range e.Causes {
			out = append(out, c.collect(cause)...)
		}
		if len(out) > 0 {
			return out
		}
	}
	return c.leaf(e)
}

// bestAlternative reports why a value matched none of the alternatives of an
// anyOf/oneOf. Listing every branch's complaints would bury the real one, so:
//   - if every branch rejects the same value by const/enum, that value is a
//     discriminator (a transport "type", say) and we list the allowed values;
//   - if every branch misses a different single property, we name them all;
//   - otherwise we report the branch that got furthest: fewest discriminator
//     mismatches, then fewest problems.
func (c *converter) bestAlternative(e *jsonschema.ValidationError) []issue {
	loc := pointer(e.InstanceLocation)
	var branches [][]issue
	for _, cause := range e.Causes {
		if b := c.collect(cause); len(b) > 0 {
			branches = append(branches, b)
		}
	}
	if len(branches) == 0 {
		return []issue{newIssue(loc, "does not match any of the allowed forms")}
	}
	if is, ok := mergeDiscriminators(branches); ok {
		return []issue{is}
	}
	if is, ok := mergeMissing(branches); ok {
		return []issue{is}
	}
	best := branches[0]
	for _, b := range branches[1:] {
		if da, db := countAlts(b), countAlts(best); da < db || (da == db && len(b) < len(best)) {
			best = b
		}
	}
	return best
}

func mergeDiscriminators(branches [][]issue) (issue, bool) {
	for _, cand := range branches[0] {
		if cand.alts == nil {
			continue
		}
		alts := append([]any(nil), cand.alts...)
		everywhere := true
		for _, b := range branches[1:] {
			found := false
			for _, is := range b {
				if is.alts != nil && is.loc == cand.loc {
					found = true
					alts = appendNew(alts, is.alts)
					break
				}
			}
			if !found {
				everywhere = false
				break
			}
		}
		if everywhere {
			return issue{
				Problem: Problem{Pointer: cand.loc, Message: mustBeOneOf(alts, cand.got)},
				loc:     cand.loc, alts: alts, got: cand.got,
			}, true
		}
	}
	return issue{}, false
}

func mergeMissing(branches [][]issue) (issue, bool) {
	if len(branches) < 2 {
		return issue{}, false
	}
	var names []string
	loc := branches[0][0].loc
	for _, b := range branches {
		if len(b) != 1 || b[0].missing == "" || b[0].loc != loc {
			return issue{}, false
		}
		names = append(names, "'"+b[0].missing+"'")
	}
	return newIssue(loc, "missing property "+strings.Join(names, " or ")), true
}

func countAlts(b []issue) int {
	n := 0
	for _, is := range b {
		if is.alts != nil {
			n++
		}
	}
	return n
}

func appendNew(dst, src []any) []any {
outer:
	for _, v := range src {
		for _, d := range dst {
			if fmt.Sprint(d) == fmt.Sprint(v) {
				continue outer
			}
		}
		dst = append(dst, v)
	}
	return dst
}

// leaf turns one failed keyword into issues with readable messages.
func (c *converter) leaf(e *jsonschema.ValidationError) []issue {
	loc := pointer(e.InstanceLocation)
	one := func(format string, args ...any) []issue {
		return []issue{newIssue(loc, fmt.Sprintf(format, args...))}
	}
	switch k := e.ErrorKind.(type) {
	case *kind.Required:
		out := make([]issue, 0, len(k.Missing))
		for _, m := range k.Missing {
			is := newIssue(loc+"/"+escapeToken(m), "missing property '"+m+"'")
			is.loc, is.missing = loc, m
			out = append(out, is)
		}
		return out
	case *kind.Type:
		msg := "must be " + typeNames(k.Want) + ", got " + k.Got
		if loc == "" {
			msg = "the document " + msg
		}
		return one("%s", msg)
	case *kind.Const:
		is := newIssue(loc, mustBeOneOf([]any{k.Want}, k.Got))
		is.alts, is.got = []any{k.Want}, k.Got
		return []issue{is}
	case *kind.Enum:
		is := newIssue(loc, mustBeOneOf(k.Want, k.Got))
		is.alts, is.got = k.Want, k.Got
		return []issue{is}
	case *kind.MinLength:
		if k.Want == 1 && k.Got == 0 {
			return one("must not be empty")
		}
		return one("must be at least %d characters long, got %d", k.Want, k.Got)
	case *kind.MaxLength:
		return one("must be at most %d characters long, got %d", k.Want, k.Got)
	case *kind.Pattern:
		hint := ""
		if h, ok := patternHints[k.Want]; ok {
			hint = " (" + h + ")"
		}
		return one("must match pattern %s%s, got %s", k.Want, hint, display(k.Got))
	case *kind.Format:
		reason := ""
		if k.Err != nil {
			reason = " (" + k.Err.Error() + ")"
		}
		return one("must be a valid %s%s, got %s", k.Want, reason, display(k.Got))
	case *kind.Not:
		if v, ok := lookup(c.doc, e.InstanceLocation); ok {
			return one("must not be %s", display(v))
		}
		return one("is not allowed")
	case *kind.FalseSchema:
		return one("is not allowed")
	case *kind.AdditionalProperties:
		out := make([]issue, 0, len(k.Properties))
		for _, p := range k.Properties {
			out = append(out, newIssue(loc+"/"+escapeToken(p), "property '"+p+"' is not allowed"))
		}
		return out
	case *kind.MinItems:
		return one("must have at least %d items, got %d", k.Want, k.Got)
	case *kind.MaxItems:
		return one("must have at most %d items, got %d", k.Want, k.Got)
	case *kind.MinProperties:
		return one("must have at least %d properties, got %d", k.Want, k.Got)
	case *kind.MaxProperties:
		return one("must have at most %d properties, got %d", k.Want, k.Got)
	case *kind.UniqueItems:
		return one("items %d and %d must not be equal", k.Duplicates[0], k.Duplicates[1])
	case *kind.DependentRequired:
		return one("property '%s' requires %s", k.Prop, quoteAll(k.Missing))
	case *kind.Dependency:
		return one("property '%s' requires %s", k.Prop, quoteAll(k.Missing))
	case *kind.OneOf:
		return one("must match exactly one of the allowed forms, but matches %d of them", len(k.Subschemas))
	}
	return one("%s", e.ErrorKind.LocalizedString(printer))
}

func newIssue(loc, msg string) issue {
	return issue{Problem: Problem{Pointer: loc, Message: msg}, loc: loc}
}

// mustBeOneOf phrases a const/enum failure.
func mustBeOneOf(alts []any, got any) string {
	if len(alts) == 1 {
		return "must be " + display(alts[0]) + ", got " + display(got)
	}
	parts := make([]string, len(alts))
	for i, a := range alts {
		parts[i] = display(a)
	}
	return "must be one of " + strings.Join(parts, ", ") + ", got " + display(got)
}

// typeNames phrases JSON Schema type names: ["string","null"] -> "a string or null".
func typeNames(types []string) string {
	parts := make([]string, len(types))
	for i, t := range types {
		switch t {
		case "object", "array", "integer":
			parts[i] = "an " + t
		case "null":
			parts[i] = "null"
		default:
			parts[i] = "a " + t
		}
	}
	return strings.Join(parts, " or ")
}

// display renders a JSON value briefly: strings quoted and shortened,
// containers by kind.
func display(v any) string {
	switch v := v.(type) {
	case nil:
		return "null"
	case string:
		const max = 60
		if utf8.RuneCountInString(v) > max {
			r := []rune(v)
			v = string(r[:max]) + "…"
		}
		return strconv.Quote(v)
	case map[string]any:
		return "an object"
	case []any:
		return "an array"
	default:
		return fmt.Sprint(v)
	}
}

func quoteAll(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = "'" + n + "'"
	}
	return strings.Join(q, ", ")
}

// pointer renders instance location tokens as a JSON Pointer (RFC 6901).
func pointer(tokens []string) string {
	if len(tokens) == 0 {
		return ""
	}
	var b strings.Builder
	for _, t := range tokens {
		b.WriteByte('/')
		b.WriteString(escapeToken(t))
	}
	return b.String()
}

var tokenEscaper = strings.NewReplacer("~", "~0", "/", "~1")

func escapeToken(t string) string {
	if !strings.ContainsAny(t, "~/") {
		return t
	}
	return tokenEscaper.Replace(t)
}

// lookup finds the value at the given instance location.
func lookup(doc any, tokens []string) (any, bool) {
	v := doc
	for _, t := range tokens {
		switch c := v.(type) {
		case map[string]any:
			next, ok := c[t]
			if !ok {
				return nil, false
			}
			v = next
		case []any:
			i, err := strconv.Atoi(t)
			if err != nil || i < 0 || i >= len(c) {
				return nil, false
			}
			v = c[i]
		default:
			return nil, false
		}
	}
	return v, true
}
