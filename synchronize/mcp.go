package synchronize

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/agentry/agentry/descriptor"
	"github.com/agentry/agentry/registry"
)

// maxEventSize bounds one server-sent event; the response cap bounds the
// stream.
const maxEventSize = 1 << 20

// fetchMCP connects to an MCP server, initializes, pages through
// tools/list and renders the server as a server.json and its tools as a
// tools/list result. A URL whose path ends in /sse is a legacy SSE
// endpoint; any other is tried as Streamable HTTP, then as SSE.
func (f *Fetcher) fetchMCP(ctx context.Context, client *http.Client, u *url.URL) (registry.Descriptors, error) {
	sse := strings.HasSuffix(strings.TrimSuffix(u.Path, "/"), "/sse")
	var (
		cs  *mcp.ClientSession
		err error
	)
	if !sse {
		cs, err = connect(ctx, &mcp.StreamableClientTransport{Endpoint: u.String(), HTTPClient: client,
			MaxRetries: -1, DisableStandaloneSSE: true})
		if err != nil && ctx.Err() == nil {
			var sseErr error
			if cs, sseErr = connect(ctx, &mcp.SSEClientTransport{Endpoint: u.String(), HTTPClient: client, MaxEventSize: maxEventSize}); sseErr == nil {
				err, sse = nil, true
			}
		}
	} else {
		cs, err = connect(ctx, &mcp.SSEClientTransport{Endpoint: u.String(), HTTPClient: client, MaxEventSize: maxEventSize})
	}
	if err != nil {
		return registry.Descriptors{}, fmt.Errorf("MCP initialize failed: %w", describe(err))
	}
	defer cs.Close()
	init := cs.InitializeResult()
	if init == nil || init.ServerInfo == nil {
		return registry.Descriptors{}, errors.New("MCP initialize: the server sent no serverInfo")
	}

	var tools []*mcp.Tool
	if init.Capabilities != nil && init.Capabilities.Tools != nil {
		cursor, seen := "", map[string]bool{}
		for page := 1; ; page++ {
			if page > f.maxPages {
				return registry.Descriptors{}, fmt.Errorf("MCP tools/list did not end after %d pages", f.maxPages)
			}
			res, err := cs.ListTools(ctx, &mcp.ListToolsParams{Cursor: cursor})
			if err != nil {
				return registry.Descriptors{}, fmt.Errorf("MCP tools/list (page %d) failed: %w", page, describe(err))
			}
			tools = append(tools, res.Tools...)
			if res.NextCursor == "" {
				break
			}
			if seen[res.NextCursor] {
				return registry.Descriptors{}, fmt.Errorf("MCP tools/list returned the cursor of an earlier page (page %d)", page)
			}
			seen[res.NextCursor], cursor = true, res.NextCursor
		}
	}

	remote := "streamable-http"
	if sse {
		remote = "sse"
	}
	server, err := json.Marshal(serverJSON(init, u, remote))
	if err != nil {
		return registry.Descriptors{}, err
	}
	d := registry.MCPDescriptor{Server: &registry.ServerDefinition{
		SchemaVersion: descriptor.LatestMCPServerSchemaVersion, InlineContent: string(server)}}
	if tools != nil {
		list, err := json.Marshal(struct {
			Tools []*mcp.Tool `json:"tools"`
		}{tools})
		if err != nil {
			return registry.Descriptors{}, fmt.Errorf("MCP tools/list: %w", err)
		}
		if len(list) > descriptor.MaxContentBytes {
			return registry.Descriptors{}, fmt.Errorf("MCP tools/list: the %d tools take %d bytes, more than the %d a descriptor holds",
				len(tools), len(list), descriptor.MaxContentBytes)
		}
		td := &registry.ToolsDefinition{InlineContent: string(list)}
		if slices.Contains(descriptor.SupportedMCPProtocolVersions(), init.ProtocolVersion) {
			td.ProtocolVersion = init.ProtocolVersion
		}
		d.Tools = td
	}
	return registry.Descriptors{MCP: &d}, nil
}

func connect(ctx context.Context, t mcp.Transport) (*mcp.ClientSession, error) {
	c := mcp.NewClient(&mcp.Implementation{Name: "agentry-sync", Version: "1.0.0"}, nil)
	return c.Connect(ctx, t, nil)
}

// server is the part of server.json synchronization fills.
type server struct {
	Schema      string   `json:"$schema"`
	Name        string   `json:"name"`
	Title       string   `json:"title,omitempty"`
	Description string   `json:"description"`
	Version     string   `json:"version"`
	WebsiteURL  string   `json:"websiteUrl,omitempty"`
	Remotes     []remote `json:"remotes"`
}

type remote struct {
	Type string `json:"type"`
	URL  string `json:"url"`
}

var serverNamePattern = regexp.MustCompile(`^[a-zA-Z0-9.-]+/[a-zA-Z0-9._-]+$`)

func serverJSON(init *mcp.InitializeResult, u *url.URL, transport string) server {
	info := init.ServerInfo
	s := server{
		Schema:  "https://static.modelcontextprotocol.io/schemas/" + descriptor.LatestMCPServerSchemaVersion + "/server.schema.json",
		Name:    serverName(info.Name, u),
		Title:   clip(info.Title, 100),
		Version: clip(info.Version, 255),
		Remotes: []remote{{Type: transport, URL: u.String()}},
	}
	if w, err := url.Parse(info.WebsiteURL); err == nil && w.IsAbs() {
		s.WebsiteURL = info.WebsiteURL
	}
	first := func(text string) string {
		line, _, _ := strings.Cut(strings.TrimSpace(text), "\n")
		return strings.TrimSpace(line)
	}
	for _, d := range []string{info.Description, first(init.Instructions), info.Title, "MCP server " + info.Name} {
		if d = strings.TrimSpace(d); d != "" {
			s.Description = clip(d, 100)
			break
		}
	}
	return s
}

// serverName keeps a reverse-DNS name the server gives, or makes one from
// the URL's host and the server's name.
func serverName(name string, u *url.URL) string {
	if serverNamePattern.MatchString(name) && len(name) >= 3 && len(name) <= 200 {
		return name
	}
	labels := strings.Split(strings.ToLower(u.Hostname()), ".")
	if _, err := fmt.Sscan(labels[len(labels)-1], new(int)); err != nil { // a name, not an IPv4 address
		slices.Reverse(labels)
	}
	ns := strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '.' || r == '-' {
			return r
		}
		return '-'
	}, strings.Join(labels, "."))
	local := strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '_' || r == '-' {
			return r
		}
		return '-'
	}, name)
	if local == "" {
		local = "server"
	}
	return clip(ns+"/"+local, 200)
}

// clip shortens s to at most n runes.
func clip(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n])
	}
	return s
}
