package mcpproxy

import (
	"bufio"
	"bytes"
	"io"
)

// maxEventBytes bounds one line of an event stream.
const maxEventBytes = 64 << 20

// readSSE reads a text/event-stream and calls fn with the data of each
// message event, multi-line data joined with newlines, until fn returns
// false or the stream ends. Comments, ids and retry hints are skipped:
// the proxy does not resume streams.
func readSSE(r io.Reader, fn func(data []byte) bool) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), maxEventBytes)
	var (
		data    []byte
		hasData bool
		event   string
	)
	dispatch := func() bool {
		defer func() { data, hasData, event = data[:0], false, "" }()
		// MCP sends JSON-RPC messages as events of the default type.
		if !hasData || (event != "" && event != "message") {
			return true
		}
		return fn(bytes.Clone(data))
	}
	for sc.Scan() {
		line := sc.Bytes()
		if len(line) == 0 {
			if !dispatch() {
				return nil
			}
			continue
		}
		if line[0] == ':' {
			continue // a comment, such as a keep-alive
		}
		field, value, _ := bytes.Cut(line, []byte(":"))
		value = bytes.TrimPrefix(value, []byte(" "))
		switch string(field) {
		case "data":
			if hasData {
				data = append(data, '\n')
			}
			data, hasData = append(data, value...), true
		case "event":
			event = string(value)
		}
	}
	if err := sc.Err(); err != nil {
		return err
	}
	// Be lenient with a server that ends the stream without a blank line.
	dispatch()
	return nil
}
