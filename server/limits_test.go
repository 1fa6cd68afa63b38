package server_test

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	data "github.com/aws/aws-sdk-go-v2/service/bedrockagentcore"
	ctl "github.com/aws/aws-sdk-go-v2/service/bedrockagentcorecontrol"
	"github.com/aws/aws-sdk-go-v2/service/bedrockagentcorecontrol/types"

	"github.com/agentry/agentry/httpapi"
	"github.com/agentry/agentry/server"
)

// stalled is a request whose headers and first bodyBytes of body were sent,
// and whose sender then stopped.
type stalled struct {
	conn net.Conn
	resp chan *http.Response // the answer, or nil if the connection ended without one
}

// sendStalled sends head (the request line and headers, without the blank
// line) and bodyBytes bytes of body, then waits.
func sendStalled(t *testing.T, addr, head string, bodyBytes int) *stalled {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	s := &stalled{conn: conn, resp: make(chan *http.Response, 1)}
	go func() {
		resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
		if err != nil {
			s.resp <- nil
			return
		}
		resp.Body.Close()
		s.resp <- resp
	}()
	if _, err := io.WriteString(conn, head+"\r\n"+strings.Repeat("a", bodyBytes)); err != nil {
		t.Fatal(err)
	}
	return s
}

// answer waits up to d for the answer to s.
func (s *stalled) answer(t *testing.T, d time.Duration) *http.Response {
	t.Helper()
	select {
	case resp := <-s.resp:
		if resp == nil {
			t.Fatal("the connection ended without an answer")
		}
		return resp
	case <-time.After(d):
		t.Fatalf("no answer within %v", d)
		return nil
	}
}

// signedHead is a request head signed by key id with a wrong signature:
// valid in form, scope and time.
func signedHead(method, path, host, keyID string, contentLength int, at time.Time) string {
	at = at.UTC()
	return fmt.Sprintf("%s %s HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n"+
		"X-Amz-Date: %s\r\nAuthorization: AWS4-HMAC-SHA256 Credential=%s/%s/us-east-1/bedrock-agentcore/aws4_request, "+
		"SignedHeaders=host;x-amz-date, Signature=%s\r\n",
		method, path, host, contentLength, at.Format("20060102T150405Z"), keyID, at.Format("20060102"), strings.Repeat("0", 64))
}

func idOf(arn string) string { return arn[strings.LastIndex(arn, "/")+1:] }

func plainHead(method, path, host string, contentLength int, extra string) string {
	return fmt.Sprintf("%s %s HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n%s",
		method, path, host, contentLength, extra)
}

// TestRefusedBeforeBody sends the headers of requests whose credential is
// missing, malformed, expired or of an unknown key, announcing the largest
// body allowed, and never the body: each is answered at once.
func TestRefusedBeforeBody(t *testing.T) {
	m, _ := startOIDC(t)
	ts := startServerWith(t, func(c *server.Config) { c.AllowPrivateURLs = true })
	reg := ts.createRegistry(t, "catalog", false)
	jwtReg := must[*ctl.CreateRegistryOutput](t)(ts.Client.CreateRegistry(context.Background(), &ctl.CreateRegistryInput{
		Name: aws.String("jwt-catalog"), AuthorizerType: types.RegistryAuthorizerTypeCustomJwt,
		AuthorizerConfiguration: &types.AuthorizerConfigurationMemberCustomJWTAuthorizer{Value: types.CustomJWTAuthorizerConfiguration{
			DiscoveryUrl: aws.String(m.DiscoveryEndpoint()), AllowedAudience: []string{"agentry"}}},
	}))
	host := strings.TrimPrefix(ts.URL, "http://")
	const control, consumer = 2<<20 - 1, 256 << 10
	mcp, search := "/registry/"+reg+"/mcp", "/registry-records/search"
	jwtMCP := "/registry/" + idOf(aws.ToString(jwtReg.RegistryArn)) + "/mcp"
	now := time.Now()
	for _, c := range []struct {
		name, head, errorType string
	}{
		{"control plane, unsigned", plainHead("POST", "/registries", host, control, ""), "MissingAuthenticationTokenException"},
		{"control plane, malformed", plainHead("POST", "/registries", host, control, "Authorization: AWS4-HMAC-SHA256 Credential=x\r\n"),
			"IncompleteSignatureException"},
		{"control plane, unknown key", signedHead("POST", "/registries", host, "AKIAUNKNOWN000000001", control, now), "UnrecognizedClientException"},
		{"control plane, expired", signedHead("POST", "/registries", host, ts.Key.AccessKeyID, control, now.Add(-time.Hour)),
			"InvalidSignatureException"},
		{"MCP, unsigned", plainHead("POST", mcp, host, consumer, ""), "MissingAuthenticationTokenException"},
		{"MCP, unknown key", signedHead("POST", mcp, host, "AKIAUNKNOWN000000001", consumer, now), "UnrecognizedClientException"},
		{"MCP of an unknown registry, unsigned", plainHead("POST", "/registry/nosuchregist/mcp", host, consumer, ""),
			"MissingAuthenticationTokenException"},
		{"MCP of a JWT registry, no token", plainHead("POST", jwtMCP, host, consumer, ""), "UnauthorizedException"},
		{"MCP of a JWT registry, a bad token", plainHead("POST", jwtMCP, host, consumer, "Authorization: Bearer a.b.c\r\n"),
			"UnauthorizedException"},
		{"search, unknown key", signedHead("POST", search, host, "AKIAUNKNOWN000000001", consumer, now), "UnrecognizedClientException"},
		{"search, bearer token that is no JWT", plainHead("POST", search, host, consumer, "Authorization: Bearer not-a-jwt\r\n"),
			"UnauthorizedException"},
	} {
		t.Run(c.name, func(t *testing.T) {
			resp := sendStalled(t, host, c.head, 0).answer(t, 5*time.Second)
			if got := resp.Header.Get("X-Amzn-ErrorType"); got != c.errorType {
				t.Fatalf("answered %d %s, want %s", resp.StatusCode, got, c.errorType)
			}
		})
	}
}

// budgetServer is a server with a small transfer budget, and the principal
// the tests' slow clients sign with.
func budgetServer(t *testing.T, limits httpapi.TransferLimits) *testServer {
	t.Helper()
	return startServerWith(t, func(c *server.Config) {
		c.Transfers = limits
		c.IAMFile = t.TempDir() + "/iam.json"
		writeIAMFile(t, c.IAMFile, "none", "127.0.0.0/8")
	})
}

const curatorKeyID = "AKIACURATOR000000001"

// TestBodyBudget fills a client's share of the transfer budget with stalled
// bodies: its next body is refused at once with a ThrottlingException, while
// another client's signed calls go on; unauthenticated callers have a share
// of their own; a stalled body holds its share until its deadline.
func TestBodyBudget(t *testing.T) {
	ts := budgetServer(t, httpapi.TransferLimits{InFlightBytes: 4 << 20, ClientBytes: 1 << 20,
		Grace: 2 * time.Second, MinRate: 1 << 20})
	host := strings.TrimPrefix(ts.URL, "http://")
	const size = 256 << 10
	var held []*stalled
	for range 4 { // the curator's whole share
		held = append(held, sendStalled(t, host, signedHead("POST", "/registries", host, curatorKeyID, size, time.Now()), 1000))
	}
	time.Sleep(200 * time.Millisecond)
	resp := sendStalled(t, host, signedHead("POST", "/registries", host, curatorKeyID, size, time.Now()), 0).answer(t, 2*time.Second)
	if resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("X-Amzn-ErrorType") != "ThrottlingException" ||
		resp.Header.Get("Retry-After") == "" {
		t.Fatalf("over the client's share: %d %s Retry-After %q", resp.StatusCode, resp.Header.Get("X-Amzn-ErrorType"), resp.Header.Get("Retry-After"))
	}
	// Another client (root) is unaffected.
	ts.createRegistry(t, "meanwhile", false)

	// Unauthenticated searches from this address share one client's share.
	for range 4 {
		held = append(held, sendStalled(t, host, plainHead("POST", "/registry-records/search", host, size, ""), 1000))
	}
	time.Sleep(200 * time.Millisecond)
	resp = sendStalled(t, host, plainHead("POST", "/registry-records/search", host, size, ""), 0).answer(t, 2*time.Second)
	if resp.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("unauthenticated body over its share: %d", resp.StatusCode)
	}
	ts.createRegistry(t, "still", false)

	// The stalled bodies miss their deadline (2 s + 0.25 s) and let go.
	for _, s := range held {
		if resp := s.answer(t, 10*time.Second); resp.StatusCode != http.StatusBadRequest {
			t.Fatalf("stalled body: %d", resp.StatusCode)
		}
	}
	resp = sendStalled(t, host, signedHead("POST", "/registries", host, curatorKeyID, size, time.Now()), 0).answer(t, 5*time.Second)
	if resp.StatusCode == http.StatusTooManyRequests {
		t.Fatal("the share is still held after the stalled bodies ended")
	}
}

// TestChunkedBodyBudget sends a body of unknown length in pieces: it is
// charged as it grows, and refused when it outgrows what is left of the
// client's share.
func TestChunkedBodyBudget(t *testing.T) {
	ts := budgetServer(t, httpapi.TransferLimits{InFlightBytes: 1 << 20, ClientBytes: 256 << 10})
	host := strings.TrimPrefix(ts.URL, "http://")
	sendStalled(t, host, signedHead("POST", "/registries", host, curatorKeyID, 192<<10, time.Now()), 0)
	time.Sleep(200 * time.Millisecond)
	head := strings.Replace(signedHead("POST", "/registries", host, curatorKeyID, 0, time.Now()),
		"Content-Length: 0\r\n", "Transfer-Encoding: chunked\r\n", 1)
	chunk := fmt.Sprintf("%x\r\n%s\r\n", 64<<10, strings.Repeat("a", 64<<10))
	s := sendStalled(t, host, head, 0)
	for range 8 {
		if _, err := io.WriteString(s.conn, chunk); err != nil {
			break // refused, and the connection closed
		}
	}
	io.WriteString(s.conn, "0\r\n\r\n")
	if resp := s.answer(t, 5*time.Second); resp.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("a chunked body past the client's share: %d", resp.StatusCode)
	}
	// A chunked body within the limits goes through.
	body := `{"name":"chunked"}`
	req, _ := http.NewRequest("POST", ts.URL+"/registries", io.NopCloser(strings.NewReader(body)))
	req.ContentLength = -1
	sum := sha256.Sum256([]byte(body))
	creds := aws.Credentials{AccessKeyID: ts.Key.AccessKeyID, SecretAccessKey: ts.Key.SecretAccessKey}
	if err := v4.NewSigner().SignHTTP(context.Background(), creds, req, hex.EncodeToString(sum[:]), "bedrock-agentcore", "us-east-1", time.Now()); err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusAccepted {
		t.Fatalf("chunked create: %d", resp.StatusCode)
	}
}

// TestSlowReaderBudget asks the MCP endpoint for a large answer and never
// reads it: the answer holds the client's share until its write deadline,
// a second one meanwhile is refused with a ThrottlingException, another
// client's large answers are refused while the server's budget is full
// (and small ones are not), and a client that reads gets the whole answer
// even when it exceeds the share.
func TestSlowReaderBudget(t *testing.T) {
	ts := budgetServer(t, httpapi.TransferLimits{InFlightBytes: 3 << 19, ClientBytes: 1 << 20,
		Grace: time.Second, MinRate: 4 << 20})
	ctx := context.Background()
	reg := ts.createRegistry(t, "catalog", true)
	for i := range 20 {
		// Each record is about 190 KB, the answer about 8 MB: more than
		// the kernel's socket buffers take on loopback.
		d := mcpDescriptors(fmt.Sprintf(`{"name": "io.example/big-%d", "description": "weather", "version": "1.0.0", "notes": %q}`,
			i, strings.Repeat("Forecasts for every city, hour by hour. ", 2300)))
		d.Mcp.Tools = &types.ToolsDefinition{InlineContent: aws.String(largeTools(95_000))}
		out := must[*ctl.CreateRegistryRecordOutput](t)(ts.Client.CreateRegistryRecord(ctx, &ctl.CreateRegistryRecordInput{
			RegistryId: aws.String(reg), Name: aws.String(fmt.Sprintf("big-%02d", i)), Description: aws.String("Weather forecasts"),
			DescriptorType: types.DescriptorTypeMcp, Descriptors: d}))
		must[*ctl.SubmitRegistryRecordForApprovalOutput](t)(ts.Client.SubmitRegistryRecordForApproval(ctx,
			&ctl.SubmitRegistryRecordForApprovalInput{RegistryId: aws.String(reg), RecordId: out.RecordArn}))
	}
	call := func(conn net.Conn) {
		body := []byte(`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"search_registry_records",` +
			`"arguments":{"searchQuery":"weather forecast","maxResults":20}}}`)
		req, _ := http.NewRequest("POST", ts.URL+"/registry/"+reg+"/mcp", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Accept", "application/json, text/event-stream")
		sum := sha256.Sum256(body)
		creds := aws.Credentials{AccessKeyID: curatorKeyID, SecretAccessKey: "curator-secret-00001"}
		if err := v4.NewSigner().SignHTTP(ctx, creds, req, hex.EncodeToString(sum[:]), "bedrock-agentcore", "us-east-1", time.Now()); err != nil {
			t.Fatal(err)
		}
		if err := req.Write(conn); err != nil {
			t.Fatal(err)
		}
	}
	dial := func(window int) net.Conn {
		d := net.Dialer{Control: func(_, _ string, c syscall.RawConn) error {
			return c.Control(func(fd uintptr) { syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, window) })
		}}
		conn, err := d.Dial("tcp", strings.TrimPrefix(ts.URL, "http://"))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { conn.Close() })
		return conn
	}

	reader := dial(1 << 20)
	call(reader)
	resp, err := http.ReadResponse(bufio.NewReader(reader), nil)
	if err != nil {
		t.Fatal(err)
	}
	whole, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK || len(whole) < 6<<20 || !json.Valid(whole) {
		t.Fatalf("a reading client: %d, %d bytes, %v", resp.StatusCode, len(whole), err)
	}

	slow := dial(4096)
	call(slow)
	time.Sleep(300 * time.Millisecond)
	second := dial(4096)
	call(second)
	second.SetReadDeadline(time.Now().Add(2 * time.Second))
	resp, err = http.ReadResponse(bufio.NewReader(second), nil)
	if err != nil {
		t.Fatalf("while a slow reader holds the share: %v", err)
	}
	if resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("X-Amzn-ErrorType") != "ThrottlingException" {
		t.Fatalf("while a slow reader holds the share: %d %s", resp.StatusCode, resp.Header.Get("X-Amzn-ErrorType"))
	}
	// The slow reader holds 1 MiB of 1.5: another client's large answers
	// do not fit, its small ones do.
	s := connectMCP(t, ts.URL+"/registry/"+reg+"/mcp", sigv4Transport{ts.Key.AccessKeyID, ts.Key.SecretAccessKey})
	res, _ := callSearch(t, s, map[string]any{"searchQuery": "weather forecast", "maxResults": 20})
	if msg := toolErrorText(res); !strings.Contains(msg, "too many request or answer bytes in transit") {
		t.Fatalf("MCP search while the budget is full: %q", msg)
	}
	_, err = ts.dataClient(ts.Key.AccessKeyID, ts.Key.SecretAccessKey).SearchRegistryRecords(ctx, &data.SearchRegistryRecordsInput{
		RegistryIds: []string{reg}, SearchQuery: aws.String("weather forecast"), MaxResults: aws.Int32(20)})
	if code := apiCode(t, err); code != "ServiceUnavailableException" {
		t.Fatalf("REST search while the budget is full: %s", code)
	}
	if _, names := callSearch(t, s, map[string]any{"searchQuery": "weather forecast", "maxResults": 1}); len(names) != 1 {
		t.Fatalf("small MCP search while the budget is full: %v", names)
	}

	// Past its deadline (1 s + about 2 s at 4 MiB/s) the slow reader is cut
	// off and the share is free again.
	deadline := time.Now().Add(10 * time.Second)
	for {
		c := dial(1 << 20)
		call(c)
		resp, err := http.ReadResponse(bufio.NewReader(c), nil)
		if err == nil && resp.StatusCode == http.StatusOK {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the slow reader's share was not released: %v %v", resp, err)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// largeTools is a tools/list document of about n bytes.
func largeTools(n int) string {
	var tools []string
	size := 0
	for i := 0; size < n; i++ {
		t := fmt.Sprintf(`{"name":"weather_tool_%d","description":%q,"inputSchema":{"type":"object"}}`, i,
			strings.Repeat(fmt.Sprintf("Forecast number %d for a city, with hourly detail. ", i), 6))
		tools = append(tools, t)
		size += len(t) + 1
	}
	return `{"tools":[` + strings.Join(tools, ",") + `]}`
}
