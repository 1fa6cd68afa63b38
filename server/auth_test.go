package server_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	ctl "github.com/aws/aws-sdk-go-v2/service/bedrockagentcorecontrol"

	"github.com/agentry/agentry/server"
)

func TestSignatureRequired(t *testing.T) {
	ts := startServer(t)
	ctx := context.Background()

	_, err := ts.clientWith(ts.Key.AccessKeyID, "wrong-secret-wrong-secret").CreateRegistry(ctx, &ctl.CreateRegistryInput{Name: aws.String("nope")})
	if code := apiCode(t, err); code != "InvalidSignatureException" {
		t.Fatalf("wrong secret: code %s", code)
	}
	_, err = ts.clientWith("AKIAUNKNOWNUNKNOWN00", "whatever-secret-value").CreateRegistry(ctx, &ctl.CreateRegistryInput{Name: aws.String("nope")})
	if code := apiCode(t, err); code != "UnrecognizedClientException" {
		t.Fatalf("unknown key: code %s", code)
	}

	resp, err := http.Post(ts.URL+"/registries", "application/json", strings.NewReader(`{"name":"nope"}`))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden || resp.Header.Get("X-Amzn-ErrorType") != "MissingAuthenticationTokenException" {
		t.Fatalf("unsigned: %d %s %s", resp.StatusCode, resp.Header.Get("X-Amzn-ErrorType"), body)
	}
	var shape struct{ Message string }
	if json.Unmarshal(body, &shape) != nil || shape.Message == "" {
		t.Fatalf("unsigned: body %s is not the AWS error shape", body)
	}

	// None of the refused requests changed anything.
	list := must[*ctl.ListRegistriesOutput](t)(ts.Client.ListRegistries(ctx, &ctl.ListRegistriesInput{}))
	if len(list.Registries) != 0 {
		t.Fatalf("refused requests created %d registries", len(list.Registries))
	}

	// The health check needs no signature.
	resp, err = http.Get(ts.URL + "/healthz")
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("healthz: %v %v", resp, err)
	}
	resp.Body.Close()
}

func TestBodyLimit(t *testing.T) {
	ts := startServer(t)
	big := strings.Repeat("x", 3<<20)
	_, err := ts.Client.CreateRegistry(context.Background(), &ctl.CreateRegistryInput{Name: aws.String("big"), Description: aws.String(big)})
	wantValidation(t, err, "", "larger than the limit")
}

// TestCurlSigV4 drives the API with curl --aws-sigv4, the way the README
// shows it.
func TestCurlSigV4(t *testing.T) {
	if _, err := exec.LookPath("curl"); err != nil {
		t.Skip("curl is not installed")
	}
	ts := startServer(t)
	curl := func(args ...string) (int, string) {
		t.Helper()
		base := []string{"-s", "-o", "-", "-w", "\n%{http_code}", "--aws-sigv4", "aws:amz:us-east-1:bedrock-agentcore",
			"--user", ts.Key.AccessKeyID + ":" + ts.Key.SecretAccessKey}
		out, err := exec.Command("curl", append(base, args...)...).Output()
		if err != nil {
			t.Fatalf("curl %v: %v", args, err)
		}
		s := strings.TrimSpace(string(out))
		i := strings.LastIndex(s, "\n")
		var code int
		json.Unmarshal([]byte(s[i+1:]), &code)
		return code, s[:max(i, 0)]
	}
	code, body := curl("-H", "Content-Type: application/json", "-d", `{"name":"from-curl","description":"made with curl"}`, ts.URL+"/registries")
	if code != http.StatusAccepted || !strings.Contains(body, "registryArn") {
		t.Fatalf("create: %d %s", code, body)
	}
	var created struct{ RegistryArn string }
	json.Unmarshal([]byte(body), &created)
	id := created.RegistryArn[strings.LastIndex(created.RegistryArn, "/")+1:]

	code, body = curl(ts.URL + "/registries?maxResults=5&status=READY")
	if code != http.StatusOK || !strings.Contains(body, `"from-curl"`) {
		t.Fatalf("list: %d %s", code, body)
	}
	code, body = curl(ts.URL + "/registries/" + id)
	if code != http.StatusOK || !strings.Contains(body, `"made with curl"`) {
		t.Fatalf("get: %d %s", code, body)
	}
	code, body = curl("--user", ts.Key.AccessKeyID+":bad-secret-bad-secret", ts.URL+"/registries/"+id)
	if code != http.StatusForbidden || !strings.Contains(body, "signature") {
		t.Fatalf("bad secret: %d %s", code, body)
	}
}

func TestReplayProtection(t *testing.T) {
	ts := startServerWith(t, func(c *server.Config) { c.ReplayProtection = true })
	ctx := context.Background()
	// Ordinary SDK use is unaffected: every call is signed anew.
	for i := range 3 {
		ts.createRegistry(t, fmt.Sprintf("fresh-%d", i), false)
	}
	// A captured signed write played back is refused and changes nothing.
	body := `{"name":"replayed"}`
	req, _ := http.NewRequest("POST", ts.URL+"/registries", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	sum := sha256.Sum256([]byte(body))
	creds := aws.Credentials{AccessKeyID: ts.Key.AccessKeyID, SecretAccessKey: ts.Key.SecretAccessKey}
	if err := v4.NewSigner().SignHTTP(ctx, creds, req, hex.EncodeToString(sum[:]), "bedrock-agentcore", "us-east-1", time.Now()); err != nil {
		t.Fatal(err)
	}
	for i, want := range []int{http.StatusAccepted, http.StatusForbidden} {
		again := req.Clone(ctx)
		again.Body = io.NopCloser(strings.NewReader(body))
		resp, err := http.DefaultClient.Do(again)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Fatalf("send %d: status %d, want %d", i+1, resp.StatusCode, want)
		}
	}
	list := must[*ctl.ListRegistriesOutput](t)(ts.Client.ListRegistries(ctx, &ctl.ListRegistriesInput{}))
	if len(list.Registries) != 4 {
		t.Fatalf("%d registries, want 4", len(list.Registries))
	}
}
