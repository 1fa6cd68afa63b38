package iam

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

const (
	rootKey    = "AKIAROOT00000000"
	rootSecret = "root-secret-0123456789"
)

// syncBuffer collects log output from the watcher goroutine.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func newTestStore(t *testing.T, content string) (*Store, string, *syncBuffer) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "principals.json")
	writeFile(t, path, content)
	logs := &syncBuffer{}
	s, err := NewStore(path, testAccount,
		WithLogger(slog.New(slog.NewTextHandler(logs, nil))),
		WithRoot(Root(rootKey, rootSecret, testAccount)))
	if err != nil {
		t.Fatal(err)
	}
	return s, path, logs
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}

var (
	v1 = file(user("publisher-ci", keyA, secretA, doc(allow(`"bedrock-agentcore:*"`, `"*"`))))
	v2 = file(user("publisher-ci", keyA, secretA, doc(allow(`"bedrock-agentcore:Get*"`, `"*"`))),
		user("consumer", keyB, secretB, doc(allow(`"bedrock-agentcore:Get*"`, `"*"`))))
	bad = file(user("publisher-ci", keyA, secretA, doc(`"Effect":"Alow","Action":"*","Resource":"*"`)))
)

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestStoreLookup(t *testing.T) {
	s, _, logs := newTestStore(t, v1)
	p, secret, ok := s.Lookup(rootKey)
	if !ok || !p.IsRoot() || secret != rootSecret {
		t.Fatalf("root lookup: %v %v", p, ok)
	}
	p, secret, ok = s.Lookup(keyA)
	if !ok || p.Name != "publisher-ci" || secret != secretA {
		t.Fatalf("file lookup: %v %v", p, ok)
	}
	if _, _, ok := s.Lookup("AKIANOBODY0000000"); ok {
		t.Error("unknown key found")
	}
	if !strings.Contains(logs.String(), "principals file loaded") {
		t.Errorf("no load log:\n%s", logs)
	}
	if strings.Contains(logs.String(), secretA) {
		t.Error("logs leak a secret")
	}
}

func TestStoreRejectsRootKey(t *testing.T) {
	path := filepath.Join(t.TempDir(), "p.json")
	writeFile(t, path, file(user("sneaky", rootKey, secretA)))
	_, err := NewStore(path, testAccount, WithRoot(Root(rootKey, rootSecret, testAccount)))
	if err == nil || !strings.Contains(err.Error(), `principal "sneaky": uses the root principal's access key id`) {
		t.Fatalf("err = %v", err)
	}
}

func TestStoreInitialErrors(t *testing.T) {
	dir := t.TempDir()
	if _, err := NewStore(filepath.Join(dir, "missing.json"), testAccount); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: %v", err)
	}
	path := filepath.Join(dir, "bad.json")
	writeFile(t, path, bad)
	_, err := NewStore(path, testAccount)
	var pe *ParseError
	if !errors.As(err, &pe) || pe.File != path || !strings.Contains(err.Error(), "iam: "+path+`: principal "publisher-ci": `) {
		t.Errorf("bad file: %v", err)
	}
}

func TestStoreNoFile(t *testing.T) {
	s, err := NewStore("", testAccount, WithRoot(Root(rootKey, rootSecret, testAccount)))
	if err != nil {
		t.Fatal(err)
	}
	if p, _, ok := s.Lookup(rootKey); !ok || !p.IsRoot() {
		t.Error("root missing")
	}
	if _, _, ok := s.Lookup(keyA); ok {
		t.Error("phantom principal")
	}
	if err := s.Reload(); err != nil {
		t.Error(err)
	}
	s.Watch(context.Background(), time.Millisecond) // returns at once
	if _, err := NewStore("", "nope"); err == nil {
		t.Error("bad account accepted")
	}
}

func TestStoreReload(t *testing.T) {
	s, path, _ := newTestStore(t, v1)
	first := s.Config()
	writeFile(t, path, v2)
	if err := s.Reload(); err != nil {
		t.Fatal(err)
	}
	if s.Config() == first {
		t.Fatal("config not replaced")
	}
	if _, _, ok := s.Lookup(keyB); !ok {
		t.Error("new principal missing")
	}

	// A bad file is rejected with its problems; the config stays.
	good := s.Config()
	writeFile(t, path, bad)
	err := s.Reload()
	if err == nil || !strings.Contains(err.Error(), `Effect: must be "Allow" or "Deny", got "Alow"`) {
		t.Fatalf("Reload(bad) = %v", err)
	}
	if s.Config() != good {
		t.Fatal("bad file replaced the config")
	}
	p, _, _ := s.Lookup(keyA)
	if d := p.Authorize(req("GetRegistry", regARN("x"))); d != Allow {
		t.Errorf("old policy not in force: %v", d)
	}

	// So is a missing one.
	os.Remove(path)
	if err := s.Reload(); !errors.Is(err, os.ErrNotExist) || s.Config() != good {
		t.Errorf("Reload(missing) = %v", err)
	}
}

func TestStoreWatch(t *testing.T) {
	s, path, logs := newTestStore(t, v1)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { s.Watch(ctx, 10*time.Millisecond); close(done) }()
	defer func() {
		cancel()
		<-done
	}()

	// A change is picked up.
	writeFile(t, path, v2)
	waitFor(t, "v2", func() bool { _, _, ok := s.Lookup(keyB); return ok })

	// A bad file is reported once and the config stays.
	good := s.Config()
	writeFile(t, path, bad)
	waitFor(t, "error log", func() bool { return strings.Contains(logs.String(), "principals file rejected") })
	time.Sleep(100 * time.Millisecond) // several more polls
	if n := strings.Count(logs.String(), "principals file rejected"); n != 1 {
		t.Errorf("bad file logged %d times, want once:\n%s", n, logs)
	}
	if !strings.Contains(logs.String(), `got \"Alow\"`) {
		t.Errorf("log lacks the problem:\n%s", logs)
	}
	if s.Config() != good {
		t.Fatal("bad file replaced the config")
	}

	// Fixing it is picked up.
	writeFile(t, path, v1)
	waitFor(t, "v1", func() bool { _, _, ok := s.Lookup(keyB); return !ok })

	// Deleting it keeps the config and is reported.
	fixed := s.Config()
	os.Remove(path)
	waitFor(t, "missing-file log", func() bool { return strings.Count(logs.String(), "principals file rejected") == 2 })
	if s.Config() != fixed {
		t.Fatal("deleting the file changed the config")
	}

	// Restoring the content in force ends the episode without a reload, so
	// deleting the file again is reported again.
	writeFile(t, path, v1)
	time.Sleep(50 * time.Millisecond)
	if s.Config() != fixed {
		t.Fatal("restoring the same content reloaded")
	}
	os.Remove(path)
	waitFor(t, "second error log", func() bool { return strings.Count(logs.String(), "principals file rejected") == 3 })
}

// A touch that changes nothing, or an edit that keeps the size, must be
// told apart by the content hash.
func TestStorePollHash(t *testing.T) {
	s, path, logs := newTestStore(t, v1)
	loads := func() int { return strings.Count(logs.String(), "principals file loaded") }
	if loads() != 1 {
		t.Fatalf("loads = %d", loads())
	}
	old := time.Now().Add(-time.Hour)
	os.Chtimes(path, old, old)
	s.poll()
	if loads() != 1 {
		t.Errorf("touch reloaded: %d loads", loads())
	}
	s.poll()

	// Same size, same old mtime: the stat check alone would miss it.
	same := strings.Replace(v1, "bedrock-agentcore:*", "bedrock-agentcore:G", 1)
	same = strings.Replace(same, `"Version"`, `"Version"`+strings.Repeat(" ", len(v1)-len(same)), 1)
	if len(same) != len(v1) {
		t.Fatal("test content sizes differ")
	}
	writeFile(t, path, same)
	newer := old.Add(time.Second)
	os.Chtimes(path, newer, newer)
	s.poll()
	if loads() != 2 {
		t.Fatalf("edit not reloaded: %d loads", loads())
	}
	p, _, _ := s.Lookup(keyA)
	if d := p.Authorize(req("GetRegistry", regARN("x"))); d != ImplicitDeny {
		t.Errorf("new policy not in force: %v", d)
	}
}

// A fresh mtime is distrusted, so an edit within the same clock tick at the
// same size is still seen.
func TestStorePollRacyMtime(t *testing.T) {
	s, path, _ := newTestStore(t, v1)
	fi, _ := os.Stat(path)
	same := strings.Replace(v1, "bedrock-agentcore:*", "bedrock-agentcore:G", 1)
	same = strings.Replace(same, `"Version"`, `"Version" `, 1)
	writeFile(t, path, same)
	os.Chtimes(path, fi.ModTime(), fi.ModTime()) // as if in the same tick
	s.poll()
	p, _, _ := s.Lookup(keyA)
	if d := p.Authorize(req("GetRegistry", regARN("x"))); d != ImplicitDeny {
		t.Errorf("same-tick edit missed: %v", d)
	}
}

func TestStoreWarnsAboutModeAndWarnings(t *testing.T) {
	path := filepath.Join(t.TempDir(), "p.json")
	if err := os.WriteFile(path, []byte(file(user("p1", keyA, secretA, doc(allow(`"s3:*"`, `"*"`))))), 0o644); err != nil {
		t.Fatal(err)
	}
	os.Chmod(path, 0o644)
	logs := &syncBuffer{}
	if _, err := NewStore(path, testAccount, WithLogger(slog.New(slog.NewTextHandler(logs, nil)))); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"accessible to other users", `matches no agentry operation`} {
		if !strings.Contains(logs.String(), want) {
			t.Errorf("logs lack %q:\n%s", want, logs)
		}
	}
}

// Readers race reloads; run with -race.
func TestStoreConcurrent(t *testing.T) {
	s, path, _ := newTestStore(t, v1)
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() { s.Watch(ctx, time.Millisecond) })
	for range 4 {
		wg.Go(func() {
			for ctx.Err() == nil {
				if p, _, ok := s.Lookup(keyA); ok {
					p.Authorize(req("GetRegistry", regARN("x")))
				}
			}
		})
	}
	for i := range 20 {
		content := v1
		if i%2 == 1 {
			content = v2
		}
		writeFile(t, path, content)
		if i%5 == 0 {
			s.Reload()
		}
		time.Sleep(2 * time.Millisecond)
	}
	cancel()
	wg.Wait()
}
