package main

import (
	"bytes"
	"strings"
	"testing"
)

// TestWebhooksCommand: the arguments are checked before anything is read
// or sent, and an empty list is listed as nothing.
func TestWebhooksCommand(t *testing.T) {
	dir := t.TempDir()
	for _, args := range [][]string{
		{},
		{"resend"},
		{"redeliver", "--data-dir", dir},
		{"redeliver", "--data-dir", dir, "--all", "some-id"},
		{"redeliver", "--data-dir", dir, "a", "b"},
		{"dead-letters", "--data-dir", dir, "extra"},
		{"redeliver", "--data-dir", dir, "--all"}, // no webhooks file: no URLs nor secrets
	} {
		var out, errOut bytes.Buffer
		if err := webhooksCommand(args, &out, &errOut); err == nil {
			t.Errorf("agentry webhooks %q succeeded", args)
		}
		if out.Len() != 0 {
			t.Errorf("agentry webhooks %q wrote %q", args, out.String())
		}
	}
	var out, errOut bytes.Buffer
	if err := webhooksCommand([]string{"dead-letters", "--data-dir", dir, "--webhook", "ops"}, &out, &errOut); err != nil || out.Len() != 0 {
		t.Errorf("dead-letters of an empty store: %v, %q %q", err, out.String(), errOut.String())
	}
	if err := webhooksCommand([]string{"redeliver", "--data-dir", dir, "--all"}, &out, &errOut); err == nil ||
		!strings.Contains(err.Error(), "webhooks file") {
		t.Errorf("redeliver without a webhooks file: %v", err)
	}
}
