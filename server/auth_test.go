package server_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os/exec"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	ctl "github.com/aws/aws-sdk-go-v2/service/bedrockagentcorecontrol"
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
