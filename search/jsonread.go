package search

import (
	"unicode/utf16"
	"unicode/utf8"
)

// jsonReader pulls values out of a JSON document without building it:
// strings come back as slices of the input when they hold no escapes, and
// everything not asked for is skipped. Extraction reads every record's
// descriptors, so this is several times cheaper than encoding/json. It is
// lenient and never panics: on malformed input it sets bad and stops
// yielding values.
type jsonReader struct {
	s     string
	i     int
	depth int
	bad   bool
}

// maxJSONDepth bounds nesting; deeper documents are treated as malformed.
const maxJSONDepth = 256

func (r *jsonReader) ws() {
	for r.i < len(r.s) {
		switch r.s[r.i] {
		case ' ', '\t', '\n', '\r':
			r.i++
		default:
			return
		}
	}
}

// peek returns the first byte of the next value, or 0 at the end.
func (r *jsonReader) peek() byte {
	r.ws()
	if r.bad || r.i >= len(r.s) {
		return 0
	}
	return r.s[r.i]
}

// object calls fn for each key of the object that comes next; fn must
// consume the value (read it or r.skip it). It reports whether an object
// was there.
func (r *jsonReader) object(fn func(key string)) bool {
	if r.peek() != '{' {
		r.skip()
		return false
	}
	if r.depth++; r.depth > maxJSONDepth {
		r.bad = true
		return false
	}
	defer func() { r.depth-- }()
	r.i++
	if r.peek() == '}' {
		r.i++
		return true
	}
	for !r.bad {
		if r.peek() != '"' {
			r.bad = true
			return true
		}
		key := r.rawString()
		if r.peek() != ':' {
			r.bad = true
			return true
		}
		r.i++
		r.ws()
		start := r.i
		fn(key)
		if r.i == start && !r.bad { // fn did not consume the value
			r.skip()
		}
		switch r.peek() {
		case ',':
			r.i++
		case '}':
			r.i++
			return true
		default:
			r.bad = true
		}
	}
	return true
}

// array calls fn for each element of the array that comes next; fn must
// consume the element. It reports whether an array was there.
func (r *jsonReader) array(fn func()) bool {
	if r.peek() != '[' {
		r.skip()
		return false
	}
	if r.depth++; r.depth > maxJSONDepth {
		r.bad = true
		return false
	}
	defer func() { r.depth-- }()
	r.i++
	if r.peek() == ']' {
		r.i++
		return true
	}
	for !r.bad {
		r.ws()
		start := r.i
		fn()
		if r.i == start && !r.bad {
			r.skip()
		}
		switch r.peek() {
		case ',':
			r.i++
		case ']':
			r.i++
			return true
		default:
			r.bad = true
		}
	}
	return true
}

// str returns the next value if it is a string; anything else is skipped.
func (r *jsonReader) str() (string, bool) {
	if r.peek() != '"' {
		r.skip()
		return "", false
	}
	s := r.rawString()
	return s, !r.bad
}

// strings calls fn for every string in the next value, at any depth,
// object keys excluded, until fn returns false.
func (r *jsonReader) strings(fn func(string) bool) {
	more := true
	var walk func()
	walk = func() {
		switch r.peek() {
		case '"':
			if s, ok := r.str(); ok && more {
				more = fn(s)
			}
		case '{':
			r.object(func(string) { walk() })
		case '[':
			r.array(walk)
		default:
			r.skip()
		}
	}
	walk()
}

// skip passes over the next value.
func (r *jsonReader) skip() {
	switch c := r.peek(); c {
	case 0:
		r.bad = true
	case '"':
		r.rawString()
	case '{':
		r.object(func(string) { r.skip() })
	case '[':
		r.array(r.skip)
	default:
		// A number, true, false or null: up to the next delimiter.
		start := r.i
		for r.i < len(r.s) {
			switch r.s[r.i] {
			case ',', '}', ']', ' ', '\t', '\n', '\r':
				if r.i == start {
					r.bad = true
				}
				return
			case '{', '[', '"', ':':
				r.bad = true
				return
			}
			r.i++
		}
	}
}

// rawString reads the string at r.i (which is '"') and unescapes it.
func (r *jsonReader) rawString() string {
	r.i++
	start := r.i
	for r.i < len(r.s) {
		switch c := r.s[r.i]; {
		case c == '"':
			s := r.s[start:r.i]
			r.i++
			return s
		case c == '\\':
			return r.escaped(start)
		case c < 0x20:
			r.bad = true
			return ""
		}
		r.i++
	}
	r.bad = true
	return ""
}

// escaped finishes a string that holds escapes, from r.i (a backslash).
func (r *jsonReader) escaped(start int) string {
	b := []byte(r.s[start:r.i])
	for r.i < len(r.s) {
		c := r.s[r.i]
		switch {
		case c == '"':
			r.i++
			return string(b)
		case c < 0x20:
			r.bad = true
			return ""
		case c != '\\':
			b = append(b, c)
			r.i++
			continue
		}
		if r.i+1 >= len(r.s) {
			break
		}
		e := r.s[r.i+1]
		r.i += 2
		switch e {
		case '"', '\\', '/':
			b = append(b, e)
		case 'b':
			b = append(b, '\b')
		case 'f':
			b = append(b, '\f')
		case 'n':
			b = append(b, '\n')
		case 'r':
			b = append(b, '\r')
		case 't':
			b = append(b, '\t')
		case 'u':
			ru, ok := r.hex4()
			if !ok {
				r.bad = true
				return ""
			}
			if utf16.IsSurrogate(ru) {
				// A pair only if a low surrogate follows; anything else
				// makes the first half U+FFFD, as encoding/json does.
				lo := utf8.RuneError
				if ru < 0xDC00 && r.i+1 < len(r.s) && r.s[r.i] == '\\' && r.s[r.i+1] == 'u' {
					save := r.i
					r.i += 2
					if v, ok := r.hex4(); ok && v >= 0xDC00 && v <= 0xDFFF {
						lo = v
					} else {
						r.i = save
					}
				}
				ru = utf16.DecodeRune(ru, lo)
			}
			b = utf8.AppendRune(b, ru)
		default:
			r.bad = true
			return ""
		}
	}
	r.bad = true
	return ""
}

func (r *jsonReader) hex4() (rune, bool) {
	if r.i+4 > len(r.s) {
		return 0, false
	}
	var v rune
	for _, c := range []byte(r.s[r.i : r.i+4]) {
		switch {
		case '0' <= c && c <= '9':
			v = v<<4 | rune(c-'0')
		case 'a' <= c && c <= 'f':
			v = v<<4 | rune(c-'a'+10)
		case 'A' <= c && c <= 'F':
			v = v<<4 | rune(c-'A'+10)
		default:
			return 0, false
		}
	}
	r.i += 4
	return v, true
}
