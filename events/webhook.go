package events

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"

	"github.com/agentry/agentry/registry"
)

// Webhook is one receiver of events, configured server-side.
type Webhook struct {
	// Name identifies the webhook in the store (its delivery position and
	// dead letters), in logs and in metrics; renaming it starts afresh.
	Name string `json:"name"`
	URL  string `json:"url"`
	// Secret keys the HMAC-SHA256 signature of each delivery.
	Secret string `json:"secret"`
	// DetailTypes and RegistryIDs, when not empty, select the events
	// delivered: one of the detail-types, of one of the registries.
	DetailTypes []string `json:"detailTypes,omitempty"`
	RegistryIDs []string `json:"registryIds,omitempty"`
}

type webhooksFile struct {
	Webhooks []Webhook `json:"webhooks"`
}

// LoadWebhooks reads a webhooks file, refusing unknown fields, webhooks
// without a name, URL or secret of at least 16 bytes, names used twice,
// unknown detail-types, and URLs urlPolicy refuses (nil = any).
func LoadWebhooks(path string, urlPolicy func(string) error) ([]Webhook, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("webhooks file: %w", err)
	}
	var f webhooksFile
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&f); err != nil {
		return nil, fmt.Errorf("webhooks file %s: %w", path, err)
	}
	seen := map[string]bool{}
	for i, w := range f.Webhooks {
		where := fmt.Sprintf("webhooks file %s: webhooks[%d]", path, i)
		switch {
		case w.Name == "" || len(w.Name) > 64 || strings.ContainsAny(w.Name, " \t\n/"):
			return nil, fmt.Errorf("%s: name must be 1 to 64 characters without spaces or slashes", where)
		case seen[w.Name]:
			return nil, fmt.Errorf("%s: the name %q is used twice", where, w.Name)
		case len(w.Secret) < 16:
			return nil, fmt.Errorf("%s (%s): secret must be at least 16 characters", where, w.Name)
		}
		seen[w.Name] = true
		if urlPolicy != nil {
			if err := urlPolicy(w.URL); err != nil {
				return nil, fmt.Errorf("%s (%s): url %v", where, w.Name, err)
			}
		}
		for _, dt := range w.DetailTypes {
			if !slices.Contains(registry.EventDetailTypes, dt) {
				return nil, fmt.Errorf("%s (%s): unknown detail-type %q; see docs/events.md", where, w.Name, dt)
			}
		}
	}
	return f.Webhooks, nil
}

func (w *Webhook) wants(e registry.Event) bool {
	return (len(w.DetailTypes) == 0 || slices.Contains(w.DetailTypes, e.DetailType)) &&
		(len(w.RegistryIDs) == 0 || slices.Contains(w.RegistryIDs, e.RegistryID))
}

// Headers of a delivery.
const (
	HeaderTimestamp = "X-Agentry-Timestamp" // Unix seconds when it was signed
	HeaderSignature = "X-Agentry-Signature" // "sha256=" and the hex HMAC
	HeaderEventID   = "X-Agentry-Event-Id"
)

// Sign returns the signature header's value for body sent at timestamp
// (Unix seconds): HMAC-SHA256 keyed by secret over the timestamp, a dot
// and the body.
func Sign(secret string, timestamp int64, body []byte) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(strconv.FormatInt(timestamp, 10)))
	mac.Write([]byte("."))
	mac.Write(body)
	return "sha256=" + hex.EncodeToString(mac.Sum(nil))
}

// Verify reports whether signature is the one of body sent at timestamp,
// comparing in constant time: what a receiver in Go does.
func Verify(secret string, timestamp int64, body []byte, signature string) bool {
	return hmac.Equal([]byte(Sign(secret, timestamp, body)), []byte(signature))
}

func bytesReader(b []byte) io.Reader { return bytes.NewReader(b) }
