package iam

import (
	"fmt"
	"slices"
	"strings"
)

// maxProblems caps how many problems one ParseError lists; past that the
// first ones are enough to fix the document.
const maxProblems = 50

// ParseError lists every problem found in a principals file or a policy
// document. Problems name the principal (when known) and the JSON path, and
// never quote a secret access key.
type ParseError struct {
	File     string // set by Store: the file the problems are in
	Problems []string
}

func (e *ParseError) Error() string {
	prefix := "iam: "
	if e.File != "" {
		prefix += e.File + ": "
	}
	if len(e.Problems) == 1 {
		return prefix + e.Problems[0]
	}
	return fmt.Sprintf("%s%d problems: %s", prefix, len(e.Problems), strings.Join(e.Problems, "; "))
}

// checker walks a decoded document, collecting all problems rather than
// stopping at the first, so one edit-reload cycle can fix them all.
type checker struct {
	who       string // `principal "name"`, prefixed to problems once known
	accountID string // for warnings about foreign accounts; "" skips them
	problems  []string
	warnings  []string
	truncated bool
}

func (c *checker) prefix(path string) string {
	switch {
	case c.who != "" && path != "":
		return c.who + ": " + path + ": "
	case c.who != "":
		return c.who + ": "
	case path != "":
		return path + ": "
	}
	return ""
}

func (c *checker) errorf(path, format string, args ...any) {
	if len(c.problems) >= maxProblems {
		c.truncated = true
		return
	}
	c.problems = append(c.problems, c.prefix(path)+fmt.Sprintf(format, args...))
}

func (c *checker) warnf(path, format string, args ...any) {
	c.warnings = append(c.warnings, c.prefix(path)+fmt.Sprintf(format, args...))
}

func (c *checker) err() error {
	if len(c.problems) == 0 {
		return nil
	}
	p := slices.Clone(c.problems)
	if c.truncated {
		p = append(p, "(further problems not listed)")
	}
	return &ParseError{Problems: p}
}

// object returns the members of an object, reporting a wrong type and any
// key outside allowed. Keys are case-sensitive, as in AWS.
func (c *checker) object(v *value, path string, allowed ...string) map[string]*value {
	if v.kind != kindObject {
		c.errorf(orRoot(path), "must be an object, got %s", v.kind)
		return nil
	}
	m := make(map[string]*value, len(v.members))
	for _, mem := range v.members {
		if !slices.Contains(allowed, mem.key) {
			hint := ""
			if i := slices.IndexFunc(allowed, func(a string) bool { return strings.EqualFold(a, mem.key) }); i >= 0 {
				hint = fmt.Sprintf(" (did you mean %q?)", allowed[i])
			}
			c.errorf(orRoot(path), "unknown field %q%s", mem.key, hint)
			continue
		}
		m[mem.key] = mem.val
	}
	return m
}

func (c *checker) str(v *value, path string) (string, bool) {
	if v.kind != kindString {
		c.errorf(path, "must be a string, got %s", v.kind)
		return "", false
	}
	return v.str, true
}

// strings accepts a string or a non-empty array of strings, as IAM does
// for Action, Resource and their Not forms.
func (c *checker) strings(v *value, path string) []string {
	switch v.kind {
	case kindString:
		return []string{v.str}
	case kindArray:
		if len(v.elems) == 0 {
			c.errorf(path, "must not be empty")
			return nil
		}
		out := make([]string, 0, len(v.elems))
		for i, e := range v.elems {
			if s, ok := c.str(e, index(path, i)); ok {
				out = append(out, s)
			}
		}
		return out
	}
	c.errorf(path, "must be a string or an array of strings, got %s", v.kind)
	return nil
}

// scalars accepts condition values: strings, numbers and booleans, alone or
// in a non-empty array, all compared as their text.
func (c *checker) scalars(v *value, path string) []string {
	one := func(e *value, p string) (string, bool) {
		switch e.kind {
		case kindString, kindNumber:
			return e.str, true
		case kindBool:
			if e.boolean {
				return "true", true
			}
			return "false", true
		}
		c.errorf(p, "must be a string, number or boolean, got %s", e.kind)
		return "", false
	}
	if v.kind != kindArray {
		s, ok := one(v, path)
		if !ok {
			return nil
		}
		return []string{s}
	}
	if len(v.elems) == 0 {
		c.errorf(path, "must not be empty")
		return nil
	}
	out := make([]string, 0, len(v.elems))
	for i, e := range v.elems {
		if s, ok := one(e, index(path, i)); ok {
			out = append(out, s)
		}
	}
	return out
}
