package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"mime"
	"net/http"
)

// The MCP endpoint looks at each JSON-RPC body before the SDK does. The
// Streamable HTTP transport asks for JSON-RPC errors, where the SDK answers
// malformed messages in text/plain; and the SDK would serve resources,
// prompts and logging, which this server does not advertise, as empty.

// JSON-RPC 2.0 error codes.
const (
	rpcParseError     = -32700
	rpcInvalidRequest = -32600
	rpcMethodNotFound = -32601
	rpcInvalidParams  = -32602
)

// mcpMethod is how a served method is called.
type mcpMethod struct {
	call   bool // a request, answered; else a notification
	params bool // params are required
}

// mcpMethods are the methods the endpoint serves: the lifecycle, ping and
// tools, the one capability it advertises, and the notifications a client
// may send.
var mcpMethods = map[string]mcpMethod{
	"initialize":                       {call: true, params: true},
	"ping":                             {call: true},
	"tools/list":                       {call: true},
	"tools/call":                       {call: true, params: true},
	"notifications/initialized":        {},
	"notifications/cancelled":          {},
	"notifications/progress":           {params: true},
	"notifications/roots/list_changed": {},
}

const mcpServedMethods = "initialize, ping, tools/list and tools/call"

// rpcMessage is a JSON-RPC message as received: a request, a notification
// or a response.
type rpcMessage struct {
	JSONRPC string          `json:"jsonrpc"`
	ID      json.RawMessage `json:"id"`
	Method  *string         `json:"method"`
	Params  json.RawMessage `json:"params"`
	Result  json.RawMessage `json:"result"`
	Error   json.RawMessage `json:"error"`
}

// rpcProblem is a JSON-RPC error answer: HTTP status, the id it answers
// (nil = null) and the error. writeError answers it with writeRPCError.
type rpcProblem struct {
	status  int
	id      json.RawMessage
	code    int
	message string
}

func (p *rpcProblem) Error() string { return fmt.Sprintf("JSON-RPC error %d: %s", p.code, p.message) }

// mcpCheck refuses what checkMCPBody finds wrong in a POSTed JSON body and
// passes everything else on. It runs behind the consumer authentication,
// which has read the body already.
func mcpCheck(next http.Handler) http.Handler {
	return handlerFunc(func(w http.ResponseWriter, r *http.Request) error {
		mediaType, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
		if r.Method != http.MethodPost || mediaType != "application/json" {
			next.ServeHTTP(w, r) // the SDK refuses these with 405 and 415
			return nil
		}
		c := consumerFrom(r.Context())
		if c == nil {
			return errors.New("internal error: no authenticated body in the request context")
		}
		m, p := checkMCPBody(c.body)
		if p != nil {
			return p
		}
		if m != nil {
			noteMCP(r, m)
		}
		next.ServeHTTP(w, r)
		return nil
	})
}

// checkMCPBody returns what is wrong with a JSON-RPC body for this server,
// nil when nothing is, with the message when the body is a single one. A
// batch (MCP 2025-03-26) is refused whole for the first problem in it.
func checkMCPBody(body []byte) (*rpcMessage, *rpcProblem) {
	if !json.Valid(body) {
		return nil, &rpcProblem{http.StatusBadRequest, nil, rpcParseError, "Parse error: the body is not valid JSON."}
	}
	if err := checkUTF8(body); err != nil {
		return nil, &rpcProblem{http.StatusBadRequest, nil, rpcParseError, "Parse error: " + err.Error()}
	}
	body = bytes.TrimSpace(body)
	if body[0] != '[' {
		var m rpcMessage
		if p := checkMCPMessage(body, 0, &m); p != nil {
			return nil, p
		}
		return &m, nil
	}
	var batch []json.RawMessage
	json.Unmarshal(body, &batch) // valid JSON starting with [ is an array
	if len(batch) == 0 {
		return nil, &rpcProblem{http.StatusBadRequest, nil, rpcInvalidRequest, "Invalid request: an empty batch."}
	}
	for i, raw := range batch {
		if p := checkMCPMessage(raw, i+1, new(rpcMessage)); p != nil {
			return nil, p
		}
	}
	return nil, nil
}

// checkMCPMessage checks one message, the nth of a batch (0 = not in a
// batch), decoding it into m. A call on its own gets a JSON-RPC answer to
// its id; any other problem refuses the whole HTTP request, as there is no
// id to answer.
func checkMCPMessage(raw json.RawMessage, nth int, m *rpcMessage) *rpcProblem {
	var where string
	if nth > 0 {
		where = fmt.Sprintf("batch message %d: ", nth)
	}
	if raw[0] != '{' {
		return invalidRPC(where + "a JSON-RPC message is a JSON object.")
	}
	if err := json.Unmarshal(raw, m); err != nil {
		var te *json.UnmarshalTypeError
		errors.As(err, &te) // the only error left: the JSON is valid
		return invalidRPC(fmt.Sprintf("%s%q must be %s.", where, te.Field, jsonKind(te.Type.Kind().String())))
	}
	if m.JSONRPC != "2.0" {
		return invalidRPC(where + `a JSON-RPC 2.0 message has "jsonrpc": "2.0".`)
	}
	isCall := m.ID != nil
	if isCall && !validRPCID(m.ID) {
		return invalidRPC(where + "id must be a string or a number.")
	}
	if m.Method == nil {
		if !isCall || (m.Result == nil) == (m.Error == nil) {
			return invalidRPC(where + `a message has a "method" (a request or notification), or an "id" and one of "result" and "error" (a response).`)
		}
		return nil // a response: the SDK has sent no request it could answer, and drops it
	}
	method := truncate(*m.Method, 100)
	served, ok := mcpMethods[*m.Method]
	p := &rpcProblem{status: http.StatusOK, id: m.ID}
	switch {
	case !ok || (isCall && !served.call):
		p.code, p.message = rpcMethodNotFound, fmt.Sprintf("Method not found: %s%q; this server serves %s.", where, method, mcpServedMethods)
	case !isCall && served.call:
		return invalidRPC(fmt.Sprintf("%s%q is a request: it needs an id.", where, method))
	case served.params && (m.Params == nil || string(m.Params) == "null"):
		p.code, p.message = rpcInvalidParams, fmt.Sprintf("Invalid params: %s%q needs params.", where, method)
	default:
		return nil
	}
	if !isCall || nth > 0 {
		p.status, p.id = http.StatusBadRequest, nil
	}
	return p
}

func invalidRPC(message string) *rpcProblem {
	return &rpcProblem{http.StatusBadRequest, nil, rpcInvalidRequest, "Invalid request: " + message}
}

// validRPCID reports whether id is a string or a number: MCP ids are never
// null.
func validRPCID(id json.RawMessage) bool {
	var v any
	if json.Unmarshal(id, &v) != nil {
		return false
	}
	switch v.(type) {
	case string, float64:
		return true
	}
	return false
}

// writeRPCError writes p as a JSON-RPC response.
func writeRPCError(w http.ResponseWriter, p *rpcProblem) {
	id := p.id
	if id == nil {
		id = json.RawMessage("null")
	}
	type rpcError struct {
		Code    int    `json:"code"`
		Message string `json:"message"`
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(p.status)
	json.NewEncoder(w).Encode(struct {
		JSONRPC string          `json:"jsonrpc"`
		ID      json.RawMessage `json:"id"`
		Error   rpcError        `json:"error"`
	}{"2.0", id, rpcError{p.code, p.message}})
}
