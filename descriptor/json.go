package descriptor

import (
	"encoding/json"
	"errors"
	"io"
	"strings"
	"unicode/utf8"
)

// decodeJSON parses content into the generic form the schema validator works
// on (maps, slices, json.Number, strings, bools, nil). Numbers stay json.Number
// so that large integers keep their precision. Syntax errors are reported with
// a line and column, because "invalid character at offset 4711" helps nobody.
func decodeJSON(content string) (any, *Error) {
	dec := json.NewDecoder(strings.NewReader(content))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, jsonError(content, err, dec.InputOffset())
	}
	// A second value ("{} {}") or trailing garbage is not one JSON document.
	end := dec.InputOffset()
	if _, err := dec.Token(); err != io.EOF {
		return nil, invalidJSON(content, firstNonSpace(content, end), "unexpected data after the JSON value")
	}
	return v, nil
}

// jsonError converts an encoding/json error into a positioned problem.
func jsonError(content string, err error, inputOffset int64) *Error {
	var syn *json.SyntaxError
	switch {
	case errors.As(err, &syn):
		// Offset counts the bytes read up to and including the offending one.
		off := syn.Offset - 1
		if off < 0 {
			off = 0
		}
		return invalidJSON(content, off, syn.Error())
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return invalidJSON(content, int64(len(content)), "unexpected end of JSON input")
	default:
		return invalidJSON(content, inputOffset, err.Error())
	}
}

func invalidJSON(content string, offset int64, msg string) *Error {
	line, col := position(content, offset)
	return fail("", "invalid JSON at line %d, column %d: %s", line, col, msg)
}

// position turns a byte offset into a 1-based line and column; the column
// counts characters, not bytes, as editors do.
func position(content string, offset int64) (line, col int) {
	if offset > int64(len(content)) {
		offset = int64(len(content))
	}
	if offset < 0 {
		offset = 0
	}
	before := content[:offset]
	line = 1 + strings.Count(before, "\n")
	if i := strings.LastIndexByte(before, '\n'); i >= 0 {
		before = before[i+1:]
	}
	return line, 1 + utf8.RuneCountInString(before)
}

// firstNonSpace returns the offset of the first non-blank byte at or after from.
func firstNonSpace(content string, from int64) int64 {
	for from < int64(len(content)) && isJSONSpace(content[from]) {
		from++
	}
	return from
}

func isJSONSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r'
}
