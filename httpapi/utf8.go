package httpapi

import (
	"bytes"
	"encoding/json"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/agentry/agentry/registry"
)

// encoding/json puts U+FFFD in place of bytes that are not UTF-8 and of \u
// escapes of half a surrogate pair, so such text would be stored silently
// changed. Request bodies are checked for them once, here, where they are
// decoded.

// checkUTF8 refuses a valid JSON document with a string (a value or a
// member name) that is not UTF-8 text, naming its JSON path.
func checkUTF8(doc []byte) error {
	// Most bodies are plain UTF-8 without surrogate escapes: one pass.
	if utf8.Valid(doc) && !bytes.Contains(doc, []byte(`\ud`)) && !bytes.Contains(doc, []byte(`\uD`)) {
		return nil
	}
	path, ok := badStringPath(doc)
	if ok {
		return nil
	}
	if path == "" {
		path = "body"
	}
	return &registry.Error{Kind: registry.KindInvalid, Reason: registry.ReasonFieldValidationFailed,
		Message: path + ": must be valid UTF-8 text; the request has bytes or \\u escapes there that are not characters.",
		Fields:  []registry.FieldError{{Name: path, Message: "must be valid UTF-8 text"}}}
}

// badStringPath walks the valid JSON document doc and returns the path of
// the first string that is not UTF-8 text (ok false), as the field names of
// validation errors spell it: "descriptors.mcp.server.inlineContent",
// "allowedAudience[1]". A bad member name ends the path.
func badStringPath(doc []byte) (path string, ok bool) {
	type level struct {
		array bool
		index int    // of the current element, in an array
		name  string // of the current member, in an object
	}
	var levels []level
	here := func() string {
		var b strings.Builder
		for _, l := range levels {
			switch {
			case l.array:
				b.WriteString("[" + strconv.Itoa(l.index) + "]")
			case b.Len() > 0:
				b.WriteString("." + l.name)
			default:
				b.WriteString(l.name)
			}
		}
		return b.String()
	}
	for i := 0; i < len(doc); {
		switch doc[i] {
		case '{', '[':
			levels = append(levels, level{array: doc[i] == '['})
			i++
		case '}', ']':
			levels = levels[:len(levels)-1]
			i++
		case ',':
			if l := &levels[len(levels)-1]; l.array {
				l.index++
			}
			i++
		case '"':
			end, valid := scanString(doc, i)
			isName := len(levels) > 0 && !levels[len(levels)-1].array && nextByte(doc, end) == ':'
			if isName {
				var name string
				json.Unmarshal(doc[i:end], &name)
				levels[len(levels)-1].name = name
			}
			if !valid {
				return here(), false
			}
			i = end
		default:
			i++
		}
	}
	return "", true
}

// scanString reads the JSON string starting at doc[start] (its opening
// quote) and returns the index after its closing quote, and whether it is
// UTF-8 text: no invalid byte sequence, every \u surrogate escape paired.
func scanString(doc []byte, start int) (end int, valid bool) {
	valid = true
	for i := start + 1; ; {
		switch c := doc[i]; {
		case c == '"':
			return i + 1, valid
		case c == '\\' && doc[i+1] == 'u':
			r := hexRune(doc[i+2 : i+6])
			i += 6
			if !utf16.IsSurrogate(r) {
				continue
			}
			if r < 0xdc00 && i+6 <= len(doc) && doc[i] == '\\' && doc[i+1] == 'u' {
				if low := hexRune(doc[i+2 : i+6]); 0xdc00 <= low && low <= 0xdfff {
					i += 6
					continue
				}
			}
			valid = false
		case c == '\\':
			i += 2
		case c < utf8.RuneSelf:
			i++
		default:
			r, size := utf8.DecodeRune(doc[i:])
			if r == utf8.RuneError && size == 1 {
				valid = false
			}
			i += size
		}
	}
}

// hexRune decodes the four hex digits of a \u escape (valid JSON has them).
func hexRune(h []byte) rune {
	n, _ := strconv.ParseUint(string(h), 16, 16)
	return rune(n)
}

// nextByte is the first byte from i on that is not JSON whitespace, 0 at
// the end.
func nextByte(doc []byte, i int) byte {
	for ; i < len(doc); i++ {
		switch doc[i] {
		case ' ', '\t', '\n', '\r':
		default:
			return doc[i]
		}
	}
	return 0
}
