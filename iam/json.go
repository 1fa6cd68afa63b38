package iam

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
)

// value is a decoded JSON value. Objects keep their members in document
// order so that duplicate keys can be rejected and every problem reported
// with its exact path; encoding/json's struct decoding can do neither.
type value struct {
	kind    kind
	str     string // string contents, or the literal text of a number
	boolean bool
	elems   []*value
	members []member
}

type member struct {
	key string
	val *value
}

type kind uint8

const (
	kindNull kind = iota
	kindBool
	kindNumber
	kindString
	kindArray
	kindObject
)

func (k kind) String() string {
	return [...]string{"null", "a boolean", "a number", "a string", "an array", "an object"}[k]
}

// maxDepth bounds nesting; the deepest valid document nests six levels.
const maxDepth = 32

// decodeJSON parses one JSON document. Syntax errors carry a line and
// column; they quote at most one offending character of the input, so a
// malformed secret cannot leak through them.
func decodeJSON(data []byte) (*value, error) {
	// Tolerate the byte order mark some Windows editors write.
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	v, err := decodeValue(dec, "", 0)
	if err == nil {
		if _, terr := dec.Token(); terr != io.EOF {
			err = errors.New("unexpected data after the top-level value")
		}
	}
	if err != nil {
		var pe *pathError
		if errors.As(err, &pe) {
			return nil, err
		}
		off := dec.InputOffset()
		var se *json.SyntaxError
		if errors.As(err, &se) {
			off = se.Offset
		}
		if errors.Is(err, io.ErrUnexpectedEOF) || err == io.EOF {
			err = errors.New("unexpected end of JSON input")
		}
		line, col := position(data, off)
		return nil, fmt.Errorf("invalid JSON at line %d, column %d: %s", line, col, strings.TrimPrefix(err.Error(), "json: "))
	}
	return v, nil
}

// pathError is a structural problem (duplicate key, nesting) found while
// decoding, already prefixed with its path.
type pathError struct{ msg string }

func (e *pathError) Error() string { return e.msg }

func decodeValue(dec *json.Decoder, path string, depth int) (*value, error) {
	if depth > maxDepth {
		return nil, &pathError{fmt.Sprintf("%s: nested too deeply", orRoot(path))}
	}
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	switch t := tok.(type) {
	case nil:
		return &value{kind: kindNull}, nil
	case bool:
		return &value{kind: kindBool, boolean: t}, nil
	case json.Number:
		return &value{kind: kindNumber, str: string(t)}, nil
	case string:
		return &value{kind: kindString, str: t}, nil
	case json.Delim:
		if t == '[' {
			v := &value{kind: kindArray}
			for dec.More() {
				e, err := decodeValue(dec, index(path, len(v.elems)), depth+1)
				if err != nil {
					return nil, err
				}
				v.elems = append(v.elems, e)
			}
			_, err := dec.Token() // ']'
			return v, err
		}
		v := &value{kind: kindObject}
		for dec.More() {
			kt, err := dec.Token()
			if err != nil {
				return nil, err
			}
			key := kt.(string) // the decoder guarantees a string key here
			if slices.ContainsFunc(v.members, func(m member) bool { return m.key == key }) {
				return nil, &pathError{fmt.Sprintf("%s: duplicate key %q", orRoot(path), key)}
			}
			e, err := decodeValue(dec, field(path, key), depth+1)
			if err != nil {
				return nil, err
			}
			v.members = append(v.members, member{key, e})
		}
		_, err := dec.Token() // '}'
		return v, err
	}
	return nil, fmt.Errorf("unexpected token %v", tok)
}

// position converts a byte offset into a 1-based line and column.
func position(data []byte, off int64) (line, col int) {
	off = min(max(off, 0), int64(len(data)))
	before := data[:off]
	line = bytes.Count(before, []byte{'\n'}) + 1
	col = int(off) - (bytes.LastIndexByte(before, '\n') + 1) + 1
	return line, col
}

// field appends an object key to a JSON path: a.b for plain keys, a["x y"]
// otherwise.
func field(path, key string) string {
	if !plainKey(key) {
		return path + "[" + strconv.Quote(key) + "]"
	}
	if path == "" {
		return key
	}
	return path + "." + key
}

func index(path string, i int) string { return path + "[" + strconv.Itoa(i) + "]" }

func orRoot(path string) string {
	if path == "" {
		return "document"
	}
	return path
}

func plainKey(k string) bool {
	if k == "" {
		return false
	}
	for i := 0; i < len(k); i++ {
		c := k[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-' || c == ':' || c == '$') {
			return false
		}
	}
	return true
}
