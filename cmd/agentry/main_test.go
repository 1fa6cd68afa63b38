package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	ctl "github.com/aws/aws-sdk-go-v2/service/bedrockagentcorecontrol"
	"github.com/aws/aws-sdk-go-v2/service/bedrockagentcorecontrol/types"

	"github.com/agentry/agentry/credentials"
	"github.com/agentry/agentry/internal/awstest"
	"github.com/agentry/agentry/store/postgres/pgtest"
)

// The tests run the real command: the test binary re-executes itself as
// "agentry" when AGENTRY_TEST_MAIN is set.
func TestMain(m *testing.M) {
	if args := os.Getenv("AGENTRY_TEST_MAIN"); args != "" {
		os.Args = append([]string{"agentry"}, strings.Split(args, "\x1f")...)
		main()
		os.Exit(0)
	}
	code := m.Run()
	pgtest.Wait()
	os.Exit(code)
}

// logged reports whether the process has logged a record with msg.
func (p *process) logged(msg string) bool {
	p.msgMu.Lock()
	defer p.msgMu.Unlock()
	return p.msgs[msg]
}

type process struct {
	cmd    *exec.Cmd
	url    string
	msgMu  sync.Mutex
	msgs   map[string]bool // the messages it has logged
	stdout *syncBuffer     // written by exec's copying goroutine while the test reads it
	done   chan struct{}   // closed when the process has exited
	err    error           // its exit status, once done is closed
}

// startAgentry runs "agentry serve" on a free loopback port and waits until
// it answers /healthz.
func startAgentry(t testing.TB, dataDir string, env ...string) *process {
	t.Helper()
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), "AGENTRY_TEST_MAIN="+strings.Join([]string{"serve", "--listen", "127.0.0.1:0", "--data-dir", dataDir}, "\x1f"))
	cmd.Env = append(cmd.Env, env...)
	p := &process{cmd: cmd, stdout: new(syncBuffer), done: make(chan struct{}), msgs: map[string]bool{}}
	cmd.Stdout = p.stdout
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	addr := make(chan string, 1)
	var (
		logMu sync.Mutex
		tail  []string // the last lines the server logged, shown if the test fails
	)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			var line struct{ Msg, Listen, Level string }
			if json.Unmarshal(sc.Bytes(), &line) == nil && line.Msg == "agentry serving" {
				addr <- line.Listen
			}
			p.msgMu.Lock()
			p.msgs[line.Msg] = true
			p.msgMu.Unlock()
			if line.Msg != "request" || line.Level != "INFO" {
				logMu.Lock()
				tail = append(tail[max(0, len(tail)-19):], sc.Text())
				logMu.Unlock()
			}
		}
	}()
	t.Cleanup(func() {
		if t.Failed() {
			logMu.Lock()
			t.Logf("agentry's last log lines:\n%s", strings.Join(tail, "\n"))
			logMu.Unlock()
		}
	})
	go func() {
		p.err = cmd.Wait()
		close(p.done)
	}()
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-p.done
	})
	select {
	case a := <-addr:
		p.url = "http://" + a
	case <-p.done:
		t.Fatalf("agentry exited before serving: %v", p.err)
	case <-time.After(30 * time.Second):
		t.Fatal("agentry did not start within 30 s")
	}
	resp, err := http.Get(p.url + "/healthz")
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("healthz: %v %v", resp, err)
	}
	resp.Body.Close()
	return p
}

func sdkClient(url string, key credentials.Key) *ctl.Client {
	return awstest.Control(url, key.AccessKeyID, key.SecretAccessKey)
}

// writeThroughKills has four clients create records in the registry while
// the server is killed with SIGKILL and started again, three times, and
// returns the server last started and the names of the records whose
// creation was acknowledged.
func writeThroughKills(t *testing.T, p *process, dir string, key credentials.Key, registryArn *string, env []string) (*process, []string) {
	var (
		mu    sync.Mutex
		acked []string
	)
	ctx := context.Background()
	for round := range 3 {
		c := sdkClient(p.url, key)
		var wg sync.WaitGroup
		for w := range 4 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := 0; ; i++ {
					name := fmt.Sprintf("r%d-w%d-%d", round, w, i)
					_, err := c.CreateRegistryRecord(ctx, &ctl.CreateRegistryRecordInput{
						RegistryId: registryArn, Name: aws.String(name), DescriptorType: types.DescriptorTypeCustom,
						Descriptors: &types.Descriptors{Custom: &types.CustomDescriptor{InlineContent: aws.String(`{"n":1}`)}},
					})
					if err != nil {
						return // the server is gone
					}
					mu.Lock()
					acked = append(acked, name)
					mu.Unlock()
				}
			}()
		}
		time.Sleep(time.Duration(300+200*round) * time.Millisecond)
		p.cmd.Process.Signal(syscall.SIGKILL)
		wg.Wait()
		<-p.done
		p = startAgentry(t, dir, env...)
	}
	return p, acked
}

func keyEnv(k credentials.Key) []string {
	return []string{"AGENTRY_ROOT_ACCESS_KEY_ID=" + k.AccessKeyID, "AGENTRY_ROOT_SECRET_ACCESS_KEY=" + k.SecretAccessKey}
}

// TestKillDuringWritesLosesNothing kills the server with SIGKILL while
// clients write, restarts it, and checks that every write that had been
// answered with success is there.
func TestKillDuringWritesLosesNothing(t *testing.T) {
	if testing.Short() {
		t.Skip("starts and kills real processes")
	}
	dir := t.TempDir()
	key := credentials.Generate()
	ctx := context.Background()

	p := startAgentry(t, dir, keyEnv(key)...)
	reg, err := sdkClient(p.url, key).CreateRegistry(ctx, &ctl.CreateRegistryInput{Name: aws.String("durable")})
	if err != nil {
		t.Fatal(err)
	}
	p, acked := writeThroughKills(t, p, dir, key, reg.RegistryArn, keyEnv(key))

	stored := map[string]bool{}
	pg := ctl.NewListRegistryRecordsPaginator(sdkClient(p.url, key), &ctl.ListRegistryRecordsInput{RegistryId: reg.RegistryArn, MaxResults: aws.Int32(100)})
	for pg.HasMorePages() {
		out, err := pg.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range out.RegistryRecords {
			stored[aws.ToString(r.Name)] = true
		}
	}
	if len(acked) < 20 {
		t.Fatalf("only %d writes were acknowledged; the test did not exercise the server", len(acked))
	}
	lost := 0
	for _, name := range acked {
		if !stored[name] {
			lost++
			t.Errorf("acknowledged record %s was lost", name)
		}
	}
	t.Logf("%d acknowledged writes across 3 kills, %d stored, %d lost", len(acked), len(stored), lost)
}

func TestFirstStartCreatesRootCredentials(t *testing.T) {
	dir := t.TempDir()
	p := startAgentry(t, dir)
	out := p.stdout.String()
	if !strings.Contains(out, "AWS_ACCESS_KEY_ID=") || !strings.Contains(out, "AWS_SECRET_ACCESS_KEY=") {
		t.Fatalf("first start did not print credentials: %q", out)
	}
	path := filepath.Join(dir, credentials.FileName)
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Fatalf("%s has mode %v, want 0600", path, fi.Mode().Perm())
	}
	key, _, err := credentials.LoadRoot(dir, "", "")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, key.SecretAccessKey) {
		t.Fatal("printed secret differs from the stored one")
	}
	// The stored key signs requests.
	if _, err := sdkClient(p.url, key).ListRegistries(context.Background(), &ctl.ListRegistriesInput{}); err != nil {
		t.Fatal(err)
	}

	// Graceful shutdown on SIGTERM, then a second start prints nothing.
	p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
		if p.err != nil {
			t.Fatalf("exit after SIGTERM: %v", p.err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no exit within 10 s of SIGTERM")
	}
	p2 := startAgentry(t, dir)
	if strings.Contains(p2.stdout.String(), "AWS_SECRET_ACCESS_KEY") {
		t.Fatal("second start printed the credentials again")
	}
}

func TestSearchEvalCommand(t *testing.T) {
	key := credentials.Generate()
	// The command is under test, not the model: the built-in model's
	// vectors are computed in the background, so a search right after the
	// writes could rank on some of them only (it failed 1 run in 4).
	p := startAgentry(t, t.TempDir(), append(keyEnv(key), "AGENTRY_SEMANTIC=off")...)
	ctx := context.Background()
	c := sdkClient(p.url, key)
	reg, err := c.CreateRegistry(ctx, &ctl.CreateRegistryInput{Name: aws.String("eval"), ApprovalConfiguration: &types.ApprovalConfiguration{AutoApproval: true}})
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"weather", "github", "postgres"} {
		in := mcpRecord(name)
		in.RegistryId = reg.RegistryArn
		out, err := c.CreateRegistryRecord(ctx, in)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.SubmitRegistryRecordForApproval(ctx, &ctl.SubmitRegistryRecordForApprovalInput{RegistryId: reg.RegistryArn, RecordId: out.RecordArn}); err != nil {
			t.Fatal(err)
		}
	}
	queries := filepath.Join(t.TempDir(), "queries.jsonl")
	os.WriteFile(queries, []byte(`{"id":"1","query":"server weather","relevant":["weather"]}
{"id":"2","query":"server postgres","relevant":["postgres"]}
`), 0o600)
	t.Setenv("AWS_ACCESS_KEY_ID", key.AccessKeyID)
	t.Setenv("AWS_SECRET_ACCESS_KEY", key.SecretAccessKey)
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(t.TempDir(), "none"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(t.TempDir(), "none"))
	var out bytes.Buffer
	if err := searchEval([]string{"--endpoint", p.url, "--registry", aws.ToString(reg.RegistryArn), "--queries", queries, "--region", "us-east-1"}, &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "queries=2 nDCG@10=1.000 Recall@10=1.000") {
		t.Fatalf("search-eval printed %q", out.String())
	}
}

// serve checks every flag and variable before it has any effect and
// reports all bad values at once, each with its flag and variable; an empty
// variable counts as unset. (A bad AGENTRY_DB_MAX_CONNS was once read as 0,
// AGENTRY_SIGV4_REPLAY_PROTECTION=yes as off, and an empty AGENTRY_ACCOUNT_ID
// as the account id "".)
func TestServeReportsEveryBadValue(t *testing.T) {
	for name, v := range map[string]string{
		"AGENTRY_DB_MAX_CONNS":              "many",
		"AGENTRY_SIGV4_REPLAY_PROTECTION":   "yes",
		"AGENTRY_SEMANTIC_APPROX_THRESHOLD": "lots",
		"AGENTRY_ACCOUNT_ID":                "",
		"AGENTRY_SEMANTIC":                  "",
	} {
		t.Setenv(name, v)
	}
	dir := filepath.Join(t.TempDir(), "data")
	var stdout bytes.Buffer
	err := serve([]string{"--listen", "127.0.0.1:0", "--data-dir", dir, "--fusion", "rank"}, &stdout, io.Discard)
	if err == nil {
		t.Fatal("serve started")
	}
	for _, want := range []string{
		`--db-max-conns (AGENTRY_DB_MAX_CONNS): must be 1 to 1000, got "many" from the environment`,
		`--sigv4-replay-protection (AGENTRY_SIGV4_REPLAY_PROTECTION): must be true or false, got "yes" from the environment`,
		`--semantic-approx-threshold (AGENTRY_SEMANTIC_APPROX_THRESHOLD): must be an integer, got "lots" from the environment`,
		`--fusion (AGENTRY_FUSION): must be convex or rrf, got "rank"`,
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("serve: %v\nwant %q", err, want)
		}
	}
	if strings.Contains(err.Error(), "account-id") || strings.Contains(err.Error(), "--semantic ") {
		t.Errorf("an empty variable was taken for a value: %v", err)
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) || stdout.Len() > 0 {
		t.Errorf("serve had an effect: data directory %v, printed %q", err, stdout.String())
	}
}

// serve on a port that is taken fails before it changes anything: no data
// directory, no root credentials printed.
func TestServeOnPortInUseChangesNothing(t *testing.T) {
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	dir := filepath.Join(t.TempDir(), "data")
	var stdout, stderr bytes.Buffer
	err = serve([]string{"--listen", taken.Addr().String(), "--data-dir", dir, "--semantic", "off"}, &stdout, &stderr)
	if err == nil || !strings.Contains(err.Error(), "address already in use") {
		t.Fatalf("serve on a taken port: %v", err)
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("the data directory was created (stat: %v)", err)
	}
	if stdout.Len() > 0 {
		t.Errorf("serve printed %q", stdout.String())
	}
}

func TestServeTransferLimitFlags(t *testing.T) {
	for _, c := range []struct {
		args []string
		env  string
		want string
	}{
		{[]string{"--max-inflight-mib", "2"}, "", "--max-inflight-mib (AGENTRY_MAX_INFLIGHT_MIB): must be 4 to"},
		{[]string{"--max-client-inflight-mib", "65"}, "", "--max-client-inflight-mib (AGENTRY_MAX_CLIENT_INFLIGHT_MIB): must be 1 to --max-inflight-mib (64)"},
		{[]string{"--min-transfer-rate-kib", "0"}, "", "--min-transfer-rate-kib (AGENTRY_MIN_TRANSFER_RATE_KIB): must be"},
		{nil, "soon", "--transfer-grace (AGENTRY_TRANSFER_GRACE): must be 1s to 10m"},
	} {
		t.Setenv("AGENTRY_TRANSFER_GRACE", c.env)
		if c.env == "" {
			os.Unsetenv("AGENTRY_TRANSFER_GRACE")
		}
		err := serve(append([]string{"--semantic", "off", "--data-dir", t.TempDir()}, c.args...), io.Discard, io.Discard)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("serve %v: %v, want %q", c.args, err, c.want)
		}
	}
}
