package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	ctl "github.com/aws/aws-sdk-go-v2/service/bedrockagentcorecontrol"

	"github.com/agentry/agentry/credentials"
)

// TestKillDuringDeliveryLosesNoEvent kills the server with SIGKILL while
// clients write and the webhook receives, restarts it, and checks that the
// event of every write that had been answered with success reaches the
// receiver: written with the write, delivered after the restart.
func TestKillDuringDeliveryLosesNoEvent(t *testing.T) {
	if testing.Short() {
		t.Skip("starts and kills real processes")
	}
	var (
		mu       sync.Mutex
		received = map[string]int{} // record name -> deliveries
	)
	rc := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		var e struct {
			Detail struct {
				RecordName string `json:"recordName"`
			} `json:"detail"`
		}
		json.Unmarshal(body, &e)
		time.Sleep(time.Millisecond) // slower than the writers: a backlog to kill
		mu.Lock()
		received[e.Detail.RecordName]++
		mu.Unlock()
	}))
	defer rc.Close()
	hooks := filepath.Join(t.TempDir(), "webhooks.json")
	os.WriteFile(hooks, []byte(fmt.Sprintf(`{"webhooks":[{"name":"r","url":%q,"secret":"a-secret-of-16-bytes"}]}`, rc.URL)), 0o600)
	dir := t.TempDir()
	key := credentials.Generate()
	env := append(keyEnv(key), "AGENTRY_WEBHOOKS_FILE="+hooks, "AGENTRY_ALLOW_PRIVATE_URLS=true")
	ctx := context.Background()

	p := startAgentry(t, dir, env...)
	reg, err := sdkClient(p.url, key).CreateRegistry(ctx, &ctl.CreateRegistryInput{Name: aws.String("events")})
	if err != nil {
		t.Fatal(err)
	}
	_, acked := writeThroughKills(t, p, dir, key, reg.RegistryArn, env)
	if len(acked) < 20 {
		t.Fatalf("only %d writes were acknowledged; the test did not exercise the server", len(acked))
	}
	missing := func() (n int, first string) {
		mu.Lock()
		defer mu.Unlock()
		for _, name := range acked {
			if received[name] == 0 {
				if n == 0 {
					first = name
				}
				n++
			}
		}
		return n, first
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		n, first := missing()
		if n == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d acknowledged writes never reached the webhook (first: %s)", n, len(acked), first)
		}
		time.Sleep(50 * time.Millisecond)
	}
	mu.Lock()
	defer mu.Unlock()
	again := 0
	for _, name := range acked {
		again += received[name] - 1
	}
	t.Logf("%d acknowledged writes across 3 kills: every event delivered, %d delivered twice (at least once)", len(acked), again)
}
