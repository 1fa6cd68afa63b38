package interop

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	ctl "github.com/aws/aws-sdk-go-v2/service/bedrockagentcorecontrol"
	"github.com/aws/aws-sdk-go-v2/service/bedrockagentcorecontrol/types"
)

const everythingVersion = "2026.8.31"

// startEverything runs @modelcontextprotocol/server-everything with the
// given transport (streamableHttp or sse) on a free loopback port until
// the test ends, and returns its base URL.
func startEverything(t *testing.T, tools nodeTools, transport string) string {
	t.Helper()
	dir := filepath.Join(tools.jsDir, "node_modules", "@modelcontextprotocol", "server-everything")
	raw, err := os.ReadFile(filepath.Join(dir, "package.json"))
	var pkg struct{ Version string }
	if err != nil || json.Unmarshal(raw, &pkg) != nil || pkg.Version != everythingVersion {
		msg := fmt.Sprintf("@modelcontextprotocol/server-everything %s is not installed (%q); install it with scripts/install-node-tools", everythingVersion, pkg.Version)
		if ci := os.Getenv("CI"); ci != "" && ci != "false" && ci != "0" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()

	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, tools.node, filepath.Join(dir, "dist", "index.js"), transport)
	cmd.Env = append(os.Environ(), fmt.Sprintf("PORT=%d", port))
	cmd.WaitDelay = 2 * time.Second
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cancel(); cmd.Wait() })
	go func() { // drain, so the server never blocks on a full pipe
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			t.Logf("server-everything: %s", sc.Text())
		}
	}()
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		if c, err := net.Dial("tcp", addr); err == nil {
			c.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("server-everything did not listen on %s within 20 s", addr)
		}
	}
	return "http://" + addr
}

// TestSyncFromServerEverything: records synchronized from the reference
// MCP server, over Streamable HTTP and legacy SSE, read back through the
// AWS SDK.
func TestSyncFromServerEverything(t *testing.T) {
	tools := requireNodeTools(t)
	f := newFixture(t)
	ctx := context.Background()
	for _, tt := range []struct{ transport, path, remote string }{
		{"streamableHttp", "/mcp", "streamable-http"},
		{"sse", "/sse", "sse"},
	} {
		t.Run(tt.transport, func(t *testing.T) {
			base := startEverything(t, tools, tt.transport)
			out, err := f.Client.CreateRegistryRecord(ctx, &ctl.CreateRegistryRecordInput{
				RegistryId: aws.String(f.IAMRegistry), Name: aws.String("everything-" + tt.transport), DescriptorType: types.DescriptorTypeMcp,
				SynchronizationType: types.SynchronizationTypeUrl,
				SynchronizationConfiguration: &types.SynchronizationConfiguration{FromUrl: &types.FromUrlSynchronizationConfiguration{
					Url: aws.String(base + tt.path)}},
			})
			if err != nil {
				t.Fatal(err)
			}
			arn := aws.ToString(out.RecordArn)
			id := arn[strings.LastIndex(arn, "/")+1:]
			var got *ctl.GetRegistryRecordOutput
			for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(50 * time.Millisecond) {
				got = must[*ctl.GetRegistryRecordOutput](t)(f.Client.GetRegistryRecord(ctx, &ctl.GetRegistryRecordInput{
					RegistryId: aws.String(f.IAMRegistry), RecordId: aws.String(id)}))
				if got.Status != types.RegistryRecordStatusCreating || time.Now().After(deadline) {
					break
				}
			}
			if got.Status != types.RegistryRecordStatusDraft {
				t.Fatalf("status %s: %s", got.Status, aws.ToString(got.StatusReason))
			}
			var server struct {
				Name    string
				Remotes []struct{ Type, URL string }
			}
			json.Unmarshal([]byte(aws.ToString(got.Descriptors.Mcp.Server.InlineContent)), &server)
			if len(server.Remotes) != 1 || server.Remotes[0].Type != tt.remote || server.Remotes[0].URL != base+tt.path {
				t.Errorf("server.json %s", aws.ToString(got.Descriptors.Mcp.Server.InlineContent))
			}
			var list struct{ Tools []struct{ Name string } }
			json.Unmarshal([]byte(aws.ToString(got.Descriptors.Mcp.Tools.InlineContent)), &list)
			var names []string
			for _, tool := range list.Tools {
				names = append(names, tool.Name)
			}
			if !strings.Contains(strings.Join(names, ","), "echo") || len(names) < 5 {
				t.Errorf("tools %v, want server-everything's (echo among them)", names)
			}
			t.Logf("%s: server %s, %d tools, protocol %s", tt.transport, server.Name, len(names), aws.ToString(got.Descriptors.Mcp.Tools.ProtocolVersion))
		})
	}
}
