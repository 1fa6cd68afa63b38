package mcpproxy_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/agentry/agentry/mcpproxy"
)

// stdio drives ServeStdio with raw lines.
type stdio struct {
	in    *io.PipeWriter
	lines chan string
	done  chan error
}

func runStdio(t *testing.T, p *mcpproxy.Proxy) *stdio {
	t.Helper()
	inR, inW := io.Pipe()
	outR, outW := io.Pipe()
	s := &stdio{in: inW, lines: make(chan string, 100), done: make(chan error, 1)}
	go func() {
		s.done <- p.ServeStdio(context.Background(), inR, outW)
		outW.Close()
	}()
	go func() {
		defer close(s.lines)
		sc := bufio.NewScanner(outR)
		for sc.Scan() {
			s.lines <- sc.Text()
		}
	}()
	t.Cleanup(func() { inW.Close() })
	return s
}

func (s *stdio) send(t *testing.T, line string) {
	t.Helper()
	if _, err := io.WriteString(s.in, line+"\n"); err != nil {
		t.Fatal(err)
	}
}

// recvLine returns the next line of stdout.
func (s *stdio) recvLine(t *testing.T) string {
	t.Helper()
	select {
	case line, ok := <-s.lines:
		if !ok {
			t.Fatal("stdout closed")
		}
		return line
	case <-time.After(10 * time.Second):
		t.Fatal("no message on stdout within 10 s")
		return ""
	}
}

// recv returns the next line of stdout, decoded.
func (s *stdio) recv(t *testing.T) map[string]any {
	t.Helper()
	line := s.recvLine(t)
	var m map[string]any
	if err := json.Unmarshal([]byte(line), &m); err != nil {
		t.Fatalf("stdout line %q: %v", line, err)
	}
	return m
}

// close closes stdin and returns the lines written after, once ServeStdio
// has returned.
func (s *stdio) close(t *testing.T) []string {
	t.Helper()
	s.in.Close()
	select {
	case err := <-s.done:
		if err != nil {
			t.Fatalf("ServeStdio: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("ServeStdio did not return after stdin closed")
	}
	var rest []string
	for line := range s.lines {
		rest = append(rest, line)
	}
	return rest
}

func errorMessage(t *testing.T, m map[string]any) string {
	t.Helper()
	e, ok := m["error"].(map[string]any)
	if !ok {
		t.Fatalf("want an error response, got %v", m)
	}
	return e["message"].(string)
}

// rpc is a JSON-RPC message as a fake endpoint sees it.
type rpc struct {
	ID     json.RawMessage `json:"id"`
	Method string          `json:"method"`
	Params json.RawMessage `json:"params"`
}

func readRPC(t *testing.T, r *http.Request) rpc {
	var m rpc
	if err := json.NewDecoder(r.Body).Decode(&m); err != nil {
		t.Errorf("endpoint got a body that is not one JSON-RPC message: %v", err)
	}
	return m
}

func result(id json.RawMessage, result string) string {
	return fmt.Sprintf(`{"jsonrpc":"2.0","id":%s,"result":%s}`, id, result)
}

func TestStdioSSEResponse(t *testing.T) {
	upstream := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		m := readRPC(t, r)
		if got := r.Header.Get("Accept"); got != "application/json, text/event-stream" {
			t.Errorf("Accept = %q", got)
		}
		w.Header().Set("Content-Type", "text/event-stream")
		fmt.Fprint(w, ": keep-alive\n\n")
		fmt.Fprint(w, "event: message\ndata: {\"jsonrpc\":\"2.0\",\"method\":\"notifications/progress\",\"params\":{\"progress\":1}}\n\n")
		fmt.Fprint(w, "event: other\ndata: not JSON-RPC, not for the client\n\n")
		// A message split over data lines, as the event stream format allows.
		fmt.Fprintf(w, "id: 1\ndata: {\"jsonrpc\":\"2.0\",\ndata:  \"id\":%s,\ndata: \"result\":{\"tools\":[]}}\n\n", m.ID)
		w.(http.Flusher).Flush()
		// The stream stays open: the proxy must stop once it has the answer.
		<-r.Context().Done()
	}))
	defer upstream.Close()

	s := runStdio(t, &mcpproxy.Proxy{Endpoint: upstream.URL, Logger: testLogger(t)})
	s.send(t, `{"jsonrpc":"2.0","id":"req-1","method":"tools/list"}`)
	if m := s.recv(t); m["method"] != "notifications/progress" {
		t.Fatalf("first message %v, want the progress notification", m)
	}
	if m := s.recv(t); m["id"] != "req-1" || m["result"] == nil {
		t.Fatalf("second message %v, want the result of req-1", m)
	}
	if rest := s.close(t); len(rest) != 0 {
		t.Fatalf("unexpected output %q", rest)
	}
}

func TestStdioSSEEndsWithoutAnswer(t *testing.T) {
	upstream := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		fmt.Fprint(w, ": nothing to say\n\n")
	}))
	defer upstream.Close()
	s := runStdio(t, &mcpproxy.Proxy{Endpoint: upstream.URL, Logger: testLogger(t)})
	s.send(t, `{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"x"}}`)
	m := s.recv(t)
	if m["id"] != 3.0 || !strings.Contains(errorMessage(t, m), "did not answer") {
		t.Fatalf("got %v", m)
	}
	s.close(t)
}

func TestStdioHTTPErrors(t *testing.T) {
	upstream := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		m := readRPC(t, r)
		switch m.Method {
		case "denied", "notifications/initialized":
			w.Header().Set("Content-Type", "application/json")
			w.Header().Set("X-Amzn-ErrorType", "AccessDeniedException")
			w.WriteHeader(http.StatusForbidden)
			fmt.Fprint(w, `{"__type":"AccessDeniedException","message":"User: arn:aws:iam::123456789012:user/bob is not authorized to perform: bedrock-agentcore:InvokeRegistryMcp"}`)
		case "namespaced":
			w.Header().Set("Content-Type", "application/x-amz-json-1.1")
			w.WriteHeader(http.StatusBadRequest)
			fmt.Fprint(w, `{"__type":"com.amazonaws.agentcore#ValidationException","Message":"bad input"}`)
		case "rpc-error":
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusBadRequest)
			fmt.Fprintf(w, `{"jsonrpc":"2.0","id":%s,"error":{"code":-32602,"message":"invalid params"}}`, m.ID)
		case "boom":
			http.Error(w, "upstream exploded\nat line 2", http.StatusBadGateway)
		case "redirect":
			http.Redirect(w, r, "https://elsewhere.example/mcp", http.StatusTemporaryRedirect)
		default:
			t.Errorf("unexpected method %q", m.Method)
		}
	}))
	defer upstream.Close()

	s := runStdio(t, &mcpproxy.Proxy{Endpoint: upstream.URL + "/registry/r/mcp?token=secret", Logger: testLogger(t)})
	// A notification that fails is only logged: nobody waits for it.
	s.send(t, `{"jsonrpc":"2.0","method":"notifications/initialized"}`)
	for _, tc := range []struct{ line, id, want string }{
		{`{"jsonrpc":"2.0","id":"abc","method":"denied"}`, "abc",
			"403 Forbidden: AccessDeniedException: User: arn:aws:iam::123456789012:user/bob is not authorized"},
		{`{"jsonrpc":"2.0","id":"n","method":"namespaced"}`, "n", "400 Bad Request: ValidationException: bad input"},
		{`{"jsonrpc":"2.0","id":"rpc","method":"rpc-error"}`, "rpc", "invalid params"},
		{`{"jsonrpc":"2.0","id":"b","method":"boom"}`, "b", "502 Bad Gateway: upstream exploded at line 2"},
		{`{"jsonrpc":"2.0","id":"r","method":"redirect"}`, "r", "redirected to https://elsewhere.example/mcp"},
	} {
		s.send(t, tc.line)
		m := s.recv(t)
		msg := errorMessage(t, m)
		if m["id"] != tc.id || !strings.Contains(msg, tc.want) {
			t.Errorf("%s: got id %v message %q, want %q", tc.line, m["id"], msg, tc.want)
		}
		if strings.Contains(msg, "secret") {
			t.Errorf("the message shows the endpoint's query: %q", msg)
		}
	}
	if rest := s.close(t); len(rest) != 0 {
		t.Fatalf("unexpected output %q", rest)
	}
}

func TestStdioUnreachable(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	s := runStdio(t, &mcpproxy.Proxy{Endpoint: "http://" + addr + "/mcp", Logger: testLogger(t)})
	s.send(t, `{"jsonrpc":"2.0","id":1,"method":"initialize","params":{}}`)
	if msg := errorMessage(t, s.recv(t)); !strings.Contains(msg, "connection refused") {
		t.Fatalf("message %q", msg)
	}
	// A line that is not JSON gets a parse error rather than silence.
	s.send(t, `{"jsonrpc":`)
	if m := s.recv(t); m["id"] != nil || m["error"].(map[string]any)["code"] != -32700.0 {
		t.Fatalf("got %v", m)
	}
	s.close(t)
}

func TestStdioProtocolVersionAndSession(t *testing.T) {
	var (
		mu      sync.Mutex
		headers = map[string]http.Header{}
	)
	upstream := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodDelete {
			mu.Lock()
			headers["DELETE"] = r.Header.Clone()
			mu.Unlock()
			return
		}
		m := readRPC(t, r)
		mu.Lock()
		headers[m.Method] = r.Header.Clone()
		mu.Unlock()
		switch m.Method {
		case "initialize":
			w.Header().Set("Mcp-Session-Id", "session-1")
			w.Header().Set("Content-Type", "application/json; charset=utf-8")
			// Pretty-printed: the proxy must still write one line.
			fmt.Fprintf(w, "{\n  \"jsonrpc\": \"2.0\",\n  \"id\": %s,\n  \"result\": {\"protocolVersion\": \"2025-06-18\", \"capabilities\": {}}\n}\n", m.ID)
		case "notifications/initialized":
			w.WriteHeader(http.StatusAccepted)
		default:
			w.Header().Set("Content-Type", "application/json")
			// A batch of one, as a server may answer.
			fmt.Fprintf(w, "[%s]", result(m.ID, "{}"))
		}
	}))
	defer upstream.Close()

	s := runStdio(t, &mcpproxy.Proxy{Endpoint: upstream.URL, Header: http.Header{"X-Team": {"blue"}}, UserAgent: "test-agent", Logger: testLogger(t)})
	s.send(t, `{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-11-25"}}`)
	// Sent at once: initialize's answer must come first all the same.
	s.send(t, `{"jsonrpc":"2.0","method":"notifications/initialized"}`)
	s.send(t, `{"jsonrpc":"2.0","id":1,"method":"tools/list"}`)
	if m := s.recv(t); m["id"] != 0.0 {
		t.Fatalf("got %v, want the initialize result", m)
	}
	if line := s.recvLine(t); line != `[{"jsonrpc":"2.0","id":1,"result":{}}]` {
		t.Fatalf("got %s, want the batch as the server sent it", line)
	}
	if rest := s.close(t); len(rest) != 0 {
		t.Fatalf("unexpected output %q", rest)
	}

	mu.Lock()
	defer mu.Unlock()
	if h := headers["initialize"]; h.Get("Mcp-Protocol-Version") != "" || h.Get("Mcp-Session-Id") != "" {
		t.Errorf("initialize sent version %q session %q", h.Get("Mcp-Protocol-Version"), h.Get("Mcp-Session-Id"))
	}
	for _, method := range []string{"notifications/initialized", "tools/list", "DELETE"} {
		h := headers[method]
		if h == nil {
			t.Errorf("%s never reached the endpoint", method)
			continue
		}
		if h.Get("Mcp-Protocol-Version") != "2025-06-18" || h.Get("Mcp-Session-Id") != "session-1" {
			t.Errorf("%s sent version %q session %q", method, h.Get("Mcp-Protocol-Version"), h.Get("Mcp-Session-Id"))
		}
		if h.Get("X-Team") != "blue" || h.Get("User-Agent") != "test-agent" {
			t.Errorf("%s: static headers missing: %v", method, h)
		}
	}
	if h := headers["tools/list"]; h.Get("Content-Type") != "application/json" {
		t.Errorf("Content-Type %q", h.Get("Content-Type"))
	}
}

func TestStdioConcurrent(t *testing.T) {
	release := make(chan struct{})
	upstream := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		m := readRPC(t, r)
		if m.Method == "slow" {
			<-release
		}
		w.Header().Set("Content-Type", "application/json")
		// A long answer, so that interleaved writes would show.
		fmt.Fprint(w, result(m.ID, fmt.Sprintf(`{"pad":%q}`, strings.Repeat(m.Method, 2000))))
	}))
	defer upstream.Close()

	s := runStdio(t, &mcpproxy.Proxy{Endpoint: upstream.URL, Logger: testLogger(t)})
	s.send(t, `{"jsonrpc":"2.0","id":"slow","method":"slow"}`)
	const n = 40
	for i := range n {
		s.send(t, fmt.Sprintf(`{"jsonrpc":"2.0","id":%d,"method":"fast"}`, i))
	}
	seen := map[float64]bool{}
	for range n {
		m := s.recv(t) // fails on an interleaved, broken line
		id, ok := m["id"].(float64)
		if !ok {
			t.Fatalf("got %v before the fast answers", m["id"])
		}
		seen[id] = true
	}
	if len(seen) != n {
		t.Fatalf("%d distinct answers, want %d", len(seen), n)
	}
	close(release)
	if m := s.recv(t); m["id"] != "slow" {
		t.Fatalf("got %v", m["id"])
	}
	s.close(t)
}

func TestStdioEOFWaitsForInFlight(t *testing.T) {
	release := make(chan struct{})
	upstream := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		m := readRPC(t, r)
		if m.Method == "never" {
			<-r.Context().Done()
			return
		}
		<-release
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, result(m.ID, "{}"))
	}))
	defer upstream.Close()

	s := runStdio(t, &mcpproxy.Proxy{Endpoint: upstream.URL, Logger: testLogger(t)})
	s.send(t, `{"jsonrpc":"2.0","id":1,"method":"slow"}`)
	s.in.Close()
	time.AfterFunc(200*time.Millisecond, func() { close(release) })
	if m := s.recv(t); m["id"] != 1.0 {
		t.Fatalf("got %v", m)
	}
	s.close(t)

	// The wait is bounded.
	s = runStdio(t, &mcpproxy.Proxy{Endpoint: upstream.URL, Logger: testLogger(t), ShutdownTimeout: 200 * time.Millisecond})
	s.send(t, `{"jsonrpc":"2.0","id":2,"method":"never"}`)
	start := time.Now()
	s.close(t)
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("ServeStdio took %v to give up", d)
	}
}

func TestStdioStopsWhenContextDone(t *testing.T) {
	inR, _ := io.Pipe() // stdin that never closes
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- (&mcpproxy.Proxy{Endpoint: "http://127.0.0.1:1/mcp"}).ServeStdio(ctx, inR, io.Discard) }()
	time.Sleep(50 * time.Millisecond)
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("ServeStdio ignored its context")
	}
}

func TestStdioBatch(t *testing.T) {
	const batch = `[{"jsonrpc":"2.0","id":5,"method":"a"},{"jsonrpc":"2.0","method":"notifications/x"},{"jsonrpc":"2.0","id":6,"method":"deny"}]`
	upstream := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		if string(b) == batch {
			w.Header().Set("Content-Type", "application/json")
			fmt.Fprint(w, `[{"jsonrpc":"2.0","id":5,"result":{}},{"jsonrpc":"2.0","id":6,"result":{}}]`)
			return
		}
		w.Header().Set("X-Amzn-ErrorType", "AccessDeniedException:http://internal.example/")
		http.Error(w, "", http.StatusForbidden)
	}))
	defer upstream.Close()

	s := runStdio(t, &mcpproxy.Proxy{Endpoint: upstream.URL, Logger: testLogger(t)})
	s.send(t, batch)
	if line := s.recvLine(t); line != `[{"jsonrpc":"2.0","id":5,"result":{}},{"jsonrpc":"2.0","id":6,"result":{}}]` {
		t.Fatalf("got %s", line)
	}
	// Each request of a failed batch gets its own error.
	s.send(t, `[{"jsonrpc":"2.0","id":7,"method":"a"},{"jsonrpc":"2.0","id":8,"method":"b"}]`)
	ids := map[any]bool{}
	for range 2 {
		m := s.recv(t)
		if msg := errorMessage(t, m); !strings.HasSuffix(msg, "403 Forbidden: AccessDeniedException") {
			t.Errorf("message %q", msg)
		}
		ids[m["id"]] = true
	}
	if !ids[7.0] || !ids[8.0] {
		t.Fatalf("errors for ids %v", ids)
	}
	s.close(t)
}

func TestStdioIgnoresNonRPC(t *testing.T) {
	upstream := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"ok":true}`)
	}))
	defer upstream.Close()
	s := runStdio(t, &mcpproxy.Proxy{Endpoint: upstream.URL, Logger: testLogger(t)})
	s.send(t, `{"jsonrpc":"2.0","method":"notifications/initialized"}`)
	s.send(t, `{"jsonrpc":"2.0","id":9,"method":"ping"}`)
	if m := s.recv(t); m["id"] != 9.0 || !strings.Contains(errorMessage(t, m), "did not answer") {
		t.Fatalf("got %v", m)
	}
	if rest := s.close(t); len(rest) != 0 {
		t.Fatalf("unexpected output %q", rest)
	}
}
