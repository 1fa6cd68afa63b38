// Package descriptor validates the inlineContent of registry record descriptors
// before they are stored: MCP server.json documents and tools/list results, A2A
// Agent Cards, Agent Skills (SKILL.md and a JSON skill definition) and custom
// JSON.
//
// Every validator returns nil or an *Error whose Problems say which field is
// wrong and why, so that the API layer can answer a ValidationException such as
// "Schema validation failed: /name: missing property 'name'". The JSON Schemas
// live in schemas/ (see schemas/README.md for where each one comes from); they
// are embedded, compiled once on first use and are safe for concurrent use.
package descriptor

import (
	"fmt"
	"strings"
)

// MaxContentBytes is the largest inlineContent accepted (100 KiB).
const MaxContentBytes = 100 * 1024

// maxProblems caps the problems kept in an Error: a broken document can fail
// hundreds of rules, and nobody reads past the first few.
const maxProblems = 10

// shownProblems is how many problems Error() spells out.
const shownProblems = 3

// Problem is one thing wrong with a document. Pointer is a JSON Pointer inside
// the document ("" = the whole document, "/packages/0/transport/type"), or for
// SKILL.md "front matter.name" style; Message is for people.
type Problem struct {
	Pointer string
	Message string
}

// String renders the problem as "pointer: message", or just the message when it
// concerns the whole document.
func (p Problem) String() string {
	if p.Pointer == "" {
		return p.Message
	}
	return p.Pointer + ": " + p.Message
}

// Error is returned when a document fails validation. Error() reads like
// "Schema validation failed: /name: missing property 'name'" (first few
// problems joined by "; ").
type Error struct {
	Problems []Problem
}

// Error implements error.
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("Schema validation failed: ")
	if len(e.Problems) == 0 {
		b.WriteString("invalid document")
		return b.String()
	}
	for i, p := range e.Problems {
		if i == shownProblems {
			fmt.Fprintf(&b, " (and %d more)", len(e.Problems)-i)
			break
		}
		if i > 0 {
			b.WriteString("; ")
		}
		b.WriteString(p.String())
	}
	return b.String()
}

// fail builds an *Error holding a single problem.
func fail(pointer, format string, args ...any) *Error {
	return &Error{Problems: []Problem{{Pointer: pointer, Message: fmt.Sprintf(format, args...)}}}
}

// checkContent applies the checks every descriptor shares: not blank, not over
// the size limit. It returns the content without a leading UTF-8 byte order
// mark, which editors like to add and JSON and YAML parsers dislike.
func checkContent(content string) (string, *Error) {
	if len(content) > MaxContentBytes {
		return "", fail("", "content is %d bytes, which exceeds the limit of %d bytes (100 KiB)", len(content), MaxContentBytes)
	}
	content = strings.TrimPrefix(content, "\uFEFF")
	if strings.TrimSpace(content) == "" {
		return "", fail("", "content must not be empty")
	}
	return content, nil
}

// unsupportedVersion reports a version string no schema is registered for.
func unsupportedVersion(what, got string, supported []string) *Error {
	return fail("", "unsupported %s %q; supported: %s", what, got, strings.Join(supported, ", "))
}
