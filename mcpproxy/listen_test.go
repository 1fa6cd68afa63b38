package mcpproxy_test

import (
	"bufio"
	"context"
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

// serve runs p.Serve on a loopback port and returns its MCP URL and a
// function stopping it.
func serve(t *testing.T, p *mcpproxy.Proxy) (string, func()) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- p.Serve(ctx, ln) }()
	stop := func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("Serve: %v", err)
			}
		case <-time.After(5 * time.Second):
			t.Error("Serve did not stop within 5 s")
		}
	}
	t.Cleanup(cancel)
	return "http://" + ln.Addr().String() + "/mcp", stop
}

func TestListenForwards(t *testing.T) {
	var (
		mu   sync.Mutex
		seen *http.Request
		body string
	)
	release := make(chan struct{})
	upstream := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		seen, body = r.Clone(context.Background()), string(b)
		mu.Unlock()
		switch r.Method {
		case http.MethodGet:
			w.Header().Set("Allow", "POST, DELETE")
			w.WriteHeader(http.StatusMethodNotAllowed)
			return
		case http.MethodDelete:
			w.WriteHeader(http.StatusNoContent)
			return
		}
		w.Header().Set("Content-Type", "text/event-stream")
		w.Header().Set("Mcp-Session-Id", "s-42")
		w.Header().Set("WWW-Authenticate", `Bearer resource_metadata="https://idp.example/"`)
		w.Header().Set("Set-Cookie", "remote=1")
		fmt.Fprint(w, "data: {\"jsonrpc\":\"2.0\",\"method\":\"notifications/progress\"}\n\n")
		w.(http.Flusher).Flush()
		<-release // the first event must reach the client before this
		fmt.Fprint(w, "data: {\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{}}\n\n")
	}))
	defer upstream.Close()

	p := &mcpproxy.Proxy{
		Endpoint:  upstream.URL + "/registry/r/mcp",
		Transport: &mcpproxy.BearerTransport{Token: func() (string, error) { return "proxy-token", nil }},
		Header:    http.Header{"X-Team": {"blue"}},
		Logger:    testLogger(t),
	}
	url, stop := serve(t, p)

	req, _ := http.NewRequest("POST", url, strings.NewReader(`{"jsonrpc":"2.0","id":1,"method":"tools/list"}`))
	for k, v := range map[string]string{
		"Content-Type": "application/json", "Accept": "application/json, text/event-stream",
		"Mcp-Protocol-Version": "2025-11-25", "Mcp-Session-Id": "s-42", "Mcp-Method": "tools/list",
		"Last-Event-ID": "7", "Authorization": "Bearer local", "Cookie": "local=1", "X-Other": "x",
	} {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "text/event-stream" ||
		resp.Header.Get("Mcp-Session-Id") != "s-42" {
		t.Fatalf("response %d %v", resp.StatusCode, resp.Header)
	}
	for _, h := range []string{"WWW-Authenticate", "Set-Cookie"} {
		if resp.Header.Get(h) != "" {
			t.Errorf("%s passed back to the client", h)
		}
	}
	br := bufio.NewReader(resp.Body)
	if line, _ := br.ReadString('\n'); !strings.Contains(line, "notifications/progress") {
		t.Fatalf("first event %q", line)
	}
	close(release)
	if rest, _ := io.ReadAll(br); !strings.Contains(string(rest), `"id":1`) {
		t.Fatalf("rest of stream %q", rest)
	}

	mu.Lock()
	if seen.URL.Path != "/registry/r/mcp" || body != `{"jsonrpc":"2.0","id":1,"method":"tools/list"}` {
		t.Errorf("endpoint got %s %q", seen.URL.Path, body)
	}
	want := map[string]string{
		"Authorization": "Bearer proxy-token", "X-Team": "blue", "Content-Type": "application/json",
		"Accept": "application/json, text/event-stream", "Mcp-Protocol-Version": "2025-11-25",
		"Mcp-Session-Id": "s-42", "Mcp-Method": "tools/list", "Last-Event-Id": "7", "Cookie": "", "X-Other": "",
	}
	for k, v := range want {
		if got := seen.Header.Get(k); got != v {
			t.Errorf("endpoint got %s %q, want %q", k, got, v)
		}
	}
	mu.Unlock()

	// GET and DELETE pass through, answers and all.
	resp, err = http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed || resp.Header.Get("Allow") != "POST, DELETE" {
		t.Errorf("GET: %d Allow %q", resp.StatusCode, resp.Header.Get("Allow"))
	}
	req, _ = http.NewRequest("DELETE", strings.TrimSuffix(url, "/mcp")+"/", nil)
	req.Header.Set("Mcp-Session-Id", "s-42")
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	mu.Lock()
	if resp.StatusCode != http.StatusNoContent || seen.Method != "DELETE" || seen.Header.Get("Mcp-Session-Id") != "s-42" {
		t.Errorf("DELETE: %d, endpoint saw %s %v", resp.StatusCode, seen.Method, seen.Header)
	}
	mu.Unlock()
	stop()
}

func TestListenRefusals(t *testing.T) {
	upstream := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"jsonrpc":"2.0","id":1,"result":{}}`)
	}))
	defer upstream.Close()
	p := &mcpproxy.Proxy{Endpoint: upstream.URL, MaxBodyBytes: 1024, Logger: testLogger(t)}
	url, stop := serve(t, p)
	defer stop()

	do := func(method, target, body string, hdr map[string]string) int {
		t.Helper()
		req, _ := http.NewRequest(method, target, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		for k, v := range hdr {
			if k == "Host" {
				req.Host = v
			} else {
				req.Header.Set(k, v)
			}
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	ping := `{"jsonrpc":"2.0","id":1,"method":"ping"}`
	for _, tc := range []struct {
		name, method, path, body string
		hdr                      map[string]string
		want                     int
	}{
		{"ok", "POST", "/mcp", ping, nil, 200},
		{"root path", "POST", "/", ping, nil, 200},
		{"localhost Host", "POST", "/mcp", ping, map[string]string{"Host": "localhost:1234"}, 200},
		{"Inspector origin", "POST", "/mcp", ping, map[string]string{"Origin": "http://localhost:6274"}, 200},
		{"other path", "POST", "/other", ping, nil, 404},
		{"too big", "POST", "/mcp", strings.Repeat(" ", 2000) + ping, nil, 413},
		{"PUT", "PUT", "/mcp", ping, nil, 405},
		{"rebinding Host", "POST", "/mcp", ping, map[string]string{"Host": "evil.example:1234"}, 403},
		{"foreign Origin", "POST", "/mcp", ping, map[string]string{"Origin": "https://evil.example"}, 403},
		{"null Origin", "POST", "/mcp", ping, map[string]string{"Origin": "null"}, 403},
	} {
		if got := do(tc.method, strings.TrimSuffix(url, "/mcp")+tc.path, tc.body, tc.hdr); got != tc.want {
			t.Errorf("%s: status %d, want %d", tc.name, got, tc.want)
		}
	}

	// --allow-remote lifts the Host and Origin checks.
	remote, stopRemote := serve(t, &mcpproxy.Proxy{Endpoint: upstream.URL, AllowRemote: true})
	defer stopRemote()
	if got := do("POST", remote, ping, map[string]string{"Host": "proxy.internal:8765", "Origin": "https://app.example"}); got != 200 {
		t.Errorf("with AllowRemote: %d", got)
	}
}

func TestListenUnreachable(t *testing.T) {
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	addr := ln.Addr().String()
	ln.Close()
	url, stop := serve(t, &mcpproxy.Proxy{Endpoint: "http://" + addr + "/mcp", Logger: testLogger(t)})
	defer stop()
	resp, err := http.Post(url, "application/json", strings.NewReader(`{"jsonrpc":"2.0","id":1,"method":"ping"}`))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadGateway || !strings.Contains(string(b), "connection refused") {
		t.Fatalf("%d %q", resp.StatusCode, b)
	}
}

// Stopping the server ends open event streams at once rather than after
// the shutdown timeout.
func TestListenStopEndsStreams(t *testing.T) {
	upstream := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		w.WriteHeader(http.StatusOK)
		w.(http.Flusher).Flush()
		<-r.Context().Done()
	}))
	defer upstream.Close()
	url, stop := serve(t, &mcpproxy.Proxy{Endpoint: upstream.URL, Logger: testLogger(t)})
	req, _ := http.NewRequest("GET", url, nil)
	req.Header.Set("Accept", "text/event-stream")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	start := time.Now()
	stop()
	if d := time.Since(start); d > 3*time.Second {
		t.Fatalf("stopping took %v with a stream open", d)
	}
}
