package server_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	ctl "github.com/aws/aws-sdk-go-v2/service/bedrockagentcorecontrol"

	"github.com/agentry/agentry/internal/awstest"
	"github.com/agentry/agentry/internal/testcatalog"
)

// rawAnswer is an answer as it came over the wire: body not decompressed.
type rawAnswer struct {
	status int
	header http.Header
	body   []byte
}

// json is the answer's JSON, gunzipped if it came compressed.
func (a rawAnswer) json(t *testing.T) string {
	t.Helper()
	b := a.body
	if a.header.Get("Content-Encoding") == "gzip" {
		zr, err := gzip.NewReader(bytes.NewReader(b))
		if err != nil {
			t.Fatal(err)
		}
		if b, err = io.ReadAll(zr); err != nil {
			t.Fatal(err)
		}
	}
	if !json.Valid(b) {
		t.Fatalf("answer is not JSON: %.200q", b)
	}
	return string(b)
}

// sendRaw signs a request with the root key and sends it with the given
// Accept-Encoding ("" = none) and headers, leaving the answer as it came.
func (ts *testServer) sendRaw(t *testing.T, method, path, body, acceptEncoding string, headers ...string) rawAnswer {
	t.Helper()
	req, _ := http.NewRequest(method, ts.URL+path, strings.NewReader(body))
	if body == "" {
		req.Body = nil
	}
	req.Header.Set("Content-Type", "application/json")
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	if acceptEncoding != "" {
		req.Header.Set("Accept-Encoding", acceptEncoding)
	}
	sum := sha256.Sum256([]byte(body))
	creds := aws.Credentials{AccessKeyID: ts.Key.AccessKeyID, SecretAccessKey: ts.Key.SecretAccessKey}
	if err := v4.NewSigner().SignHTTP(context.Background(), creds, req, hex.EncodeToString(sum[:]), "bedrock-agentcore", "us-east-1", time.Now()); err != nil {
		t.Fatal(err)
	}
	tr := &http.Transport{DisableCompression: true}
	defer tr.CloseIdleConnections()
	resp, err := tr.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return rawAnswer{resp.StatusCode, resp.Header, b}
}

// TestCompressedAnswers: JSON answers of 1 KiB or more are gzipped for
// clients that accept gzip, on the control plane, SearchRegistryRecords and
// the MCP endpoint; small answers, errors, HEAD and clients that do not ask
// get them as before; the SDK, curl and the MCP client read both.
func TestCompressedAnswers(t *testing.T) {
	ts := startServer(t)
	seed := testcatalog.WireSeed(t, "../testdata")
	_, tools := testcatalog.WireDescriptorTexts(seed, 1, 6)
	reg := seedCatalog(t, ts)
	rec := ts.publish(t, reg, "large", "A record whose answer is larger than 1 KiB", tools)
	recordPath := "/registries/" + reg + "/records/" + rec
	search := `{"registryIds":["` + reg + `"],"searchQuery":"weather email github","maxResults":10}`
	mcpCall := `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"search_registry_records","arguments":{"searchQuery":"weather email github"}}}`
	mcpHeaders := []string{"Accept", "application/json, text/event-stream"}

	identity := ts.sendRaw(t, "GET", recordPath, "", "")
	if identity.status != http.StatusOK || identity.header.Get("Content-Encoding") != "" || len(identity.body) < 1024 {
		t.Fatalf("without Accept-Encoding: %d %q, %d bytes", identity.status, identity.header.Get("Content-Encoding"), len(identity.body))
	}
	for _, c := range []struct {
		name               string
		method, path, body string
		acceptEncoding     string
		headers            []string
		wantStatus         int
		wantGzip           bool
	}{
		{"record", "GET", recordPath, "", "gzip", nil, http.StatusOK, true},
		{"record, as browsers ask", "GET", recordPath, "", "gzip, deflate, br, zstd", nil, http.StatusOK, true},
		{"record, gzip refused", "GET", recordPath, "", "gzip;q=0, identity", nil, http.StatusOK, false},
		{"record, another encoding", "GET", recordPath, "", "br", nil, http.StatusOK, false},
		{"small answer", "GET", "/registries/" + reg, "", "gzip", nil, http.StatusOK, false},
		{"error", "GET", "/registries/" + reg + "/records/AAAAAAAAAAAA", "", "gzip", nil, http.StatusNotFound, false},
		{"search", "POST", "/registry-records/search", search, "gzip", nil, http.StatusOK, true},
		{"mcp", "POST", "/registry/" + reg + "/mcp", mcpCall, "gzip", mcpHeaders, http.StatusOK, true},
		{"mcp without Accept-Encoding", "POST", "/registry/" + reg + "/mcp", mcpCall, "", mcpHeaders, http.StatusOK, false},
	} {
		a := ts.sendRaw(t, c.method, c.path, c.body, c.acceptEncoding, c.headers...)
		gzipped := a.header.Get("Content-Encoding") == "gzip"
		if a.status != c.wantStatus || gzipped != c.wantGzip || !strings.HasPrefix(a.header.Get("Content-Type"), "application/json") {
			t.Errorf("%s: %d, Content-Encoding %q, Content-Type %q; want %d, gzip %v", c.name, a.status,
				a.header.Get("Content-Encoding"), a.header.Get("Content-Type"), c.wantStatus, c.wantGzip)
			continue
		}
		body := a.json(t)
		switch {
		case gzipped && !strings.Contains(a.header.Get("Vary"), "Accept-Encoding"):
			t.Errorf("%s: compressed without Vary: Accept-Encoding", c.name)
		case gzipped && len(a.body) > len(body)/2:
			t.Errorf("%s: %d bytes compressed to %d", c.name, len(body), len(a.body))
		case c.path == recordPath && body != string(identity.body):
			t.Errorf("%s: the answer differs from the uncompressed one", c.name)
		case c.wantStatus == http.StatusNotFound && a.header.Get("X-Amzn-Errortype") != "ResourceNotFoundException":
			t.Errorf("%s: X-Amzn-ErrorType %q", c.name, a.header.Get("X-Amzn-Errortype"))
		}
	}
	if a := ts.sendRaw(t, "HEAD", recordPath, "", "gzip"); a.status != http.StatusOK || a.header.Get("Content-Encoding") != "" || len(a.body) != 0 {
		t.Errorf("HEAD: %d, Content-Encoding %q, %d bytes", a.status, a.header.Get("Content-Encoding"), len(a.body))
	}

	// The SDK's transport asks for gzip and decompresses by itself.
	var gzipped bool
	cfg := awstest.Config(ts.Key.AccessKeyID, ts.Key.SecretAccessKey)
	cfg.HTTPClient = &http.Client{Transport: awstest.BufferedBody{Base: roundTripFunc(func(r *http.Request) (*http.Response, error) {
		resp, err := http.DefaultTransport.RoundTrip(r)
		if err == nil {
			gzipped = resp.Uncompressed
		}
		return resp, err
	})}}
	c := ctl.NewFromConfig(cfg, func(o *ctl.Options) { o.BaseEndpoint = aws.String(ts.URL) })
	out, err := c.GetRegistryRecord(context.Background(), &ctl.GetRegistryRecordInput{RegistryId: aws.String(reg), RecordId: aws.String(rec)})
	if err != nil || aws.ToString(out.Descriptors.Mcp.Tools.InlineContent) != tools || !gzipped {
		t.Errorf("SDK: %v, gzipped %v", err, gzipped)
	}
	_, err = c.GetRegistryRecord(context.Background(), &ctl.GetRegistryRecordInput{RegistryId: aws.String(reg), RecordId: aws.String("AAAAAAAAAAAA")})
	wantNotFound(t, err)

	// curl, with and without --compressed.
	if _, err := exec.LookPath("curl"); err == nil {
		for _, args := range [][]string{{"--compressed"}, nil} {
			args = append(args, "-s", "--aws-sigv4", "aws:amz:us-east-1:bedrock-agentcore",
				"--user", ts.Key.AccessKeyID+":"+ts.Key.SecretAccessKey, ts.URL+recordPath)
			got, err := exec.Command("curl", args...).Output()
			if err != nil || string(got) != string(identity.body) {
				t.Errorf("curl %s: %v, %.100q", args[0], err, got)
			}
		}
	}

	// The MCP client reads a compressed tools/call result.
	s := connectMCP(t, ts.URL+"/registry/"+reg+"/mcp", sigv4Transport{ts.Key.AccessKeyID, ts.Key.SecretAccessKey})
	if _, names := callSearch(t, s, map[string]any{"searchQuery": "weather email github"}); len(names) < 3 {
		t.Errorf("MCP search: %v", names)
	}
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }
