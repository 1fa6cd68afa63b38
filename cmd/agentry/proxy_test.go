package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/agentry/agentry/credentials"
	"github.com/agentry/agentry/internal/testcatalog"
)

// registryEndpoint runs agentry with an AWS_IAM registry of approved
// records and returns the registry's MCP endpoint and the root key.
func registryEndpoint(t *testing.T) (string, credentials.Key) {
	t.Helper()
	key := credentials.Generate()
	p := startAgentry(t, t.TempDir(), keyEnv(key)...)
	regID := testcatalog.Publish(t, sdkClient(p.url, key))
	return p.url + "/registry/" + regID + "/mcp", key
}

// isolateAWS clears the AWS_ environment of this process for the test and
// points the shared config and credentials files at empty temporary files,
// so that the machine's own AWS configuration is never read. It returns
// their paths.
func isolateAWS(t *testing.T) (credsFile, configFile string) {
	t.Helper()
	for _, kv := range os.Environ() {
		if name, _, _ := strings.Cut(kv, "="); strings.HasPrefix(name, "AWS_") {
			t.Setenv(name, "") // restored after the test
			os.Unsetenv(name)
		}
	}
	dir := t.TempDir()
	credsFile, configFile = filepath.Join(dir, "credentials"), filepath.Join(dir, "config")
	for _, f := range []string{credsFile, configFile} {
		if err := os.WriteFile(f, nil, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", credsFile)
	t.Setenv("AWS_CONFIG_FILE", configFile)
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	return credsFile, configFile
}

// writeProfile writes profile "agentry" with key to the isolated files.
func writeProfile(t *testing.T, credsFile, configFile string, key credentials.Key) {
	t.Helper()
	creds := fmt.Sprintf("[agentry]\naws_access_key_id = %s\naws_secret_access_key = %s\n", key.AccessKeyID, key.SecretAccessKey)
	if err := os.WriteFile(credsFile, []byte(creds), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(configFile, []byte("[profile agentry]\nregion = us-east-1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
}

// syncBuffer is a bytes.Buffer safe for concurrent use.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// runProxy runs proxyCommand in this process on in-memory pipes and
// connects the go-sdk client to it. done yields proxyCommand's result once
// the client has closed stdin.
func runProxy(t *testing.T, args ...string) (s *mcp.ClientSession, done <-chan error, stderr *syncBuffer, err error) {
	t.Helper()
	inR, inW := io.Pipe()
	outR, outW := io.Pipe()
	stderr = new(syncBuffer)
	ch := make(chan error, 1)
	go func() {
		ch <- proxyCommand(args, inR, outW, stderr)
		outW.Close()
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c := mcp.NewClient(&mcp.Implementation{Name: "proxy-test", Version: "1"}, nil)
	s, err = c.Connect(ctx, &mcp.IOTransport{Reader: outR, Writer: inW}, nil)
	if err != nil {
		inW.Close()
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("proxy stderr:\n%s", stderr)
		}
	})
	return s, ch, stderr, err
}

// useRegistry lists the tools and searches the registry through s.
func useRegistry(t *testing.T, s *mcp.ClientSession) {
	t.Helper()
	if v := s.InitializeResult().ProtocolVersion; v != "2025-11-25" {
		t.Errorf("protocol %q", v)
	}
	tools, err := s.ListTools(context.Background(), nil)
	if err != nil {
		t.Fatalf("tools/list: %v", err)
	}
	if len(tools.Tools) != 1 || tools.Tools[0].Name != "search_registry_records" {
		t.Fatalf("tools/list = %+v", tools.Tools)
	}
	res, err := s.CallTool(context.Background(), &mcp.CallToolParams{Name: "search_registry_records",
		Arguments: map[string]any{"searchQuery": "send an email"}})
	if err != nil {
		t.Fatalf("tools/call: %v", err)
	}
	raw, _ := json.Marshal(res.StructuredContent)
	var out struct {
		RegistryRecords []struct{ Name string } `json:"registryRecords"`
	}
	json.Unmarshal(raw, &out)
	if res.IsError || len(out.RegistryRecords) == 0 || out.RegistryRecords[0].Name != "gmail" {
		t.Fatalf("search result: %s %+v", raw, res.Content)
	}
}

func waitDone(t *testing.T, done <-chan error) {
	t.Helper()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("mcp-proxy: %v", err)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("mcp-proxy did not exit after stdin closed")
	}
}

func TestProxyEnvCredentials(t *testing.T) {
	endpoint, key := registryEndpoint(t)
	isolateAWS(t)
	t.Setenv("AWS_ACCESS_KEY_ID", key.AccessKeyID)
	t.Setenv("AWS_SECRET_ACCESS_KEY", key.SecretAccessKey)
	// Flags after the endpoint, as "claude mcp add" users write them.
	s, done, stderr, err := runProxy(t, endpoint, "--region", "us-east-1")
	if err != nil {
		t.Fatal(err)
	}
	useRegistry(t, s)
	s.Close()
	waitDone(t, done)
	if strings.Contains(stderr.String(), key.SecretAccessKey) {
		t.Fatal("the secret key was logged")
	}
}

func TestProxyProfileCredentials(t *testing.T) {
	endpoint, key := registryEndpoint(t)
	credsFile, configFile := isolateAWS(t)
	writeProfile(t, credsFile, configFile, key)
	// Wrong keys in the environment: an explicit profile wins over them.
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIAWRONGWRONGWRONG0")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "wrong")
	s, done, _, err := runProxy(t, "--profile", "agentry", endpoint)
	if err != nil {
		t.Fatal(err)
	}
	useRegistry(t, s)
	s.Close()
	waitDone(t, done)
}

func TestProxyWrongCredentials(t *testing.T) {
	endpoint, key := registryEndpoint(t)
	isolateAWS(t)
	t.Setenv("AWS_ACCESS_KEY_ID", key.AccessKeyID)
	t.Setenv("AWS_SECRET_ACCESS_KEY", "not-"+key.SecretAccessKey)
	s, done, _, err := runProxy(t, endpoint)
	if err == nil {
		s.Close()
		t.Fatal("initialize succeeded with a wrong secret")
	}
	if !strings.Contains(err.Error(), "InvalidSignatureException") {
		t.Fatalf("error %q does not name InvalidSignatureException", err)
	}
	waitDone(t, done)
}

func TestProxyFlagErrors(t *testing.T) {
	isolateAWS(t)
	t.Setenv("MCPPROXY_EMPTY", "")
	const ep = "http://127.0.0.1:8080/registry/r/mcp"
	for _, tc := range []struct {
		args []string
		want string
	}{
		{nil, "one endpoint URL, got 0"},
		{[]string{ep, ep}, "one endpoint URL, got 2"},
		{[]string{"ftp://host/mcp"}, "http or https URL"},
		{[]string{"127.0.0.1:8080/mcp"}, "http or https URL"},
		{[]string{"http://user:pw@host/mcp"}, "must not carry credentials"},
		{[]string{ep, "--bearer-env", "TOKEN", "--region", "us-east-1"}, "--region applies to SigV4"},
		{[]string{ep, "--bearer-env", "MCPPROXY_EMPTY"}, "MCPPROXY_EMPTY: the environment variable is empty or unset"},
		{[]string{ep, "--bearer-env", "NOT-A-NAME"}, "name of an environment variable"},
		{[]string{ep, "--header", "NoColon"}, "'Name: value'"},
		{[]string{ep, "--header", "Authorization: Bearer x"}, "use --bearer-env"},
		{[]string{ep, "--listen", "0.0.0.0:8765"}, "not a loopback address"},
		{[]string{ep, "--listen", ":8765"}, "not a loopback address"},
		{[]string{ep, "--listen", "8765"}, "host:port"},
		{[]string{ep, "--allow-remote"}, "only with --listen"},
		{[]string{ep, "--region", "US East"}, "--region must be a region name"},
		{[]string{ep, "--service", "Bad Service"}, "--service must be"},
		{[]string{ep, "--log-level", "loud"}, "--log-level"},
		{[]string{ep, "--profile", "nosuch"}, "nosuch"},
		{[]string{ep, "--no-such-flag"}, "not defined"},
	} {
		var stderr bytes.Buffer
		err := proxyCommand(tc.args, strings.NewReader(""), io.Discard, &stderr)
		if err == nil || !strings.Contains(err.Error()+stderr.String(), tc.want) {
			t.Errorf("%q: got %v, want an error containing %q", tc.args, err, tc.want)
		}
	}
}

// The tests below run "agentry mcp-proxy" as a real process, through main.

// proxyEnv is this process's environment without AWS_ variables, plus env.
func proxyEnv(env ...string) []string {
	var out []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "AWS_") && !strings.HasPrefix(kv, "AGENTRY_TEST_MAIN=") {
			out = append(out, kv)
		}
	}
	return append(out, env...)
}

func proxyProcess(env []string, args ...string) *exec.Cmd {
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(env, "AGENTRY_TEST_MAIN="+strings.Join(append([]string{"mcp-proxy"}, args...), "\x1f"))
	return cmd
}

// requireProxyCommand skips the test while main does not dispatch
// "mcp-proxy" to proxyCommand.
func requireProxyCommand(t *testing.T) {
	t.Helper()
	out, _ := proxyProcess(proxyEnv(), "-h").CombinedOutput()
	if strings.Contains(string(out), `unknown command "mcp-proxy"`) {
		t.Skip(`main.go does not dispatch "mcp-proxy" to proxyCommand yet`)
	}
}

func TestProxyProcessStdio(t *testing.T) {
	if testing.Short() {
		t.Skip("starts real processes")
	}
	requireProxyCommand(t)
	endpoint, key := registryEndpoint(t)
	dir := t.TempDir()
	credsFile, configFile := filepath.Join(dir, "credentials"), filepath.Join(dir, "config")
	writeProfile(t, credsFile, configFile, key)
	files := []string{"AWS_SHARED_CREDENTIALS_FILE=" + credsFile, "AWS_CONFIG_FILE=" + configFile, "AWS_EC2_METADATA_DISABLED=true"}

	for _, tc := range []struct {
		name string
		env  []string
		args []string
	}{
		{"environment", []string{"AWS_ACCESS_KEY_ID=" + key.AccessKeyID, "AWS_SECRET_ACCESS_KEY=" + key.SecretAccessKey}, []string{endpoint, "--region", "us-east-1"}},
		{"profile", nil, []string{"--profile", "agentry", endpoint}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cmd := proxyProcess(proxyEnv(append(files, tc.env...)...), tc.args...)
			var stderr syncBuffer
			cmd.Stderr = &stderr
			c := mcp.NewClient(&mcp.Implementation{Name: "proxy-test", Version: "1"}, nil)
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			s, err := c.Connect(ctx, &mcp.CommandTransport{Command: cmd}, nil)
			if err != nil {
				t.Fatalf("connect: %v\nstderr:\n%s", err, stderr.String())
			}
			useRegistry(t, s)
			// Close closes stdin and waits: an error is a non-zero exit.
			if err := s.Close(); err != nil {
				t.Fatalf("exit: %v\nstderr:\n%s", err, stderr.String())
			}
		})
	}
}

func TestProxyProcessListen(t *testing.T) {
	if testing.Short() {
		t.Skip("starts real processes")
	}
	requireProxyCommand(t)
	endpoint, key := registryEndpoint(t)
	cmd := proxyProcess(proxyEnv("AWS_ACCESS_KEY_ID="+key.AccessKeyID, "AWS_SECRET_ACCESS_KEY="+key.SecretAccessKey,
		"AWS_REGION=us-east-1", "AWS_EC2_METADATA_DISABLED=true",
		"AWS_SHARED_CREDENTIALS_FILE="+os.DevNull, "AWS_CONFIG_FILE="+os.DevNull),
		"--listen", "127.0.0.1:0", endpoint)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	urls := make(chan string, 1)
	var log syncBuffer
	go func() {
		sc := bufio.NewScanner(stderr)
		re := regexp.MustCompile(`msg="mcp-proxy listening" url=(\S+)`)
		for sc.Scan() {
			log.Write(append(sc.Bytes(), '\n'))
			if m := re.FindStringSubmatch(sc.Text()); m != nil {
				urls <- m[1]
			}
		}
		exited <- cmd.Wait()
	}()
	t.Cleanup(func() { cmd.Process.Kill() })
	var url string
	select {
	case url = <-urls:
	case err := <-exited:
		t.Fatalf("mcp-proxy exited: %v\n%s", err, log.String())
	case <-time.After(30 * time.Second):
		t.Fatalf("mcp-proxy did not listen within 30 s\n%s", log.String())
	}

	c := mcp.NewClient(&mcp.Implementation{Name: "proxy-test", Version: "1"}, nil)
	s, err := c.Connect(context.Background(), &mcp.StreamableClientTransport{Endpoint: url}, nil)
	if err != nil {
		t.Fatalf("connect %s: %v\n%s", url, err, log.String())
	}
	useRegistry(t, s)
	s.Close()

	cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-exited:
		if err != nil {
			t.Fatalf("exit after SIGTERM: %v\n%s", err, log.String())
		}
	case <-time.After(15 * time.Second):
		t.Fatal("no exit within 15 s of SIGTERM")
	}
}
