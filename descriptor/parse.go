package descriptor

import (
	"encoding/json"
	"unicode/utf8"
)

// maxDepth matches encoding/json's nesting limit.
const maxDepth = 10000

// fastDecode parses content into the same generic value encoding/json
// produces with UseNumber (map[string]any, []any, json.Number, string, bool,
// nil), about three times faster: strings and numbers without escapes are
// slices of content rather than copies, and the input is scanned once instead
// of twice. It reports false for anything it does not accept, and the caller
// falls back to encoding/json, which then also explains the error. FuzzDecode
// checks that both agree.
func fastDecode(content string) (any, bool) {
	p := parser{s: content}
	v, ok := p.value()
	if !ok {
		return nil, false
	}
	p.skipSpace()
	return v, p.i == len(p.s)
}

type parser struct {
	s     string
	i     int
	depth int
}

func (p *parser) skipSpace() {
	for p.i < len(p.s) && isJSONSpace(p.s[p.i]) {
		p.i++
	}
}

func (p *parser) value() (any, bool) {
	p.skipSpace()
	if p.i >= len(p.s) {
		return nil, false
	}
	switch c := p.s[p.i]; {
	case c == '{':
		return p.object()
	case c == '[':
		return p.array()
	case c == '"':
		return p.str()
	case c == 't':
		return true, p.literal("true")
	case c == 'f':
		return false, p.literal("false")
	case c == 'n':
		return nil, p.literal("null")
	case c == '-' || c >= '0' && c <= '9':
		return p.number()
	}
	return nil, false
}

func (p *parser) literal(lit string) bool {
	if len(p.s)-p.i < len(lit) || p.s[p.i:p.i+len(lit)] != lit {
		return false
	}
	p.i += len(lit)
	return true
}

func (p *parser) object() (any, bool) {
	if p.depth++; p.depth > maxDepth {
		return nil, false
	}
	p.i++ // '{'
	m := make(map[string]any)
	p.skipSpace()
	if p.i < len(p.s) && p.s[p.i] == '}' {
		p.i++
		p.depth--
		return m, true
	}
	for {
		p.skipSpace()
		if p.i >= len(p.s) || p.s[p.i] != '"' {
			return nil, false
		}
		k, ok := p.str()
		if !ok {
			return nil, false
		}
		p.skipSpace()
		if p.i >= len(p.s) || p.s[p.i] != ':' {
			return nil, false
		}
		p.i++
		v, ok := p.value()
		if !ok {
			return nil, false
		}
		m[k.(string)] = v
		p.skipSpace()
		if p.i >= len(p.s) {
			return nil, false
		}
		switch p.s[p.i] {
		case ',':
			p.i++
		case '}':
			p.i++
			p.depth--
			return m, true
		default:
			return nil, false
		}
	}
}

func (p *parser) array() (any, bool) {
	if p.depth++; p.depth > maxDepth {
		return nil, false
	}
	p.i++ // '['
	a := make([]any, 0, 4)
	p.skipSpace()
	if p.i < len(p.s) && p.s[p.i] == ']' {
		p.i++
		p.depth--
		return a, true
	}
	for {
		v, ok := p.value()
		if !ok {
			return nil, false
		}
		a = append(a, v)
		p.skipSpace()
		if p.i >= len(p.s) {
			return nil, false
		}
		switch p.s[p.i] {
		case ',':
			p.i++
		case ']':
			p.i++
			p.depth--
			return a, true
		default:
			return nil, false
		}
	}
}

// str parses the string starting at the current '"'. Plain strings are
// returned as slices of the input; anything with escapes or invalid UTF-8 goes
// through encoding/json so that escape handling and U+FFFD replacement are
// exactly its own.
func (p *parser) str() (any, bool) {
	start := p.i
	plain := true
	for j := start + 1; j < len(p.s); j++ {
		switch c := p.s[j]; {
		case c == '"':
			p.i = j + 1
			if plain {
				return p.s[start+1 : j], true
			}
			var s string
			if json.Unmarshal([]byte(p.s[start:j+1]), &s) != nil {
				return nil, false
			}
			return s, true
		case c == '\\':
			plain = false
			j++ // the escaped character, whatever it is; Unmarshal checks it
		case c < 0x20:
			return nil, false
		case c >= utf8.RuneSelf:
			if r, size := utf8.DecodeRuneInString(p.s[j:]); r == utf8.RuneError && size == 1 {
				plain = false
			} else {
				j += size - 1
			}
		}
	}
	return nil, false
}

// number parses a JSON number: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
func (p *parser) number() (any, bool) {
	start := p.i
	if p.s[p.i] == '-' {
		p.i++
	}
	switch {
	case p.i < len(p.s) && p.s[p.i] == '0':
		p.i++
	case p.i < len(p.s) && p.s[p.i] >= '1' && p.s[p.i] <= '9':
		p.digits()
	default:
		return nil, false
	}
	if p.i < len(p.s) && p.s[p.i] == '.' {
		p.i++
		if !p.digits() {
			return nil, false
		}
	}
	if p.i < len(p.s) && (p.s[p.i] == 'e' || p.s[p.i] == 'E') {
		p.i++
		if p.i < len(p.s) && (p.s[p.i] == '+' || p.s[p.i] == '-') {
			p.i++
		}
		if !p.digits() {
			return nil, false
		}
	}
	return json.Number(p.s[start:p.i]), true
}

// digits consumes [0-9]* and reports whether there was at least one.
func (p *parser) digits() bool {
	start := p.i
	for p.i < len(p.s) && p.s[p.i] >= '0' && p.s[p.i] <= '9' {
		p.i++
	}
	return p.i > start
}
