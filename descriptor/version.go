package descriptor

import (
	"encoding/json"
	"strings"
	"unicode/utf8"
	"unsafe"
)

// ServerVersion returns the "version" of an MCP server.json (for 2025-07-09
// documents, version_detail.version), "" if absent or unparsable.
func ServerVersion(content string) string {
	content = strings.TrimPrefix(content, "\uFEFF")
	if !json.Valid(stringBytes(content)) {
		return ""
	}
	if raw, ok := topLevelMember(content, "version"); ok {
		return stringValue(raw)
	}
	if raw, ok := topLevelMember(content, "version_detail"); ok {
		if v, ok := topLevelMember(raw, "version"); ok {
			return stringValue(v)
		}
	}
	return ""
}

// AgentCardVersion returns the agent card's "version", "" if absent or
// unparsable.
func AgentCardVersion(content string) string {
	content = strings.TrimPrefix(content, "\uFEFF")
	if !json.Valid(stringBytes(content)) {
		return ""
	}
	if raw, ok := topLevelMember(content, "version"); ok {
		return stringValue(raw)
	}
	return ""
}

// stringBytes views s as a byte slice without copying; the helpers above only
// read it (json.Valid does not retain or modify its argument), and skipping the
// copy of up to 100 KiB is the point of these helpers.
func stringBytes(s string) []byte {
	return unsafe.Slice(unsafe.StringData(s), len(s))
}

// topLevelMember returns the raw JSON text of the member named key of the
// object in data, which must be valid JSON. Like encoding/json, the last of
// duplicate members wins; unlike it, names match exactly.
func topLevelMember(data, key string) (string, bool) {
	i := skipSpace(data, 0)
	if i >= len(data) || data[i] != '{' {
		return "", false
	}
	var found string
	var ok bool
	i++
	for {
		i = skipSpace(data, i)
		if i >= len(data) || data[i] != '"' {
			break // "}" of an empty object, or malformed input
		}
		kEnd := stringEnd(data, i)
		name := data[i:kEnd]
		i = skipSpace(data, kEnd)
		if i >= len(data) || data[i] != ':' {
			break
		}
		i = skipSpace(data, i+1)
		vEnd := valueEnd(data, i)
		if nameIs(name, key) {
			found, ok = data[i:vEnd], true
		}
		i = skipSpace(data, vEnd)
		if i >= len(data) || data[i] != ',' {
			break
		}
		i++
	}
	return found, ok
}

// stringValue decodes raw when it is a JSON string, else returns "".
func stringValue(raw string) string {
	if len(raw) < 2 || raw[0] != '"' {
		return ""
	}
	if !strings.ContainsRune(raw, '\\') && utf8.ValidString(raw) {
		return raw[1 : len(raw)-1] // no escapes: the text is the value
	}
	var s string
	if json.Unmarshal([]byte(raw), &s) != nil {
		return ""
	}
	return s
}

// nameIs reports whether the quoted member name equals key.
func nameIs(quoted, key string) bool {
	if !strings.ContainsRune(quoted, '\\') {
		return len(quoted) == len(key)+2 && quoted[1:len(quoted)-1] == key
	}
	return stringValue(quoted) == key
}

func skipSpace(data string, i int) int {
	for i < len(data) && isJSONSpace(data[i]) {
		i++
	}
	return i
}

// stringEnd returns the index just past the string starting at data[i] == '"'.
func stringEnd(data string, i int) int {
	for j := i + 1; j < len(data); j++ {
		switch data[j] {
		case '\\':
			j++
		case '"':
			return j + 1
		}
	}
	return len(data)
}

// valueEnd returns the index just past the JSON value starting at data[i].
func valueEnd(data string, i int) int {
	if i >= len(data) {
		return len(data)
	}
	switch data[i] {
	case '"':
		return stringEnd(data, i)
	case '{', '[':
		depth := 0
		for j := i; j < len(data); j++ {
			switch data[j] {
			case '"':
				j = stringEnd(data, j) - 1
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return j + 1
				}
			}
		}
		return len(data)
	default: // number, true, false, null
		j := i
		for j < len(data) && !isJSONSpace(data[j]) && data[j] != ',' && data[j] != '}' && data[j] != ']' {
			j++
		}
		return j
	}
}
