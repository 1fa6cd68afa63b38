package events_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/agentry/agentry/events"
)

// TestSignature: the signature covers the timestamp and the body; Verify
// refuses any change to either, and another secret.
func TestSignature(t *testing.T) {
	body := []byte(`{"version":"0","detail-type":"Registry Record State changed to Approved"}`)
	sig := events.Sign("secret-of-16-bytes", 1700000000, body)
	if !strings.HasPrefix(sig, "sha256=") || len(sig) != len("sha256=")+64 {
		t.Fatalf("signature %q", sig)
	}
	if !events.Verify("secret-of-16-bytes", 1700000000, body, sig) {
		t.Error("Verify refused a good signature")
	}
	for name, ok := range map[string]bool{
		"another body":      events.Verify("secret-of-16-bytes", 1700000000, append(body, ' '), sig),
		"another timestamp": events.Verify("secret-of-16-bytes", 1700000001, body, sig),
		"another secret":    events.Verify("secret-of-16-bytez", 1700000000, body, sig),
	} {
		if ok {
			t.Errorf("Verify accepted %s", name)
		}
	}
}

// TestSignatureShellRecipe runs the shell recipe of docs/events.md.
func TestSignatureShellRecipe(t *testing.T) {
	if _, err := exec.LookPath("openssl"); err != nil {
		t.Skip("no openssl")
	}
	body := []byte(`{"id":"x","detail":{"status":"APPROVED"}}`)
	dir := t.TempDir()
	path := filepath.Join(dir, "body.json")
	os.WriteFile(path, body, 0o600)
	const recipe = `printf '%s.' "$TIMESTAMP" | cat - body.json | openssl dgst -sha256 -hmac "$SECRET" -hex | sed 's/^.* /sha256=/'`
	cmd := exec.Command("sh", "-c", recipe)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "TIMESTAMP=1700000000", "SECRET=secret-of-16-bytes")
	out, err := cmd.Output()
	if err != nil {
		t.Fatal(err)
	}
	if got, want := strings.TrimSpace(string(out)), events.Sign("secret-of-16-bytes", 1700000000, body); got != want {
		t.Errorf("the shell recipe computes %q, want %q", got, want)
	}
}

// TestLoadWebhooks: the file is checked whole before the server starts.
func TestLoadWebhooks(t *testing.T) {
	write := func(body string) string {
		p := filepath.Join(t.TempDir(), "w.json")
		os.WriteFile(p, []byte(body), 0o600)
		return p
	}
	good := `{"webhooks":[{"name":"ops","url":"https://hooks.example.com/a","secret":"0123456789abcdef",
		"detailTypes":["Registry Record State changed to Pending Approval"],"registryIds":["abcdefghijkl"]}]}`
	ws, err := events.LoadWebhooks(write(good), nil)
	if err != nil || len(ws) != 1 || ws[0].Name != "ops" {
		t.Fatalf("%+v %v", ws, err)
	}
	for i, bad := range []string{
		`{"webhooks":[{"name":"","url":"https://x","secret":"0123456789abcdef"}]}`,
		`{"webhooks":[{"name":"a","url":"https://x","secret":"short"}]}`,
		`{"webhooks":[{"name":"a","url":"https://x","secret":"0123456789abcdef","extra":1}]}`,
		`{"webhooks":[{"name":"a","url":"https://x","secret":"0123456789abcdef"},{"name":"a","url":"https://y","secret":"0123456789abcdef"}]}`,
		`{"webhooks":[{"name":"a","url":"https://x","secret":"0123456789abcdef","detailTypes":["Registry Exploded"]}]}`,
	} {
		if _, err := events.LoadWebhooks(write(bad), nil); err == nil {
			t.Errorf("bad file %d accepted", i)
		} else if strings.Contains(err.Error(), "0123456789abcdef") {
			t.Errorf("the error shows the secret: %v", err)
		}
	}
	refuse := func(u string) error { return os.ErrPermission }
	if _, err := events.LoadWebhooks(write(good), refuse); err == nil {
		t.Error("a URL the policy refuses was accepted")
	}
}
