package events

import (
	"context"
	"fmt"
	"net/http"

	"github.com/agentry/agentry/registry"
)

// DeadLetterStore is what Redeliver needs of the store.
type DeadLetterStore interface {
	DeleteDeadLetter(ctx context.Context, webhook string, seq int64) error
}

// Redelivery is the outcome of one dead letter's redelivery.
type Redelivery struct {
	Letter registry.DeadLetter
	// Err is nil when the webhook took the event and the letter left the
	// list; otherwise the letter stays for a later try.
	Err error
}

// Redeliver posts each dead letter once more to its webhook, as it was
// first sent (same envelope and event id, so a receiver that deduplicates
// by id sees a repeat) but signed now with the webhook's current secret,
// and removes from the list those the webhook took. A letter whose webhook
// is no longer configured is not sent. client should be safehttp's, as
// for the Dispatcher. Redelivered events arrive after later ones: a
// receiver that cares about order compares the envelope's time.
func Redeliver(ctx context.Context, store DeadLetterStore, client *http.Client, webhooks []Webhook, letters []registry.DeadLetter) []Redelivery {
	byName := map[string]*Webhook{}
	for i := range webhooks {
		byName[webhooks[i].Name] = &webhooks[i]
	}
	out := make([]Redelivery, len(letters))
	for i, l := range letters {
		out[i].Letter = l
		w := byName[l.Webhook]
		switch {
		case ctx.Err() != nil:
			out[i].Err = ctx.Err()
		case w == nil:
			out[i].Err = fmt.Errorf("webhook %q is not in the webhooks file", l.Webhook)
		default:
			if err := post(ctx, client, w, l.EventID, l.Body); err != nil {
				out[i].Err = err
			} else if err := store.DeleteDeadLetter(context.WithoutCancel(ctx), l.Webhook, l.Seq); err != nil {
				out[i].Err = fmt.Errorf("delivered, but not removed from the list: %w", err)
			}
		}
	}
	return out
}
