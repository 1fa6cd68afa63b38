// Package synchronize fetches the content of records that describe
// themselves: an MCP server (initialize and tools/list through the MCP
// go-sdk client, over Streamable HTTP or legacy SSE), an A2A agent card and
// a SKILL.md. It is the registry's Fetcher.
//
// Every request goes through the safehttp client (https only unless
// private URLs are allowed, non-public addresses refused after DNS and on
// each redirect, timeouts and size caps), and link-local destinations
// (cloud metadata) are refused even when private URLs are allowed. The
// errors say which step failed and what the source answered; they become
// the record's statusReason, so they never carry a credential.
package synchronize

import (
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/netip"
	"net/url"
	"strings"

	"github.com/agentry/agentry/registry"
	"github.com/agentry/agentry/safehttp"
)

// DefaultMaxToolPages bounds the pages of tools/list read from one server.
const DefaultMaxToolPages = 20

// Options configure a Fetcher.
type Options struct {
	// AllowPrivate lets sources be http and on private addresses
	// (--allow-private-urls).
	AllowPrivate bool
	// Credentials resolves the credential providers records name; nil
	// when the server has no credential-provider file.
	Credentials *Credentials
	// MaxToolPages bounds tools/list pagination; 0 = DefaultMaxToolPages.
	MaxToolPages int
}

// Fetcher fetches records' content; it implements registry.Fetcher.
type Fetcher struct {
	client   *http.Client
	creds    *Credentials
	maxPages int
}

var _ registry.Fetcher = (*Fetcher)(nil)

// New returns a Fetcher. Its connections are pooled across fetches.
func New(o Options) *Fetcher {
	if o.MaxToolPages <= 0 {
		o.MaxToolPages = DefaultMaxToolPages
	}
	base := safehttp.NewClient(o.AllowPrivate)
	base.Transport = &linkLocalGuard{base: base.Transport}
	return &Fetcher{client: base, creds: o.Credentials, maxPages: o.MaxToolPages}
}

// Fetch returns the descriptors of a record of type typ from src.
func (f *Fetcher) Fetch(ctx context.Context, typ registry.DescriptorType, src registry.FromURLSync) (registry.Descriptors, error) {
	u, err := url.Parse(src.URL)
	if err != nil || u.Host == "" {
		return registry.Descriptors{}, errors.New("the URL is not absolute")
	}
	client, err := f.clientFor(ctx, u, src.CredentialProviderConfigurations)
	if err != nil {
		return registry.Descriptors{}, err
	}
	switch typ {
	case registry.DescriptorMCP:
		return f.fetchMCP(ctx, client, u)
	case registry.DescriptorA2A:
		return fetchAgentCard(ctx, client, u)
	case registry.DescriptorAgentSkills:
		return fetchSkill(ctx, client, u)
	}
	return registry.Descriptors{}, fmt.Errorf("records of descriptorType %s cannot be synchronized", typ)
}

// clientFor returns the client for one source: the shared one, wrapped to
// authenticate requests to the source's origin when a credential provider
// is named.
func (f *Fetcher) clientFor(ctx context.Context, u *url.URL, cps []registry.CredentialProvider) (*http.Client, error) {
	if len(cps) == 0 {
		return f.client, nil
	}
	if f.creds == nil {
		return nil, errors.New("the record names a credential provider, but this server has no credential-provider file (--sync-credentials-file)")
	}
	auth, err := f.creds.authenticator(ctx, cps[0], f.client)
	if err != nil {
		return nil, err
	}
	c := *f.client
	c.Transport = &authTransport{base: f.client.Transport, origin: origin(u), auth: auth}
	return &c, nil
}

func origin(u *url.URL) string { return strings.ToLower(u.Scheme + "://" + u.Host) }

// authTransport authenticates requests to one origin only, so a redirect
// or an SSE endpoint elsewhere never receives the credential.
type authTransport struct {
	base   http.RoundTripper
	origin string
	auth   func(*http.Request) error
}

func (t *authTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if origin(req.URL) != t.origin {
		return t.base.RoundTrip(req)
	}
	req = req.Clone(req.Context())
	if err := t.auth(req); err != nil {
		return nil, err
	}
	return t.base.RoundTrip(req)
}

// linkLocalGuard refuses link-local destinations named by IP (cloud
// metadata services such as 169.254.169.254) on every request and
// redirect, even where private addresses are allowed: no MCP server or
// agent lives there. With private URLs refused, safehttp already refuses
// them, after DNS too.
type linkLocalGuard struct{ base http.RoundTripper }

func (g *linkLocalGuard) RoundTrip(req *http.Request) (*http.Response, error) {
	if ip, err := netip.ParseAddr(strings.Trim(req.URL.Hostname(), "[]")); err == nil {
		if ip = ip.Unmap(); ip.IsLinkLocalUnicast() || ip.IsLinkLocalMulticast() {
			if req.Body != nil {
				req.Body.Close()
			}
			return nil, fmt.Errorf("%w: %s is link-local", safehttp.ErrBlockedAddress, ip)
		}
	}
	return g.base.RoundTrip(req)
}

// get fetches a document whose media type is one of types (a type ending
// in "/*" matches its whole family).
func get(ctx context.Context, client *http.Client, u string, accept string, types ...string) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", accept)
	resp, err := client.Do(req)
	if err != nil {
		return nil, describe(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s answered %s", u, resp.Status)
	}
	mt, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	if !mediaTypeIn(mt, types) {
		return nil, fmt.Errorf("GET %s answered Content-Type %q, want %s", u, resp.Header.Get("Content-Type"), strings.Join(types, " or "))
	}
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, fmt.Errorf("GET %s: reading the body: %w", u, describe(err))
	}
	return body, nil
}

func mediaTypeIn(mt string, types []string) bool {
	for _, t := range types {
		if mt == t || (strings.HasSuffix(t, "/*") && strings.HasPrefix(mt, strings.TrimSuffix(t, "*"))) ||
			(t == "application/json" && strings.HasPrefix(mt, "application/") && strings.HasSuffix(mt, "+json")) {
			return true
		}
	}
	return false
}

// describe makes transport errors say what happened in the words of the
// URL policy and the limits.
func describe(err error) error {
	// The MCP client keeps the cause's text, not the error, so compare both.
	has := func(target error) bool {
		return errors.Is(err, target) || strings.Contains(err.Error(), target.Error())
	}
	switch {
	case has(safehttp.ErrResponseTooLarge):
		return fmt.Errorf("the response is larger than %d bytes", safehttp.MaxResponseBytes)
	case has(safehttp.ErrBlockedAddress), has(safehttp.ErrInsecureURL):
		return fmt.Errorf("refused by the URL policy: %w", err)
	}
	return err
}

// fetchAgentCard fetches an A2A agent card: the URL itself, or, for a base
// URL (no path), its /.well-known/agent-card.json.
func fetchAgentCard(ctx context.Context, client *http.Client, u *url.URL) (registry.Descriptors, error) {
	target := *u
	if target.Path == "" || target.Path == "/" {
		target.Path = "/.well-known/agent-card.json"
	}
	body, err := get(ctx, client, target.String(), "application/json", "application/json", "text/json")
	if err != nil {
		return registry.Descriptors{}, fmt.Errorf("fetching the agent card: %w", err)
	}
	return registry.Descriptors{A2A: &registry.A2ADescriptor{AgentCard: &registry.AgentCardDefinition{InlineContent: string(body)}}}, nil
}

// fetchSkill fetches a SKILL.md.
func fetchSkill(ctx context.Context, client *http.Client, u *url.URL) (registry.Descriptors, error) {
	body, err := get(ctx, client, u.String(), "text/markdown, text/plain;q=0.9", "text/markdown", "text/x-markdown", "text/plain")
	if err != nil {
		return registry.Descriptors{}, fmt.Errorf("fetching the SKILL.md: %w", err)
	}
	return registry.Descriptors{AgentSkills: &registry.AgentSkillsDescriptor{SkillMd: &registry.SkillMdDefinition{InlineContent: string(body)}}}, nil
}
