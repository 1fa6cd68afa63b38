package console_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/agentry/agentry/registry"
	"github.com/agentry/agentry/server"
	"github.com/agentry/agentry/store/sqlite"
)

// seedRecords writes a registry with n records into a new SQLite data
// directory, in one transaction (creating them through the API would take
// minutes): every fifth is pending approval, the others approved.
func seedRecords(t testing.TB, n int) (dataDir, regID, recID string) {
	t.Helper()
	ctx := context.Background()
	dataDir = filepath.Join(t.TempDir(), "data")
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		t.Fatal(err)
	}
	store, err := sqlite.Open(ctx, filepath.Join(dataDir, server.DatabaseFile))
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	svc, err := registry.NewService(ctx, registry.Options{Store: store, Region: "us-east-1", AccountID: "123456789012"})
	if err != nil {
		t.Fatal(err)
	}
	created, err := svc.CreateRegistry(ctx, registry.CreateRegistryInput{Name: "big"})
	if err != nil {
		t.Fatal(err)
	}
	regID = created.ID
	now := time.Now().UTC().Truncate(time.Millisecond)
	err = store.Update(ctx, func(tx registry.Tx) error {
		for i := range n {
			name := fmt.Sprintf("server-%05d", i)
			content := fmt.Sprintf(`{"name": "io.example/%s", "description": "Tool server number %d for tickets, mail and calendars", "version": "1.0.%d"}`, name, i, i)
			rev := registry.Revision{Name: name, Description: fmt.Sprintf("Server %d: tickets, mail and calendars", i),
				DescriptorType: registry.DescriptorMCP, Version: fmt.Sprintf("1.0.%d", i), Status: registry.StatusApproved,
				Descriptors: registry.Descriptors{MCP: &registry.MCPDescriptor{Server: &registry.ServerDefinition{InlineContent: content}}},
				UpdatedAt:   now.Add(time.Duration(i) * time.Millisecond)}
			r := registry.Record{RegistryID: regID, ID: registry.NewID(12), CreatedAt: rev.UpdatedAt, Latest: rev}
			if i%5 == 0 {
				r.Latest.Status = registry.StatusPendingApproval
			} else {
				approved := rev
				r.Approved = &approved
			}
			if i == n/2 {
				recID = r.ID
			}
			if err := tx.CreateRecord(r); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return dataDir, regID, recID
}

// TestPagesAtTenThousandRecords: with 10,000 records in a registry (2,000
// of them pending), every page is under 50 KB and answers within 100 ms
// (the median of five, measured at the client on loopback, so an upper
// bound of the server's time). The approval queue reads every pending
// record to show the oldest first (2,000 here, 20 pages of the store);
// since the store lists summaries (its columns, no descriptors) that
// takes about 35 ms, so it is held to the same 100 ms. Under the race
// detector only the sizes are checked.
func TestPagesAtTenThousandRecords(t *testing.T) {
	if testing.Short() {
		t.Skip("seeds 10,000 records")
	}
	dataDir, regID, recID := seedRecords(t, 10000)
	ts := startServer(t, func(c *server.Config) { c.DataDir = dataDir })
	u := ts.signIn(t, curator)
	_, first := u.get("/console/registries/" + regID)
	next := csrfNext.FindStringSubmatch(first)
	if next == nil {
		t.Fatal("the records page has no next page link")
	}
	pages := []string{
		"/console/registries",
		"/console/registries/" + regID,
		"/console/registries/" + regID + "?status=PENDING_APPROVAL&type=MCP",
		"/console/registries/" + regID + "?name=server-05000",
		htmlUnescape(next[1]),
		"/console/registries/" + regID + "/records/" + recID,
		"/console/queue",
		"/console/search?registry=" + regID + "&q=tickets+mail+calendar+server",
		"/console/connect?registry=" + regID,
		"/console/registries/" + regID + "/new",
	}
	for _, p := range pages {
		var times []time.Duration
		size := 0
		for range 5 {
			start := time.Now()
			resp, err := u.client.Get(ts.URL + p)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			times = append(times, time.Since(start))
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("%s: %d", p, resp.StatusCode)
			}
			size = len(b)
		}
		slices.Sort(times)
		t.Logf("%-70s %6d bytes  median %v", p, size, times[2].Round(100*time.Microsecond))
		if size > 50<<10 {
			t.Errorf("%s: %d bytes, over 50 KB", p, size)
		}
		const limit = 100 * time.Millisecond
		if times[2] > limit && !raceDetector {
			t.Errorf("%s: median %v, over %v", p, times[2], limit)
		}
	}
}
