package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/agentry/agentry/events"
	"github.com/agentry/agentry/registry"
	"github.com/agentry/agentry/safehttp"
)

// deadLetterLine is a dead letter as the agentry webhooks dead-letters
// command writes it, one JSON object a line.
type deadLetterLine struct {
	Webhook   string          `json:"webhook"`
	EventID   string          `json:"eventId"`
	Seq       int64           `json:"seq"`
	Attempts  int             `json:"attempts"`
	LastError string          `json:"lastError"`
	At        string          `json:"deadLetteredAt"`
	Event     json.RawMessage `json:"event,omitempty"` // the envelope as it was sent
}

// ExportDeadLetters writes the dead letters of webhook ("" = every
// webhook's), oldest first, as JSON lines, from the configured database:
// the agentry webhooks dead-letters command.
func ExportDeadLetters(ctx context.Context, cfg Config, webhook string, w io.Writer) (int, error) {
	store, err := openStore(ctx, cfg)
	if err != nil {
		return 0, err
	}
	defer store.Close()
	letters, err := store.DeadLetters(ctx, webhook)
	if err != nil {
		return 0, err
	}
	enc := json.NewEncoder(w)
	for i, d := range letters {
		line := deadLetterLine{Webhook: d.Webhook, EventID: d.EventID, Seq: d.Seq, Attempts: d.Attempts,
			LastError: d.LastError, At: d.At.UTC().Format(time.RFC3339Nano)}
		if json.Valid(d.Body) {
			line.Event = d.Body
		}
		if err := enc.Encode(line); err != nil {
			return i, err
		}
	}
	return len(letters), nil
}

// Redelivery is the outcome of one dead letter's redelivery
// (events.Redelivery).
type Redelivery = events.Redelivery

// ErrNoDeadLetter is returned by RedeliverDeadLetters when nothing matches.
var ErrNoDeadLetter = errors.New("no such dead letter")

// RedeliverDeadLetters sends dead letters once more to their webhooks,
// from the configured database and webhooks file, and removes those
// delivered from the list: the one of event eventID, or every one when
// eventID is "", of webhook ("" = any). It is the agentry webhooks
// redeliver command; a server running on the same database meanwhile is
// no obstacle (the list is only appended to by it).
func RedeliverDeadLetters(ctx context.Context, cfg Config, webhook, eventID string) ([]Redelivery, error) {
	if cfg.WebhooksFile == "" {
		return nil, errors.New("redelivery needs the webhooks file (--webhooks-file or AGENTRY_WEBHOOKS_FILE), for the URLs and secrets")
	}
	webhooks, err := events.LoadWebhooks(cfg.WebhooksFile, func(u string) error { return safehttp.CheckConfiguredURL(u, cfg.AllowPrivateURLs) })
	if err != nil {
		return nil, err
	}
	store, err := openStore(ctx, cfg)
	if err != nil {
		return nil, err
	}
	defer store.Close()
	letters, err := store.DeadLetters(ctx, webhook)
	if err != nil {
		return nil, err
	}
	if eventID != "" {
		var chosen []registry.DeadLetter
		for _, d := range letters {
			if d.EventID == eventID {
				chosen = append(chosen, d)
			}
		}
		letters = chosen
	}
	if len(letters) == 0 {
		if eventID != "" {
			return nil, fmt.Errorf("%w: event %q", ErrNoDeadLetter, eventID)
		}
		return nil, nil
	}
	return events.Redeliver(ctx, store, safehttp.NewClient(cfg.AllowPrivateURLs), webhooks, letters), nil
}
