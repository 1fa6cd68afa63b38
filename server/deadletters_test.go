package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/agentry/agentry/server"
)

// TestRedeliverDeadLetters: the events a webhook gave up on are listed
// from the store, as JSON lines with the envelope sent; redelivery of one
// while the receiver is still down fails and keeps it; once the receiver
// is back, redelivery by id sends the same event (same id, signed) and
// drops it from the list; an unknown id changes nothing.
func TestRedeliverDeadLetters(t *testing.T) {
	rc := newReceiver(t)
	rc.down.Store(true)
	ts := startWithWebhook(t, rc, func(c *server.Config) { c.WebhookMaxAttempts = 2 })
	ctx := context.Background()
	ts.createRegistry(t, "first", false)
	ts.createRegistry(t, "second", false)
	for deadline := time.Now().Add(5 * time.Second); ts.deadLetters(t) < 2; time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%d dead letters, want 2", ts.deadLetters(t))
		}
	}

	var out bytes.Buffer
	if n, err := server.ExportDeadLetters(ctx, ts.cfg, "test", &out); err != nil || n != 2 {
		t.Fatalf("ExportDeadLetters: %d, %v", n, err)
	}
	var lines []struct {
		Webhook, EventID, LastError string
		Attempts                    int
		Event                       delivered
	}
	for _, l := range strings.Split(strings.TrimSpace(out.String()), "\n") {
		var line struct {
			Webhook, EventID, LastError string
			Attempts                    int
			Event                       delivered
		}
		if err := json.Unmarshal([]byte(l), &line); err != nil {
			t.Fatalf("line %q: %v", l, err)
		}
		lines = append(lines, line)
	}
	first := lines[0]
	if first.Webhook != "test" || first.Attempts != 2 || !strings.Contains(first.LastError, "503") ||
		first.Event.ID != first.EventID || first.Event.DetailType == "" {
		t.Errorf("dead letter %+v", first)
	}
	if n, _ := server.ExportDeadLetters(ctx, ts.cfg, "other", &out); n != 0 {
		t.Errorf("--webhook other listed %d", n)
	}

	// Still down: the letter stays.
	res, err := server.RedeliverDeadLetters(ctx, ts.cfg, "", first.EventID)
	if err != nil || len(res) != 1 || res[0].Err == nil {
		t.Fatalf("redelivery to a receiver still down: %+v, %v", res, err)
	}
	if n := ts.deadLetters(t); n != 2 {
		t.Fatalf("%d dead letters after a failed redelivery, want 2", n)
	}
	if _, err := server.RedeliverDeadLetters(ctx, ts.cfg, "", "00000000-0000-4000-8000-000000000000"); !errors.Is(err, server.ErrNoDeadLetter) {
		t.Errorf("unknown id: %v, want ErrNoDeadLetter", err)
	}

	rc.down.Store(false)
	res, err = server.RedeliverDeadLetters(ctx, ts.cfg, "", first.EventID)
	if err != nil || len(res) != 1 || res[0].Err != nil {
		t.Fatalf("redelivery: %+v, %v", res, err)
	}
	got := rc.got()
	if len(got) != 1 || got[0].ID != first.EventID || got[0].DetailType != first.Event.DetailType {
		t.Fatalf("the receiver got %+v, want event %s", got, first.EventID)
	}
	if n := ts.deadLetters(t); n != 1 {
		t.Errorf("%d dead letters after redelivering one, want 1", n)
	}
	// --all sends the rest.
	if res, err = server.RedeliverDeadLetters(ctx, ts.cfg, "test", ""); err != nil || len(res) != 1 || res[0].Err != nil {
		t.Fatalf("redeliver --all: %+v, %v", res, err)
	}
	if got := rc.got(); len(got) != 2 || got[1].ID != lines[1].EventID {
		t.Errorf("the receiver got %+v", got)
	}
	if n := ts.deadLetters(t); n != 0 {
		t.Errorf("%d dead letters left, want 0", n)
	}
	// Without the webhooks file there are no URLs nor secrets.
	noHooks := ts.cfg
	noHooks.WebhooksFile = ""
	if _, err := server.RedeliverDeadLetters(ctx, noHooks, "", ""); err == nil {
		t.Error("redelivery without the webhooks file")
	}
}
