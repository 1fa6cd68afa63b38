// Package mcpregistry keeps the MCP Registry v0.1 view of every registry:
// its MCP records as server.json documents with the registry metadata
// (status, publication times, isLatest) that IDEs read through the v0.1
// REST API.
//
// The catalog is fed by the search follower (search.RecordSink) in feed
// order, so it is current on a replica exactly when search is. Each
// document is encoded once, when its revision changes, and kept as bytes:
// a listing is a binary search and a copy of up to a hundred slices, never
// a decode. Entries are kept in (name, version, record) order for the
// name-ordered listing, and each carries the feed position of its last
// change, so that an incremental listing (updated_since) can page in
// change order and return each change exactly once.
package mcpregistry

import (
	"bytes"
	"encoding/json"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/agentry/agentry/registry"
)

// SchemaURL is the server.json schema a served document names when its
// own has no "$schema".
const SchemaURL = "https://static.modelcontextprotocol.io/schemas/2025-12-11/server.schema.json"

// Statuses of the v0.1 API.
const (
	StatusActive     = "active"
	StatusDeprecated = "deprecated"
	StatusDeleted    = "deleted"
)

// maxTombstones bounds the deleted entries a registry remembers for
// include_deleted and updated_since; the oldest go first.
const maxTombstones = 10000

// Entry is one server version as the v0.1 API serves it. Its byte slices
// are never changed once built, so an Entry may be copied out of the
// catalog and encoded without a lock.
type Entry struct {
	RecordID    string
	Name        string // the server.json name
	Version     string // the server.json version
	Status      string
	PublishedAt time.Time // the record's creation
	UpdatedAt   time.Time
	Seq         int64 // feed position of the entry's last change
	IsLatest    bool

	server []byte // the server.json document, compact
	meta   []byte // the "_meta" object up to the value of isLatest
}

// Catalog holds the v0.1 view of every registry. It is safe for
// concurrent use.
type Catalog struct {
	mu   sync.RWMutex
	regs map[string]*regCatalog
	now  func() time.Time
}

type regCatalog struct {
	byRecord   map[string]*Entry
	byName     map[string][]*Entry // live entries (active, deprecated) per server name
	sorted     []*Entry            // live entries by (name, version, record)
	tombstones []*Entry            // deleted entries, oldest first
	lastSeq    int64               // the last change applied
}

// New returns an empty catalog.
func New() *Catalog {
	return &Catalog{regs: map[string]*regCatalog{}, now: time.Now}
}

func (c *Catalog) reg(id string, create bool) *regCatalog {
	r := c.regs[id]
	if r == nil && create {
		r = &regCatalog{byRecord: map[string]*Entry{}, byName: map[string][]*Entry{}}
		c.regs[id] = r
	}
	return r
}

// Load adds records read at start-up, as of feed position seq. It is
// called a page of records at a time: each page is sorted and merged in,
// so that loading n records costs n log n, not a sort per page.
func (c *Catalog) Load(recs []registry.Record, seq int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	batches := map[*regCatalog][]*Entry{}
	for _, rec := range recs {
		e := entryOf(rec, seq)
		if e == nil {
			continue
		}
		r := c.reg(rec.RegistryID, true)
		if old := r.byRecord[rec.ID]; old != nil {
			r.unlink(old)
		}
		r.byRecord[rec.ID] = e
		r.byName[e.Name] = append(r.byName[e.Name], e)
		r.lastSeq = max(r.lastSeq, seq)
		batches[r] = append(batches[r], e)
	}
	for r, batch := range batches {
		slices.SortFunc(batch, compareKey)
		r.sorted = mergeSorted(r.sorted, batch)
		for i, e := range batch {
			if i == 0 || batch[i-1].Name != e.Name {
				r.refreshLatest(e.Name)
			}
		}
	}
}

// mergeSorted merges two slices sorted by compareKey.
func mergeSorted(a, b []*Entry) []*Entry {
	if len(a) == 0 {
		return b
	}
	out := make([]*Entry, 0, len(a)+len(b))
	i, j := 0, 0
	for i < len(a) && j < len(b) {
		if compareKey(a[i], b[j]) <= 0 {
			out = append(out, a[i])
			i++
		} else {
			out = append(out, b[j])
			j++
		}
	}
	out = append(out, a[i:]...)
	return append(out, b[j:]...)
}

// Put applies a change of a record at feed position seq.
func (c *Catalog) Put(rec registry.Record, seq int64) {
	e := entryOf(rec, seq)
	c.mu.Lock()
	defer c.mu.Unlock()
	r := c.reg(rec.RegistryID, e != nil)
	if r == nil {
		return
	}
	r.lastSeq = max(r.lastSeq, seq)
	old := r.byRecord[rec.ID]
	if e == nil {
		if old != nil {
			r.remove(old, seq, c.now())
		}
		return
	}
	if old != nil {
		if old.sameAs(e) {
			return
		}
		r.unlink(old)
	}
	r.byRecord[rec.ID] = e
	r.byName[e.Name] = append(r.byName[e.Name], e)
	i, _ := slices.BinarySearchFunc(r.sorted, e, compareKey)
	r.sorted = slices.Insert(r.sorted, i, e)
	r.refreshLatest(e.Name)
	if old != nil && old.Name != e.Name {
		r.refreshLatest(old.Name)
	}
}

// Remove applies the deletion of a record at feed position seq.
func (c *Catalog) Remove(registryID, recordID string, seq int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	r := c.reg(registryID, false)
	if r == nil {
		return
	}
	r.lastSeq = max(r.lastSeq, seq)
	if old := r.byRecord[recordID]; old != nil {
		r.remove(old, seq, c.now())
	}
}

// RemoveRegistry forgets a deleted registry.
func (c *Catalog) RemoveRegistry(registryID string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.regs, registryID)
}

// remove turns a live entry into a tombstone.
func (r *regCatalog) remove(old *Entry, seq int64, now time.Time) {
	r.unlink(old)
	t := *old
	t.Status, t.UpdatedAt, t.Seq, t.IsLatest = StatusDeleted, now, seq, false
	t.meta = encodeMeta(&t)
	r.tombstones = append(r.tombstones, &t)
	if len(r.tombstones) > maxTombstones {
		r.tombstones = slices.Delete(r.tombstones, 0, len(r.tombstones)-maxTombstones)
	}
	r.refreshLatest(old.Name)
}

// unlink takes a live entry out of the indexes.
func (r *regCatalog) unlink(old *Entry) {
	delete(r.byRecord, old.RecordID)
	if i, ok := slices.BinarySearchFunc(r.sorted, old, compareKey); ok {
		r.sorted = slices.Delete(r.sorted, i, i+1)
	}
	vs := r.byName[old.Name]
	if i := slices.Index(vs, old); i >= 0 {
		vs = slices.Delete(vs, i, i+1)
	}
	if len(vs) == 0 {
		delete(r.byName, old.Name)
	} else {
		r.byName[old.Name] = vs
	}
}

// refreshLatest marks the latest version of a server name.
func (r *regCatalog) refreshLatest(name string) {
	vs := r.byName[name]
	var best *Entry
	for _, e := range vs {
		if best == nil || newer(e, best) {
			best = e
		}
	}
	for _, e := range vs {
		e.IsLatest = e == best
	}
}

// newer reports whether a is a later version than b: by semantic version
// when both are one, else by publication.
func newer(a, b *Entry) bool {
	if c, ok := compareSemver(a.Version, b.Version); ok && c != 0 {
		return c > 0
	}
	if !a.PublishedAt.Equal(b.PublishedAt) {
		return a.PublishedAt.After(b.PublishedAt)
	}
	return a.RecordID > b.RecordID
}

func compareKey(a, b *Entry) int {
	if c := strings.Compare(a.Name, b.Name); c != 0 {
		return c
	}
	if c := strings.Compare(a.Version, b.Version); c != 0 {
		return c
	}
	return strings.Compare(a.RecordID, b.RecordID)
}

func (e *Entry) sameAs(o *Entry) bool {
	return e.Name == o.Name && e.Version == o.Version && e.Status == o.Status &&
		e.PublishedAt.Equal(o.PublishedAt) && e.UpdatedAt.Equal(o.UpdatedAt) && bytes.Equal(e.server, o.server)
}

// entryOf returns the entry a record is served as, or nil when it is not
// served: not an MCP record, never approved, or a server.json without a
// name and version (the 2025-07-09 shape, which v0.1 clients do not read).
// A deprecated record is served as deprecated, with its last content.
func entryOf(rec registry.Record, seq int64) *Entry {
	rev, status := rec.Approved, StatusActive
	if rec.Latest.Status == registry.StatusDeprecated {
		rev, status = &rec.Latest, StatusDeprecated
	}
	if rev == nil || rev.DescriptorType != registry.DescriptorMCP || rev.Descriptors.MCP == nil || rev.Descriptors.MCP.Server == nil {
		return nil
	}
	doc, name, version, ok := serverDocument(rev.Descriptors.MCP.Server.InlineContent)
	if !ok {
		return nil
	}
	e := &Entry{RecordID: rec.ID, Name: name, Version: version, Status: status, PublishedAt: rec.CreatedAt,
		UpdatedAt: rec.Latest.UpdatedAt, Seq: seq, server: doc}
	if status == StatusActive {
		e.UpdatedAt = rev.UpdatedAt
	}
	e.meta = encodeMeta(e)
	return e
}

// serverDocument returns the compact server.json a record holds, with a
// "$schema" added when it has none, and its name and version.
func serverDocument(content string) (doc []byte, name, version string, ok bool) {
	var head struct {
		Schema  *string `json:"$schema"`
		Name    string  `json:"name"`
		Version string  `json:"version"`
	}
	if json.Unmarshal([]byte(content), &head) != nil || head.Name == "" || head.Version == "" {
		return nil, "", "", false
	}
	var buf bytes.Buffer
	if json.Compact(&buf, []byte(content)) != nil {
		return nil, "", "", false
	}
	doc = buf.Bytes()
	if head.Schema == nil && len(doc) > 2 {
		doc = slices.Concat([]byte(`{"$schema":"`+SchemaURL+`",`), doc[1:])
	}
	return doc, head.Name, head.Version, true
}

// encodeMeta encodes an entry's "_meta" object up to the value of
// isLatest, which AppendJSON adds: it changes when another version of the
// server comes or goes, without a change of the entry.
func encodeMeta(e *Entry) []byte {
	b := []byte(`{"io.modelcontextprotocol.registry/official":{"status":`)
	b = strconv.AppendQuote(b, e.Status)
	for _, t := range []struct {
		name string
		at   time.Time
	}{{"statusChangedAt", e.UpdatedAt}, {"publishedAt", e.PublishedAt}, {"updatedAt", e.UpdatedAt}} {
		b = append(b, `,"`+t.name+`":"`...)
		b = t.at.UTC().AppendFormat(b, time.RFC3339Nano)
		b = append(b, '"')
	}
	return append(b, `,"isLatest":`...)
}

// AppendJSON appends the entry as a v0.1 ServerResponse.
func (e *Entry) AppendJSON(b []byte) []byte {
	b = append(b, `{"server":`...)
	b = append(b, e.server...)
	b = append(b, `,"_meta":`...)
	b = append(b, e.meta...)
	if e.IsLatest {
		b = append(b, "true}}}"...)
	} else {
		b = append(b, "false}}}"...)
	}
	return b
}

// Size is about the length of AppendJSON's output.
func (e *Entry) Size() int { return len(e.server) + len(e.meta) + 32 }
