package mcpregistry

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/agentry/agentry/registry"
)

func mcpRecord(id, name, version string, created time.Time) registry.Record {
	rev := registry.Revision{Name: id, DescriptorType: registry.DescriptorMCP, Status: registry.StatusApproved, UpdatedAt: created,
		Descriptors: registry.Descriptors{MCP: &registry.MCPDescriptor{Server: &registry.ServerDefinition{
			InlineContent: fmt.Sprintf(`{"name": %q, "description": "d", "version": %q}`, name, version)}}}}
	return registry.Record{RegistryID: "reg", ID: id, CreatedAt: created, Latest: rev, Approved: &rev}
}

// TestLoadPagesAndLatest loads records a page at a time, as the follower
// does at start-up, and checks the order, isLatest and paging.
func TestLoadPagesAndLatest(t *testing.T) {
	c := New()
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	c.Load([]registry.Record{
		mcpRecord("r1", "io.x/b", "1.9.0", t0),
		mcpRecord("r2", "io.x/a", "1.0.0", t0),
		{RegistryID: "reg", ID: "r0", Latest: registry.Revision{DescriptorType: registry.DescriptorA2A}},
	}, 5)
	c.Load([]registry.Record{
		mcpRecord("r3", "io.x/b", "1.10.0", t0.Add(-time.Hour)),
		mcpRecord("r4", "io.x/0", "nightly", t0),
		mcpRecord("r5", "io.x/0", "weekly", t0.Add(time.Hour)),
	}, 5)
	page, seq, err := c.List("reg", ListQuery{Limit: 10})
	if err != nil || seq != 5 {
		t.Fatal(seq, err)
	}
	var got []string
	for _, e := range page.Entries {
		got = append(got, fmt.Sprintf("%s@%s:%v", e.Name, e.Version, e.IsLatest))
	}
	want := []string{"io.x/0@nightly:false", "io.x/0@weekly:true", "io.x/a@1.0.0:true", "io.x/b@1.10.0:true", "io.x/b@1.9.0:false"}
	if !slices.Equal(got, want) {
		t.Fatalf("got %q\nwant %q", got, want)
	}
	// Pages of two in the same order, and a change placed after the
	// cursor of an updated_since listing.
	var paged []string
	q := ListQuery{Limit: 2}
	for {
		p, _, err := c.List("reg", q)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range p.Entries {
			paged = append(paged, e.Name+"@"+e.Version)
		}
		if q.Cursor = p.NextCursor; q.Cursor == "" {
			break
		}
	}
	if len(paged) != 5 || !slices.IsSorted(paged) {
		t.Fatalf("paged %q", paged)
	}
	since := ListQuery{Limit: 3, UpdatedSince: t0.Add(-2 * time.Hour)}
	p1, _, _ := c.List("reg", since)
	c.Put(mcpRecord("r2", "io.x/a", "1.0.1", t0.Add(time.Minute)), 6)
	since.Cursor = p1.NextCursor
	p2, _, _ := c.List("reg", since)
	if n := len(p1.Entries) + len(p2.Entries); n != 6 || p2.Entries[len(p2.Entries)-1].Version != "1.0.1" {
		t.Fatalf("updated_since: %d entries, last %+v", n, p2.Entries[len(p2.Entries)-1])
	}
	if _, _, err := c.List("reg", ListQuery{Limit: 2, Cursor: p1.NextCursor}); err != ErrBadCursor {
		t.Errorf("a cursor of another listing: %v", err)
	}
}
