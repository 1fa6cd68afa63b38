package interop

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/bedrockagentcorecontrol/types"
)

// TestInspectorOAuth: the MCP Inspector CLI's own OAuth login, as
// docs/mcp.md tells a user to run it (DCR, and a pre-registered client
// with --client-id), against oidc-provider. The Inspector prints the
// authorization URL ("Please navigate to: ...") and waits on its loopback
// callback; the test logs in headlessly and its last redirect reaches the
// Inspector's callback listener, as a browser's would.
func TestInspectorOAuth(t *testing.T) {
	tools := requireNodeTools(t)
	callback := fmt.Sprintf("http://127.0.0.1:%d/oauth/callback", freePort(t))
	as := startAuthServerWith(t, tools, time.Hour, 24*time.Hour, callback)
	f := newOAuthAgentry(t)
	dcrURL := f.jwtRegistry(t, "dcr", func(mcpURL string) types.CustomJWTAuthorizerConfiguration {
		return types.CustomJWTAuthorizerConfiguration{DiscoveryUrl: aws.String(as.openIDDiscovery()),
			AllowedAudience: []string{mcpURL}, AllowedScopes: []string{"registry:search"}}
	})
	preregURL := f.jwtRegistry(t, "preregistered", func(mcpURL string) types.CustomJWTAuthorizerConfiguration {
		return types.CustomJWTAuthorizerConfiguration{DiscoveryUrl: aws.String(as.openIDDiscovery()),
			AllowedAudience: []string{mcpURL}, AllowedClients: []string{preregisteredClientID}, AllowedScopes: []string{"registry:search"}}
	})
	inspector := filepath.Join(tools.jsDir, "node_modules", ".bin", "mcp-inspector")

	for _, c := range []struct {
		name, url string
		args      []string
	}{
		{"dynamic client registration", dcrURL, nil},
		{"pre-registered client", preregURL, []string{"--client-id", preregisteredClientID}},
	} {
		t.Run(c.name, func(t *testing.T) {
			home := t.TempDir() // the Inspector keeps its OAuth state under $HOME
			args := append([]string{"--cli", c.url, "--transport", "http", "--format", "json", "--callback-url", callback,
				"--method", "tools/call", "--tool-name", "search_registry_records", "--tool-arg", "searchQuery=weather"}, c.args...)
			ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
			defer cancel()
			cmd := exec.CommandContext(ctx, inspector, args...)
			cmd.Env = append(os.Environ(), tools.pathWithNode22(), "HOME="+home, "USERPROFILE="+home, "NO_COLOR=1",
				// Interactive OAuth without a terminal: the Inspector prints the
				// URL and "opens" it with $BROWSER, here a command that does
				// nothing; secrets stay in memory.
				"MCP_AUTO_OPEN_ENABLED=true", "BROWSER=true", "MCP_INSPECTOR_SECRET_STORE=memory")
			cmd.WaitDelay = 2 * time.Second
			var stdout bytes.Buffer
			cmd.Stdout = &stdout
			stderrPipe, err := cmd.StderrPipe()
			if err != nil {
				t.Fatal(err)
			}
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			var stderr strings.Builder
			navigate := regexp.MustCompile(`navigate to: (\S+)`)
			s := bufio.NewScanner(stderrPipe)
			s.Buffer(make([]byte, 64<<10), 1<<20)
			loggedIn := false
			for s.Scan() {
				line := s.Text()
				stderr.WriteString(line + "\n")
				m := navigate.FindStringSubmatch(line)
				if m == nil || loggedIn {
					continue
				}
				loggedIn = true
				loc, err := followAuthorization(ctx, m[1], callback)
				if err != nil {
					t.Errorf("login: %v", err)
					break
				}
				// The browser's last step: the redirect to the Inspector.
				resp, err := http.Get(loc.String())
				if err != nil {
					t.Errorf("callback: %v", err)
					break
				}
				resp.Body.Close()
			}
			err = cmd.Wait()
			if !loggedIn || err != nil {
				t.Fatalf("inspector: %v (logged in: %v)\nstdout: %s\nstderr: %s", err, loggedIn, stdout.String(), stderr.String())
			}
			var out struct {
				Result struct {
					StructuredContent struct {
						RegistryRecords []struct{ Name string } `json:"registryRecords"`
					} `json:"structuredContent"`
				} `json:"result"`
			}
			if err := json.Unmarshal(stdout.Bytes(), &out); err != nil || len(out.Result.StructuredContent.RegistryRecords) == 0 ||
				out.Result.StructuredContent.RegistryRecords[0].Name != "weather" {
				t.Fatalf("output %s: %v", stdout.String(), err)
			}
		})
	}
}

// freePort returns a loopback TCP port free a moment ago.
func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}
