package httpapi

import (
	"context"
	"encoding/json"
	"strconv"
	"unicode/utf8"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// encodedResult is a tools/call result already in its wire form. The SDK
// marshals a CallToolResult layer by layer (the text block, the result, the
// JSON-RPC envelope), each pass re-reading what the one before wrote; a
// search answer of a few kilobytes made that the largest cost of a call.
// Encoding it once here leaves the SDK a single pass over finished bytes.
type encodedResult struct {
	mcp.ResultBase
	wire []byte
}

func (r *encodedResult) MarshalJSON() ([]byte, error) { return r.wire, nil }

// encodeToolResults is receiving middleware that encodes plain tools/call
// results (text blocks and raw structured content, nothing else) in one
// pass. Any other result goes out as the SDK encodes it.
func encodeToolResults(next mcp.MethodHandler) mcp.MethodHandler {
	return func(ctx context.Context, method string, req mcp.Request) (mcp.Result, error) {
		res, err := next(ctx, method, req)
		if r, ok := res.(*mcp.CallToolResult); ok && err == nil {
			if wire, ok := encodeCallToolResult(r); ok {
				return &encodedResult{wire: wire}, nil
			}
		}
		return res, err
	}
}

// encodeCallToolResult writes r as the same JSON value the SDK would (only
// without escaping <, > and & in strings), or reports false when r holds
// anything but text blocks and raw JSON structured content.
func encodeCallToolResult(r *mcp.CallToolResult) ([]byte, bool) {
	if p, ok := r.StructuredContent.(*preEncoded); ok && !r.IsError && r.Meta == nil && r.InputRequests == nil && r.RequestState == "" {
		return p.wire, true
	}
	raw, ok := r.StructuredContent.(json.RawMessage)
	if !ok && r.StructuredContent != nil || r.Meta != nil || r.InputRequests != nil || r.RequestState != "" {
		return nil, false
	}
	size := len(raw) + 64
	for _, c := range r.Content {
		t, ok := c.(*mcp.TextContent)
		if !ok || t.Meta != nil || t.Annotations != nil {
			return nil, false
		}
		size += len(t.Text) + len(t.Text)/4 + 32
	}
	b := make([]byte, 0, size)
	b = append(b, `{"content":[`...)
	for i, c := range r.Content {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"type":"text","text":`...)
		b = appendJSONString(b, c.(*mcp.TextContent).Text)
		b = append(b, '}')
	}
	b = append(b, ']')
	if raw != nil {
		b = append(b, `,"structuredContent":`...)
		b = append(b, raw...)
	}
	if r.IsError {
		b = append(b, `,"isError":true`...)
	}
	return append(b, '}'), true
}

// appendJSONString appends s as a JSON string, escaped as encoding/json
// does without HTML escaping.
func appendJSONString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' && c < utf8.RuneSelf {
			i++
			continue
		}
		if c < utf8.RuneSelf {
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			default:
				b = append(b, `\u00`...)
				b = append(b, hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 || r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			if r == utf8.RuneError {
				b = append(b, `\ufffd`...)
			} else {
				b = append(b, `\u202`...)
				b = strconv.AppendInt(b, int64(r&0xf), 16)
			}
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

const hexDigits = "0123456789abcdef"
