package mcpregistry

import (
	"cmp"
	"encoding/base64"
	"errors"
	"slices"
	"strconv"
	"strings"
	"time"
)

// ErrBadCursor is the error of a cursor this catalog did not hand out for
// the same kind of listing.
var ErrBadCursor = errors.New("the cursor is not valid for this listing; use metadata.nextCursor of the previous page unchanged, with the same filters")

// ListQuery selects a page of a registry's servers.
type ListQuery struct {
	Cursor         string
	Limit          int       // at least 1
	UpdatedSince   time.Time // zero: no filter
	Version        string    // "": every version; "latest"; or an exact version
	IncludeDeleted bool
	// Ranked, when not nil, lists the record ids a search found, best
	// first; the page follows that order.
	Ranked []string
}

// Page is one page of a listing.
type Page struct {
	Entries    []Entry
	NextCursor string // "" on the last page
}

// Three kinds of listing page in three orders, each with its own cursor:
// by (name, version, record) as the official registry does; by feed
// position when updated_since is given, so that a change made while a
// client pages comes after where it is and is returned exactly once; and
// by rank for a search.
const (
	cursorByName  = 'n'
	cursorBySeq   = 's'
	cursorByRank  = 'r'
	cursorKeySep  = "\x00"
	cursorMaxSize = 2048
)

// List returns a page of a registry's servers, and the feed position of
// the registry's last change (a version of everything a listing shows).
func (c *Catalog) List(registryID string, q ListQuery) (Page, int64, error) {
	kind := byte(cursorByName)
	switch {
	case q.Ranked != nil:
		kind = cursorByRank
	case !q.UpdatedSince.IsZero():
		kind = cursorBySeq
	}
	after, err := decodeCursor(q.Cursor, kind)
	if err != nil {
		return Page{}, 0, err
	}
	c.mu.RLock()
	defer c.mu.RUnlock()
	r := c.reg(registryID, false)
	if r == nil {
		return Page{}, 0, nil
	}
	keep := func(e *Entry) bool {
		return (q.Version == "" || (q.Version == "latest" && e.IsLatest) || (q.Version != "latest" && e.Version == q.Version)) &&
			(q.UpdatedSince.IsZero() || !e.UpdatedAt.Before(q.UpdatedSince))
	}
	var page Page
	// take fills the page from list; past its end, the cursor names the
	// last entry taken.
	take := func(list []*Entry, cursor func(*Entry) string) {
		var last *Entry
		for _, e := range list {
			if !keep(e) {
				continue
			}
			if len(page.Entries) == q.Limit {
				page.NextCursor = cursor(last)
				return
			}
			page.Entries = append(page.Entries, *e)
			last = e
		}
	}
	switch kind {
	case cursorByRank:
		start := 0
		if after != nil {
			n, err := strconv.Atoi(after[0])
			if err != nil || n < 0 || n > len(q.Ranked) {
				return Page{}, 0, ErrBadCursor
			}
			start = n
		}
		for i, id := range q.Ranked[start:] {
			e := r.byRecord[id]
			if e == nil || !keep(e) {
				continue
			}
			if len(page.Entries) == q.Limit {
				page.NextCursor = encodeCursor(cursorByRank, strconv.Itoa(start+i))
				break
			}
			page.Entries = append(page.Entries, *e)
		}
		return page, r.lastSeq, nil
	case cursorBySeq:
		list := make([]*Entry, 0, 64)
		for _, e := range r.sorted {
			if keep(e) {
				list = append(list, e)
			}
		}
		if q.IncludeDeleted {
			for _, e := range r.tombstones {
				if keep(e) {
					list = append(list, e)
				}
			}
		}
		slices.SortFunc(list, compareSeq)
		if after != nil {
			seq, err := strconv.ParseInt(after[0], 10, 64)
			if err != nil || len(after) != 2 {
				return Page{}, 0, ErrBadCursor
			}
			mark := &Entry{Seq: seq, RecordID: after[1]}
			i, found := slices.BinarySearchFunc(list, mark, compareSeq)
			if found {
				i++
			}
			list = list[i:]
		}
		take(list, func(e *Entry) string {
			return encodeCursor(cursorBySeq, strconv.FormatInt(e.Seq, 10), e.RecordID)
		})
		return page, r.lastSeq, nil
	}
	list := r.sorted
	if q.IncludeDeleted && len(r.tombstones) > 0 {
		list = slices.Concat(r.sorted, r.tombstones)
		slices.SortFunc(list, compareKey)
	}
	if after != nil {
		if len(after) != 3 {
			return Page{}, 0, ErrBadCursor
		}
		mark := &Entry{Name: after[0], Version: after[1], RecordID: after[2]}
		i, found := slices.BinarySearchFunc(list, mark, compareKey)
		if found {
			i++
		}
		list = list[i:]
	}
	take(list, func(e *Entry) string {
		return encodeCursor(cursorByName, e.Name, e.Version, e.RecordID)
	})
	return page, r.lastSeq, nil
}

func compareSeq(a, b *Entry) int {
	return cmp.Or(cmp.Compare(a.Seq, b.Seq), strings.Compare(a.RecordID, b.RecordID))
}

func encodeCursor(kind byte, parts ...string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(string(kind) + strings.Join(parts, cursorKeySep)))
}

// decodeCursor returns the parts of a cursor of the given kind; nil for no
// cursor.
func decodeCursor(s string, kind byte) ([]string, error) {
	if s == "" {
		return nil, nil
	}
	if len(s) > cursorMaxSize {
		return nil, ErrBadCursor
	}
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || len(b) == 0 || b[0] != kind {
		return nil, ErrBadCursor
	}
	return strings.Split(string(b[1:]), cursorKeySep), nil
}

// RankOffset returns where in the ranked results a search cursor
// continues (0 for none), so that the search asks for no more hits than
// the page needs.
func RankOffset(cursor string) (int, error) {
	parts, err := decodeCursor(cursor, cursorByRank)
	if err != nil || parts == nil {
		return 0, err
	}
	n, err := strconv.Atoi(parts[0])
	if err != nil || n < 0 {
		return 0, ErrBadCursor
	}
	return n, nil
}

// Versions returns the versions of a server, newest publication first.
func (c *Catalog) Versions(registryID, name string, includeDeleted bool) ([]Entry, int64) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	r := c.reg(registryID, false)
	if r == nil {
		return nil, 0
	}
	var out []Entry
	for _, e := range r.byName[name] {
		out = append(out, *e)
	}
	if includeDeleted {
		for _, e := range r.tombstones {
			if e.Name == name {
				out = append(out, *e)
			}
		}
	}
	slices.SortFunc(out, func(a, b Entry) int {
		return cmp.Or(b.PublishedAt.Compare(a.PublishedAt), strings.Compare(a.RecordID, b.RecordID))
	})
	return out, r.lastSeq
}

// Get returns one version of a server ("latest" for the latest). When two
// records hold the same version, the one changed last is served.
func (c *Catalog) Get(registryID, name, version string, includeDeleted bool) (Entry, int64, bool) {
	vs, seq := c.Versions(registryID, name, includeDeleted)
	var best *Entry
	for i := range vs {
		e := &vs[i]
		match := e.Version == version || (version == "latest" && e.IsLatest)
		if !match {
			continue
		}
		if best == nil || (best.Status == StatusDeleted && e.Status != StatusDeleted) ||
			((best.Status == StatusDeleted) == (e.Status == StatusDeleted) && e.Seq > best.Seq) {
			best = e
		}
	}
	if best == nil {
		return Entry{}, seq, false
	}
	return *best, seq, true
}
