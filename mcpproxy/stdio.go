package mcpproxy

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"sync"
	"time"
)

// JSON-RPC error codes of the responses the proxy makes up.
const (
	codeParseError = -32700
	// codeUpstream is for requests the endpoint did not answer: an HTTP
	// error, an unreachable server, a failed signature.
	codeUpstream = -32000
)

// ServeStdio is the MCP stdio transport: it reads newline-delimited
// JSON-RPC messages (or batches) from in, POSTs each one to the endpoint and
// writes the messages that come back to out, one per line. Requests are
// forwarded concurrently; a request that fails in transit is answered with a
// JSON-RPC error saying why, so that the client does not wait forever.
//
// It returns nil when in reaches EOF, after the requests in flight have
// been answered (or ShutdownTimeout has passed), and when ctx is done; the
// goroutine reading in may then stay blocked in Read until in is closed.
func (p *Proxy) ServeStdio(ctx context.Context, in io.Reader, out io.Writer) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	s := &stdioSession{p: p, client: p.client(), out: out, log: p.logger()}

	lines := make(chan []byte)
	var readErr error // set before lines is closed
	go func() {
		defer close(lines)
		br := bufio.NewReaderSize(in, 64<<10)
		for {
			line, err := br.ReadBytes('\n')
			if line = bytes.TrimSpace(line); len(line) > 0 {
				select {
				case lines <- line:
				case <-ctx.Done():
					return
				}
			}
			if err != nil {
				if err != io.EOF {
					readErr = err
				}
				return
			}
		}
	}()

	var wg sync.WaitGroup
	sem := make(chan struct{}, p.maxConcurrent())
	stop := func() error {
		cancel()
		wg.Wait()
		s.endSession()
		return nil
	}
	for {
		var line []byte
		var ok bool
		select {
		case line, ok = <-lines:
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			return stop() // ctx is done: a signal, say
		}
		if !ok {
			break
		}
		m, err := parseMessage(line)
		if err != nil {
			s.log.Warn("answering a line of stdin that is not JSON-RPC with a parse error", "err", err)
			s.write(errorResponse(json.RawMessage("null"), codeParseError, "Parse error: "+err.Error()))
			continue
		}
		if m.initID != "" {
			// Later messages need the session id and protocol version that
			// the answer brings, so nothing overtakes it.
			s.forward(ctx, m)
			continue
		}
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
			return stop()
		}
		wg.Go(func() {
			defer func() { <-sem }()
			s.forward(ctx, m)
		})
	}
	// stdin is closed: let the requests in flight finish, within bounds.
	done := make(chan struct{})
	go func() {
		wg.Wait()
		close(done)
	}()
	timer := time.NewTimer(p.shutdownTimeout())
	defer timer.Stop()
	select {
	case <-done:
	case <-timer.C:
		s.log.Warn("stdin closed; abandoning requests still in flight", "after", p.shutdownTimeout())
	case <-ctx.Done():
	}
	stop()
	if readErr != nil {
		return fmt.Errorf("reading stdin: %w", readErr)
	}
	return nil
}

// stdioSession is the state of one ServeStdio call.
type stdioSession struct {
	p      *Proxy
	client *http.Client
	log    *slog.Logger

	outMu sync.Mutex
	out   io.Writer

	mu              sync.Mutex
	protocolVersion string // negotiated by initialize
	sessionID       string // set by the server, if it keeps sessions
}

// message is one line of stdin: a JSON-RPC message or batch.
type message struct {
	raw      []byte
	requests []json.RawMessage // ids of the requests it carries
	initID   string            // id of an initialize request among them
	methods  []string          // for the log
}

// parseMessage reads just enough of a line to forward it: which requests
// it carries, and whether one of them is initialize.
func parseMessage(line []byte) (*message, error) {
	m := &message{raw: line}
	items, err := splitBatch(line)
	if err != nil {
		return nil, err
	}
	for _, item := range items {
		var head struct {
			ID     json.RawMessage `json:"id"`
			Method string          `json:"method"`
		}
		if err := json.Unmarshal(item, &head); err != nil {
			return nil, err
		}
		if head.Method != "" {
			m.methods = append(m.methods, head.Method)
		}
		if head.Method == "" || len(head.ID) == 0 || string(head.ID) == "null" {
			continue // a notification or a response
		}
		m.requests = append(m.requests, head.ID)
		if head.Method == "initialize" {
			m.initID = idKey(head.ID)
		}
	}
	return m, nil
}

// splitBatch returns the messages of a batch, or msg alone.
func splitBatch(msg []byte) ([]json.RawMessage, error) {
	if len(msg) == 0 || msg[0] != '[' {
		return []json.RawMessage{msg}, nil
	}
	// Into a fresh slice: json.RawMessage reuses the memory it is given.
	var items []json.RawMessage
	err := json.Unmarshal(msg, &items)
	return items, err
}

// idKey normalizes a JSON-RPC id for comparison.
func idKey(id json.RawMessage) string {
	var b bytes.Buffer
	if json.Compact(&b, id) != nil {
		return string(id)
	}
	return b.String()
}

// pending tracks the requests of a message not yet answered.
type pending map[string]json.RawMessage

func (m *message) pending() pending {
	p := make(pending, len(m.requests))
	for _, id := range m.requests {
		p[idKey(id)] = id
	}
	return p
}

// forward POSTs m and relays what comes back; requests left unanswered get
// an error response explaining why.
func (s *stdioSession) forward(ctx context.Context, m *message) {
	waiting := m.pending()
	s.log.Debug("forwarding", "methods", m.methods, "requests", len(waiting))
	failed := func(msg string) {
		if len(waiting) == 0 {
			s.log.Warn("message not delivered", "methods", m.methods, "err", msg)
			return
		}
		s.log.Warn("request failed", "methods", m.methods, "err", msg)
		for _, id := range waiting {
			s.write(errorResponse(id, codeUpstream, msg))
		}
	}

	req, err := s.p.newRequest(ctx, http.MethodPost, m.raw)
	if err != nil {
		failed(err.Error())
		return
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	s.mu.Lock()
	if s.protocolVersion != "" {
		req.Header.Set(headerProtocolVersion, s.protocolVersion)
	}
	sentSession := s.sessionID
	if sentSession != "" {
		req.Header.Set(headerSessionID, sentSession)
	}
	s.mu.Unlock()

	resp, err := s.client.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return // shutting down: nobody is waiting
		}
		failed(s.p.describeTransportError(http.MethodPost, err))
		return
	}
	defer resp.Body.Close()
	if id := resp.Header.Get(headerSessionID); id != "" {
		s.mu.Lock()
		s.sessionID = id
		s.mu.Unlock()
	}

	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		body, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
		if resp.StatusCode == http.StatusNotFound && sentSession != "" {
			// The session is gone; the client has to initialize a new one.
			s.mu.Lock()
			if s.sessionID == sentSession {
				s.sessionID = ""
			}
			s.mu.Unlock()
		}
		// The server may have put JSON-RPC errors of its own in the body.
		if mediaType(resp.Header.Get("Content-Type")) == "application/json" {
			s.relayJSON(body, m, waiting, true)
		}
		if len(waiting) > 0 || m.requests == nil {
			failed(s.p.describeHTTPError(http.MethodPost, resp, body))
		}
		return
	}

	switch ct := mediaType(resp.Header.Get("Content-Type")); ct {
	case "text/event-stream":
		err = readSSE(resp.Body, func(data []byte) bool {
			s.relay(data, m, waiting, false)
			// The stream has served its purpose once every request is
			// answered; a server may keep it open longer.
			return len(waiting) > 0
		})
		if err != nil && ctx.Err() == nil && len(waiting) > 0 {
			failed(s.p.describeTransportError(http.MethodPost, fmt.Errorf("reading the event stream: %w", err)))
			return
		}
	default:
		body, err := io.ReadAll(resp.Body)
		if err != nil {
			if ctx.Err() == nil {
				failed(s.p.describeTransportError(http.MethodPost, err))
			}
			return
		}
		if len(bytes.TrimSpace(body)) == 0 {
			break // 202 Accepted for notifications and responses
		}
		if ct != "application/json" {
			failed(fmt.Sprintf("POST %s: %s with unexpected Content-Type %q", s.p.endpointLabel(), resp.Status, ct))
			return
		}
		s.relayJSON(body, m, waiting, false)
	}
	if ctx.Err() == nil && len(waiting) > 0 {
		failed(fmt.Sprintf("POST %s: %s, but the response did not answer the request", s.p.endpointLabel(), resp.Status))
	}
}

// relayJSON relays a JSON response body: one message or a batch.
func (s *stdioSession) relayJSON(body []byte, m *message, waiting pending, answersOnly bool) {
	body = bytes.TrimSpace(body)
	if !answersOnly {
		s.relay(body, m, waiting, false)
		return
	}
	// Pick the answers out of a batch one by one.
	items, _ := splitBatch(body)
	for _, item := range items {
		s.relay(item, m, waiting, true)
	}
}

// relay writes one message (or batch) from the server to stdout, noting
// which requests it answers. With answersOnly, it writes only answers to
// requests of m: the body of an HTTP error may be anything.
func (s *stdioSession) relay(data []byte, m *message, waiting pending, answersOnly bool) {
	var line bytes.Buffer
	if err := json.Compact(&line, data); err != nil {
		if !answersOnly {
			s.log.Warn("dropping a server message that is not JSON", "err", err)
		}
		return
	}
	items, _ := splitBatch(line.Bytes())
	rpc, answered := 0, false
	for _, item := range items {
		var r struct {
			ID     json.RawMessage `json:"id"`
			Method string          `json:"method"`
			Result json.RawMessage `json:"result"`
			Error  json.RawMessage `json:"error"`
		}
		if json.Unmarshal(item, &r) != nil {
			continue
		}
		if r.Method != "" {
			rpc++ // a request or notification of the server's
			continue
		}
		if r.Result == nil && r.Error == nil {
			continue
		}
		rpc++
		key := idKey(r.ID)
		if _, ok := waiting[key]; !ok {
			continue
		}
		delete(waiting, key)
		answered = true
		if key == m.initID {
			var init struct {
				ProtocolVersion string `json:"protocolVersion"`
			}
			if json.Unmarshal(r.Result, &init) == nil && init.ProtocolVersion != "" {
				s.mu.Lock()
				s.protocolVersion = init.ProtocolVersion
				s.mu.Unlock()
				s.log.Info("initialized", "protocol_version", init.ProtocolVersion)
			}
		}
	}
	if rpc == 0 && !answersOnly {
		s.log.Warn("dropping a server message that is not JSON-RPC")
	}
	if rpc == 0 || answersOnly && !answered {
		return
	}
	s.write(line.Bytes())
}

// write writes one message and a newline to stdout in one piece, so that
// concurrent writers do not interleave.
func (s *stdioSession) write(msg []byte) {
	s.outMu.Lock()
	defer s.outMu.Unlock()
	if _, err := s.out.Write(append(msg, '\n')); err != nil {
		s.log.Warn("writing stdout", "err", err)
	}
}

// endSession ends the server's session, if it made one, as a client
// leaving should.
func (s *stdioSession) endSession() {
	s.mu.Lock()
	id := s.sessionID
	s.mu.Unlock()
	if id == "" {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	req, err := s.p.newRequest(ctx, http.MethodDelete, nil)
	if err != nil {
		return
	}
	req.Header.Set(headerSessionID, id)
	s.mu.Lock()
	if s.protocolVersion != "" {
		req.Header.Set(headerProtocolVersion, s.protocolVersion)
	}
	s.mu.Unlock()
	resp, err := s.client.Do(req)
	if err != nil {
		s.log.Debug("ending the session", "err", err)
		return
	}
	resp.Body.Close()
}

// errorResponse is a JSON-RPC error response.
func errorResponse(id json.RawMessage, code int, message string) []byte {
	type rpcError struct {
		Code    int    `json:"code"`
		Message string `json:"message"`
	}
	b, _ := json.Marshal(struct {
		JSONRPC string          `json:"jsonrpc"`
		ID      json.RawMessage `json:"id"`
		Error   rpcError        `json:"error"`
	}{"2.0", id, rpcError{code, message}})
	return b
}
