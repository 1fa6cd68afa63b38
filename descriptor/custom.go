package descriptor

import "encoding/json"

// Custom validates a CUSTOM descriptor: any single JSON value (object, array,
// string, number, boolean or null) within the size limit. Syntax errors carry
// the line and column.
func Custom(content string) error {
	content, cerr := checkContent(content)
	if cerr != nil {
		return cerr
	}
	// json.Valid checks without building the value; only a failure needs the
	// decoder, to say where the problem is.
	if json.Valid([]byte(content)) {
		return nil
	}
	if _, jerr := decodeJSON(content); jerr != nil {
		return jerr
	}
	return fail("", "invalid JSON")
}
