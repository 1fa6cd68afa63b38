// Package importer fills an agentry registry from elsewhere, through the
// public API as any client would: another MCP Registry v0.1 registry (the
// official one or any sub-registry), server.json files, the official
// registry's seed.json (current and 2025-05 shapes), A2A agent cards and
// SKILL.md files. It converts older documents where the meaning is clear
// and says what it converted, skips with a reason what it cannot, and is
// idempotent: each record's name and clientToken derive from its source
// and version, and a record whose content is already there is left alone.
package importer

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// Kind is what an item describes.
type Kind string

const (
	KindMCP   Kind = "MCP"
	KindA2A   Kind = "A2A"
	KindSkill Kind = "AGENT_SKILLS"
)

// Item is one record to import.
type Item struct {
	Source      string // where it came from: a file path or a URL
	Kind        Kind
	Name        string // the server, agent or skill name
	Version     string // "" when the document has none
	Description string // the record's description, whole
	Content     string // the descriptor document
	Conversions []string
	Skip        string    // why the item cannot be imported; "" when it can
	UpdatedAt   time.Time // the source registry's updatedAt, for incremental imports
}

// RecordName is the agentry record name of an item: its name and
// version, with characters record names do not allow replaced.
func (it *Item) RecordName() string {
	n := it.Name
	if it.Version != "" {
		n += "/" + it.Version
	}
	n = badRecordChars.ReplaceAllString(n, "_")
	n = strings.TrimLeft(n, "_-./")
	if len(n) > 255 {
		n = n[:255]
	}
	return n
}

var badRecordChars = regexp.MustCompile(`[^a-zA-Z0-9_\-./]`)

// maxServerDescription is server.json's limit on descriptions.
const maxServerDescription = 100

// ReadFile reads a file or, recursively, a directory: *.json files
// (server.json, a seed.json array, a v0.1 list answer, an A2A agent card)
// and SKILL.md files.
func ReadFile(path string) ([]Item, error) {
	info, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if !info.IsDir() {
		return readOne(path)
	}
	var items []Item
	err = filepath.WalkDir(path, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() || !(strings.HasSuffix(p, ".json") || filepath.Base(p) == "SKILL.md") {
			return nil
		}
		more, err := readOne(p)
		items = append(items, more...)
		return err
	})
	return items, err
}

// maxFileBytes bounds one input file (the official seed is a few MB).
const maxFileBytes = 64 << 20

func readOne(path string) ([]Item, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxFileBytes+1))
	if err != nil {
		return nil, err
	}
	if len(b) > maxFileBytes {
		return nil, fmt.Errorf("%s: larger than %d MiB", path, maxFileBytes>>20)
	}
	if filepath.Base(path) == "SKILL.md" {
		return []Item{skillItem(path, string(b))}, nil
	}
	return parseJSON(path, b)
}

// parseJSON recognises a JSON document's shape.
func parseJSON(source string, b []byte) ([]Item, error) {
	b = bytes.TrimSpace(b)
	if len(b) > 0 && b[0] == '[' {
		var docs []json.RawMessage
		if err := json.Unmarshal(b, &docs); err != nil {
			return nil, fmt.Errorf("%s: %w", source, err)
		}
		items := make([]Item, 0, len(docs))
		for i, d := range docs {
			items = append(items, serverItem(fmt.Sprintf("%s[%d]", source, i), d, time.Time{}))
		}
		return items, nil
	}
	var probe map[string]json.RawMessage
	if err := json.Unmarshal(b, &probe); err != nil {
		return nil, fmt.Errorf("%s: %w", source, err)
	}
	if servers, ok := probe["servers"]; ok {
		items, _, err := listItems(source, servers)
		return items, err
	}
	if _, ok := probe["skills"]; ok {
		if _, mcp := probe["packages"]; !mcp {
			return []Item{cardItem(source, b)}, nil
		}
	}
	return []Item{serverItem(source, b, time.Time{})}, nil
}

// listItems reads the servers of a v0.1 list answer, and the latest
// updatedAt among them.
func listItems(source string, raw json.RawMessage) ([]Item, time.Time, error) {
	var servers []struct {
		Server json.RawMessage `json:"server"`
		Meta   struct {
			Official *struct {
				Status    string    `json:"status"`
				UpdatedAt time.Time `json:"updatedAt"`
			} `json:"io.modelcontextprotocol.registry/official"`
		} `json:"_meta"`
	}
	if err := json.Unmarshal(raw, &servers); err != nil {
		return nil, time.Time{}, fmt.Errorf("%s: servers: %w", source, err)
	}
	var items []Item
	var latest time.Time
	for i, s := range servers {
		var updated time.Time
		if o := s.Meta.Official; o != nil {
			updated = o.UpdatedAt
			if updated.After(latest) {
				latest = updated
			}
			if o.Status == "deleted" {
				continue
			}
		}
		items = append(items, serverItem(fmt.Sprintf("%s#%d", source, i), s.Server, updated))
	}
	return items, latest, nil
}

// serverItem converts a server.json in the current shape or the 2025-05
// seed shape.
func serverItem(source string, raw []byte, updated time.Time) Item {
	it := Item{Source: source, Kind: KindMCP, UpdatedAt: updated}
	var doc map[string]any
	if err := json.Unmarshal(raw, &doc); err != nil {
		it.Skip = "not a JSON object: " + err.Error()
		return it
	}
	name, _ := doc["name"].(string)
	it.Name = name
	if name == "" {
		it.Skip = "the server has no name"
		return it
	}
	delete(doc, "id") // the seed's own id, not a server.json member
	if vd, ok := doc["version_detail"].(map[string]any); ok {
		if v, ok := vd["version"].(string); ok {
			doc["version"] = v
			it.Conversions = append(it.Conversions, "version_detail.version -> version")
		}
		delete(doc, "version_detail")
	}
	version, _ := doc["version"].(string)
	if version == "" {
		it.Skip = "the server has no version"
		return it
	}
	it.Version = version
	convertList(doc, "packages", &it, convertPackage)
	convertList(doc, "remotes", &it, convertRemote)
	if r, ok := doc["repository"].(map[string]any); ok {
		if u, _ := r["url"].(string); u == "" {
			delete(doc, "repository")
			it.Conversions = append(it.Conversions, "empty repository dropped")
		}
	}
	desc, _ := doc["description"].(string)
	desc = strings.TrimSpace(desc)
	if desc == "" {
		desc = "MCP server " + name
		it.Conversions = append(it.Conversions, "empty description -> \""+desc+"\"")
	}
	it.Description = desc
	if short := cutAtWord(desc, maxServerDescription); short != desc {
		it.Conversions = append(it.Conversions, fmt.Sprintf("description of %d characters cut to %d in server.json (kept whole in the record)", len([]rune(desc)), len([]rune(short))))
		desc = short
	}
	doc["description"] = desc
	if _, ok := doc["$schema"]; !ok {
		doc["$schema"] = "https://static.modelcontextprotocol.io/schemas/2025-12-11/server.schema.json"
	}
	b, err := json.Marshal(doc) // keys sorted: the same input gives the same bytes
	if err != nil {
		it.Skip = err.Error()
		return it
	}
	it.Content = string(b)
	return it
}

func convertList(doc map[string]any, key string, it *Item, f func(map[string]any, *Item)) {
	list, ok := doc[key].([]any)
	if !ok {
		return
	}
	for _, p := range list {
		if m, ok := p.(map[string]any); ok {
			f(m, it)
		}
	}
}

// convertPackage turns a 2025-05 package (registry_name, name,
// snake_case members) into the current shape.
func convertPackage(p map[string]any, it *Item) {
	if rn, ok := p["registry_name"]; ok {
		if _, has := p["registryType"]; !has {
			p["registryType"] = rn
		}
		delete(p, "registry_name")
		it.note("registry_name -> registryType")
	}
	if n, ok := p["name"]; ok {
		if _, has := p["identifier"]; !has {
			p["identifier"] = n
			delete(p, "name")
			it.note("package name -> identifier")
		}
	}
	if v, _ := p["version"].(string); v == "latest" || v == "" {
		if _, ok := p["version"]; ok {
			delete(p, "version")
			it.note("package version \"latest\" dropped (optional)")
		}
	}
	camelKeys(p, it)
	if _, ok := p["transport"]; !ok {
		p["transport"] = map[string]any{"type": "stdio"}
		it.note("package transport -> stdio")
	}
}

func convertRemote(r map[string]any, it *Item) {
	if t, ok := r["transport_type"]; ok {
		r["type"] = t
		delete(r, "transport_type")
		it.note("transport_type -> type")
	}
	camelKeys(r, it)
	if t, _ := r["type"].(string); t == "" {
		u, _ := r["url"].(string)
		t = "streamable-http"
		if strings.HasSuffix(strings.SplitN(u, "?", 2)[0], "/sse") {
			t = "sse"
		}
		r["type"] = t
		it.note("empty remote type -> " + t + " (from its URL)")
	}
}

// camelKeys renames snake_case members, recursively, as the 2025-09
// schema renamed them (environment_variables -> environmentVariables).
func camelKeys(m map[string]any, it *Item) {
	for k, v := range m {
		switch x := v.(type) {
		case map[string]any:
			camelKeys(x, it)
		case []any:
			for _, e := range x {
				if em, ok := e.(map[string]any); ok {
					camelKeys(em, it)
				}
			}
		}
		if strings.Contains(k, "_") {
			c := camel(k)
			if _, has := m[c]; !has {
				m[c] = v
			}
			delete(m, k)
			it.note(k + " -> " + c)
		}
	}
}

func camel(s string) string {
	parts := strings.Split(s, "_")
	for i := 1; i < len(parts); i++ {
		if parts[i] != "" {
			parts[i] = strings.ToUpper(parts[i][:1]) + parts[i][1:]
		}
	}
	return strings.Join(parts, "")
}

// note records a conversion once per item.
func (it *Item) note(c string) {
	for _, have := range it.Conversions {
		if have == c {
			return
		}
	}
	it.Conversions = append(it.Conversions, c)
}

// cutAtWord shortens s to at most n characters at a word boundary, with
// an ellipsis.
func cutAtWord(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	cut := string(r[:n-1])
	if i := strings.LastIndexAny(cut, " \t\n"); i > n/2 {
		cut = cut[:i]
	}
	return strings.TrimRight(cut, " ,.;:-") + "…"
}

func cardItem(source string, raw []byte) Item {
	it := Item{Source: source, Kind: KindA2A, Content: string(raw)}
	var card struct{ Name, Description, Version string }
	if err := json.Unmarshal(raw, &card); err != nil || card.Name == "" {
		it.Skip = "the agent card has no name"
		return it
	}
	it.Name, it.Version, it.Description = card.Name, card.Version, strings.TrimSpace(card.Description)
	return it
}

func skillItem(source, content string) Item {
	it := Item{Source: source, Kind: KindSkill, Content: content}
	rest, ok := strings.CutPrefix(strings.TrimLeft(content, "\ufeff"), "---")
	front, _, closed := strings.Cut(rest, "\n---")
	if !ok || !closed {
		it.Skip = "SKILL.md has no front matter"
		return it
	}
	var meta struct {
		Name        string `yaml:"name"`
		Description string `yaml:"description"`
	}
	if err := yaml.Unmarshal([]byte(front), &meta); err != nil {
		it.Skip = "SKILL.md front matter: " + err.Error()
		return it
	}
	it.Name, it.Description = strings.TrimSpace(meta.Name), strings.TrimSpace(meta.Description)
	if it.Name == "" {
		it.Skip = "SKILL.md names no skill"
	}
	return it
}

// ReadRegistry reads every server of a v0.1 registry at base (the URL
// clients append /v0.1/servers to), following cursors; with since, only
// those updated at or after it. It returns the latest updatedAt seen, the
// position to resume from next time.
func ReadRegistry(ctx context.Context, client *http.Client, base string, since time.Time) ([]Item, time.Time, error) {
	base = strings.TrimSuffix(base, "/")
	var items []Item
	latest := since
	cursor := ""
	for page := 0; ; page++ {
		q := url.Values{"limit": {"100"}}
		if cursor != "" {
			q.Set("cursor", cursor)
		}
		if !since.IsZero() {
			q.Set("updated_since", since.UTC().Format(time.RFC3339Nano))
		}
		u := base + "/v0.1/servers?" + q.Encode()
		req, err := http.NewRequestWithContext(ctx, "GET", u, nil)
		if err != nil {
			return nil, since, err
		}
		req.Header.Set("Accept", "application/json")
		resp, err := client.Do(req)
		if err != nil {
			return nil, since, err
		}
		b, err := io.ReadAll(io.LimitReader(resp.Body, maxFileBytes))
		resp.Body.Close()
		if err != nil {
			return nil, since, err
		}
		if resp.StatusCode != http.StatusOK {
			return nil, since, fmt.Errorf("GET %s: %s: %s", u, resp.Status, truncate(string(b), 200))
		}
		var list struct {
			Servers  json.RawMessage `json:"servers"`
			Metadata struct {
				NextCursor string `json:"nextCursor"`
			} `json:"metadata"`
		}
		if err := json.Unmarshal(b, &list); err != nil {
			return nil, since, fmt.Errorf("GET %s: %w", u, err)
		}
		more, last, err := listItems(base, list.Servers)
		if err != nil {
			return nil, since, err
		}
		items = append(items, more...)
		if last.After(latest) {
			latest = last
		}
		if list.Metadata.NextCursor == "" || list.Metadata.NextCursor == cursor {
			break
		}
		cursor = list.Metadata.NextCursor
	}
	sort.SliceStable(items, func(i, j int) bool { return items[i].RecordName() < items[j].RecordName() })
	return items, latest, nil
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n] + "..."
	}
	return s
}
