package jwtauth

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/agentry/agentry/registry"
	"github.com/agentry/agentry/safehttp"
)

// DiscoverySuffix is how an OpenID Connect discoveryUrl ends; an RFC 8414
// one begins with registry.AuthorizationServerMetadataPrefix instead.
const DiscoverySuffix = registry.OpenIDDiscoverySuffix

// Defaults for the zero values of Options.
const (
	DefaultSkew               = 60 * time.Second
	DefaultMinRefreshInterval = 30 * time.Second
	DefaultJWKSRefresh        = 15 * time.Minute
	DefaultDiscoveryTTL       = time.Hour
)

// minJWKSRefresh is the floor under an IdP's Cache-Control max-age.
const minJWKSRefresh = time.Minute

// Options configures a Verifier. The zero value is usable: https only,
// public addresses only, the defaults above.
type Options struct {
	// AllowPrivate allows http and loopback/private/link-local targets for
	// discovery and JWKS fetches (--allow-private-urls).
	AllowPrivate bool
	// Skew is the clock tolerance for exp, nbf and iat: 0 means
	// DefaultSkew, a negative value means none.
	Skew time.Duration
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// HTTPClient fetches discovery documents and JWKS; nil means
	// safehttp.NewClient(AllowPrivate). The verifier still caps bodies,
	// bounds each fetch by safehttp.FetchTimeout and checks URL schemes with
	// another client, but only the safe client checks the addresses it
	// dials.
	HTTPClient *http.Client
	// Logger receives fetch failures and refreshes, never tokens; nil means
	// slog.Default().
	Logger *slog.Logger
	// MinRefreshInterval is the least time between two fetches of one JWKS
	// caused by tokens with an unknown kid (0: DefaultMinRefreshInterval).
	MinRefreshInterval time.Duration
	// JWKSRefresh is how often a JWKS is fetched again in the background
	// (0: DefaultJWKSRefresh). A Cache-Control max-age shortens it, down to
	// one minute, never lengthens it: a key the IdP withdraws stops being
	// accepted within JWKSRefresh.
	JWKSRefresh time.Duration
	// DiscoveryTTL is how long a discovery document is used before it is
	// fetched again (0: DefaultDiscoveryTTL).
	DiscoveryTTL time.Duration

	// tick is how often the background refresher wakes (tests lengthen it
	// so that only their explicit refreshDue calls refresh).
	tick time.Duration
}

// Verifier verifies bearer tokens against registries' CUSTOM_JWT
// configurations. Discovery documents and key sets are cached by URL, not by
// registry, so a configuration change takes effect on the next request and
// registries sharing an IdP share its keys. It is safe for concurrent use.
type Verifier struct {
	allowPrivate bool
	skew         time.Duration
	now          func() time.Time
	client       *http.Client
	log          *slog.Logger
	minRefresh   time.Duration
	jwksRefresh  time.Duration
	discoveryTTL time.Duration
	fetchTimeout time.Duration

	docs     *cache[*discoveryDoc]
	sets     *cache[*keySet]
	verified verifiedCache

	ctx      context.Context // canceled by Close; parent of every fetch
	cancel   context.CancelFunc
	life     sync.Mutex // guards closed and fetches.Add against Close
	closed   bool
	fetches  sync.WaitGroup
	loopDone chan struct{}
}

// discoveryDoc is what Verify uses from an OpenID Connect discovery
// document or RFC 8414 authorization server metadata (the same members).
type discoveryDoc struct {
	issuer  string
	jwksURI string
	// The endpoints of a sign-in (Endpoints); empty when the document
	// names none or names one the URL policy refuses.
	authorizationEndpoint string
	tokenEndpoint         string
}

// New returns a Verifier and starts its background refresher; Close stops
// it.
func New(opts Options) *Verifier {
	v := &Verifier{
		allowPrivate: opts.AllowPrivate,
		skew:         opts.Skew,
		now:          opts.Now,
		client:       opts.HTTPClient,
		log:          opts.Logger,
		minRefresh:   orDefault(opts.MinRefreshInterval, DefaultMinRefreshInterval),
		jwksRefresh:  orDefault(opts.JWKSRefresh, DefaultJWKSRefresh),
		discoveryTTL: orDefault(opts.DiscoveryTTL, DefaultDiscoveryTTL),
		fetchTimeout: safehttp.FetchTimeout,
		loopDone:     make(chan struct{}),
	}
	switch {
	case v.skew == 0:
		v.skew = DefaultSkew
	case v.skew < 0:
		v.skew = 0
	}
	if v.now == nil {
		v.now = time.Now
	}
	if v.client == nil {
		v.client = safehttp.NewClient(opts.AllowPrivate)
	}
	if v.log == nil {
		v.log = slog.Default()
	}
	v.docs = newCache(v, "discovery", v.fetchDiscovery)
	v.sets = newCache(v, "jwks", v.fetchJWKS)
	v.ctx, v.cancel = context.WithCancel(context.Background())
	go v.loop(orDefault(opts.tick, 15*time.Second))
	return v
}

func orDefault(d, def time.Duration) time.Duration {
	if d <= 0 {
		return def
	}
	return d
}

// Close stops the background refresher and waits for fetches in progress,
// which it cancels. Verify keeps working from the caches afterwards but
// fetches nothing.
func (v *Verifier) Close() {
	v.life.Lock()
	if v.closed {
		v.life.Unlock()
		return
	}
	v.closed = true
	v.life.Unlock()
	v.cancel()
	<-v.loopDone
	v.fetches.Wait()
}

func (v *Verifier) loop(every time.Duration) {
	defer close(v.loopDone)
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-v.ctx.Done():
			return
		case <-t.C:
			v.refreshDue()
		}
	}
}

// refreshDue starts the refreshes that are due and evicts idle entries.
func (v *Verifier) refreshDue() {
	now := v.now()
	v.docs.tick(now)
	v.sets.tick(now)
}

// Verify checks token against cfg: size, compact form, allowed algorithm,
// the signature with a key from the JWKS that cfg.DiscoveryURL names, the
// issuer, exp (required), nbf and iat, and then every check cfg configures.
// On failure the error is an *Error.
func (v *Verifier) Verify(ctx context.Context, cfg registry.CustomJWTAuthorizer, token string) (*Claims, error) {
	if token == "" {
		return nil, invalid("no token")
	}
	if len(token) > MaxTokenBytes {
		return nil, invalid("token is too large")
	}
	// A token is usually sent many times in a row; its signature is checked
	// once a minute, while its claims are checked against the registry's
	// configuration on every request. A token found among those checked
	// has a good header: it was parsed then.
	doc, discoverErr := v.discover(ctx, cfg.DiscoveryURL)
	now := v.now()
	var sum [32]byte
	if discoverErr == nil {
		sum = sha256.Sum256([]byte(doc.jwksURI + "\x00" + token))
		if claims, ok := v.verified.get(sum, now); ok {
			return checkClaims(&cfg, doc.issuer, claims, now, v.skew)
		}
	}
	h, err := parseHeader(token)
	if err != nil {
		return nil, err
	}
	if discoverErr != nil {
		return nil, discoverErr
	}
	keys, err := v.keysFor(ctx, doc.jwksURI, h)
	if err != nil {
		return nil, err
	}
	payload, ok := verifySignature(token, h, keys)
	if !ok {
		return nil, invalid("token signature is invalid")
	}
	var claims map[string]any
	if err := json.Unmarshal(payload, &claims); err != nil || claims == nil {
		return nil, invalid("token claims are malformed")
	}
	v.verified.put(sum, claims, now.Add(verifiedTTL))
	return checkClaims(&cfg, doc.issuer, claims, now, v.skew)
}

// verifiedTTL is how long a checked signature is trusted without checking
// it again: a key withdrawn from the JWKS stops working within this time.
const verifiedTTL = time.Minute

// maxVerified bounds the cache of checked signatures.
const maxVerified = 10_000

// verifiedCache remembers the decoded payloads of tokens whose signature
// was checked, keyed by a hash of the JWKS URL and the token. Decoding is
// most of what is left of a check once the signature is known good.
type verifiedCache struct {
	mu      sync.Mutex
	entries map[[32]byte]verifiedEntry
}

type verifiedEntry struct {
	claims map[string]any // shared by every request with the token: read only
	until  time.Time
}

func (c *verifiedCache) get(key [32]byte, now time.Time) (map[string]any, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[key]
	if !ok || !now.Before(e.until) {
		return nil, false
	}
	return e.claims, true
}

func (c *verifiedCache) put(key [32]byte, claims map[string]any, until time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.entries == nil || len(c.entries) >= maxVerified {
		c.entries = make(map[[32]byte]verifiedEntry) // forget all: simple, and rare
	}
	c.entries[key] = verifiedEntry{claims: claims, until: until}
}

// Issuer returns the issuer named by the discovery document at
// discoveryURL, for the protected resource metadata. The error is an *Error
// with Unavailable or Misconfigured set.
func (v *Verifier) Issuer(ctx context.Context, discoveryURL string) (string, error) {
	doc, err := v.discover(ctx, discoveryURL)
	if err != nil {
		return "", err
	}
	return doc.issuer, nil
}

// Endpoints are where a client sends a person to sign in (authorization
// code with PKCE) and where it exchanges the code for tokens.
type Endpoints struct {
	Issuer        string
	Authorization string
	Token         string
	// OpenID is set when the discovery URL is OpenID Connect discovery:
	// the client may ask for the openid scope and gets an ID token.
	OpenID bool
}

// Endpoints returns the sign-in endpoints named by the discovery document
// at discoveryURL. Both must be present and pass the URL policy (https,
// and public addresses unless Options.AllowPrivate): the error is an
// *Error with Misconfigured set when they do not, Unavailable when the
// document cannot be fetched for now.
func (v *Verifier) Endpoints(ctx context.Context, discoveryURL string) (Endpoints, error) {
	doc, err := v.discover(ctx, discoveryURL)
	if err != nil {
		return Endpoints{}, err
	}
	e := Endpoints{Issuer: doc.issuer, Authorization: doc.authorizationEndpoint, Token: doc.tokenEndpoint,
		OpenID: strings.HasSuffix(discoveryURL, DiscoverySuffix)}
	for _, s := range []string{e.Authorization, e.Token} {
		u, err := url.Parse(s)
		if s == "" || err != nil {
			return Endpoints{}, misconfigured("the identity provider's discovery document names no authorization_endpoint or token_endpoint", nil)
		}
		if err := safehttp.CheckURL(u, v.allowPrivate); err != nil {
			return Endpoints{}, misconfigured("the identity provider's authorization_endpoint or token_endpoint is refused by the URL policy", err)
		}
	}
	return e, nil
}

func (v *Verifier) discover(ctx context.Context, discoveryURL string) (*discoveryDoc, error) {
	if err := v.checkDiscoveryURL(discoveryURL); err != nil {
		return nil, misconfigured(descRefusedURL, err)
	}
	doc, err := v.docs.get(ctx, discoveryURL)
	if err != nil {
		return nil, fetchFailed(err, "the identity provider could not be reached", descBadDiscovery)
	}
	return doc, nil
}

func (v *Verifier) checkDiscoveryURL(s string) error {
	u, err := url.Parse(s)
	if err != nil {
		return fmt.Errorf("%w: discovery URL does not parse", safehttp.ErrInsecureURL)
	}
	if err := safehttp.CheckURL(u, v.allowPrivate); err != nil {
		return err
	}
	if !registry.IsDiscoveryPath(u.Path) || u.RawQuery != "" || u.Fragment != "" {
		return fmt.Errorf("%w: discovery URL must end with %s or begin with %s",
			safehttp.ErrInsecureURL, DiscoverySuffix, registry.AuthorizationServerMetadataPrefix)
	}
	return nil
}

// keysFor returns the keys that may verify a token with header h.
func (v *Verifier) keysFor(ctx context.Context, jwksURI string, h header) ([]*publicKey, error) {
	set, err := v.sets.get(ctx, jwksURI)
	if err != nil {
		return nil, fetchFailed(err, "the identity provider's keys could not be obtained", descBadJWKS)
	}
	fit, known := set.candidates(h)
	if !known {
		// The IdP may have rotated to a key we have not seen yet. Refresh at
		// most once per minRefresh per JWKS, so that tokens with random kids
		// cannot make us hammer the IdP. While the IdP fails, an unknown kid
		// cannot be judged.
		set, err = v.sets.refresh(ctx, jwksURI, v.minRefresh)
		if err != nil {
			return nil, fetchFailed(err, "the identity provider's keys could not be obtained", descBadJWKS)
		}
		if fit, known = set.candidates(h); !known {
			return nil, invalid("token signing key is unknown")
		}
	}
	if len(fit) == 0 {
		return nil, invalid("token signing key does not fit its algorithm")
	}
	return fit, nil
}

func (v *Verifier) fetchDiscovery(ctx context.Context, discoveryURL string) (*discoveryDoc, time.Duration, error) {
	body, _, err := v.fetchURL(ctx, discoveryURL)
	if err != nil {
		return nil, 0, err
	}
	var d struct {
		Issuer                any `json:"issuer"`
		JWKSURI               any `json:"jwks_uri"`
		AuthorizationEndpoint any `json:"authorization_endpoint"`
		TokenEndpoint         any `json:"token_endpoint"`
	}
	if err := json.Unmarshal(body, &d); err != nil {
		return nil, 0, fmt.Errorf("%w: discovery document is not valid JSON: %w", errUnusable, err)
	}
	iss, _ := d.Issuer.(string)
	jwks, _ := d.JWKSURI.(string)
	if iss == "" || jwks == "" {
		return nil, 0, fmt.Errorf("%w: discovery document lacks issuer or jwks_uri", errUnusable)
	}
	u, err := url.Parse(jwks)
	if err != nil {
		return nil, 0, fmt.Errorf("%w: discovery document's jwks_uri does not parse", errUnusable)
	}
	if err := safehttp.CheckURL(u, v.allowPrivate); err != nil {
		return nil, 0, fmt.Errorf("discovery document's jwks_uri: %w", err)
	}
	// The issuer is not required to equal the discovery URL's prefix (OIDC
	// Discovery 4.3): the administrator chose this URL, and IdPs such as
	// Entra ID's multi-tenant endpoints break that rule.
	doc := &discoveryDoc{issuer: iss, jwksURI: jwks}
	doc.authorizationEndpoint, _ = d.AuthorizationEndpoint.(string)
	doc.tokenEndpoint, _ = d.TokenEndpoint.(string)
	return doc, v.discoveryTTL, nil
}

func (v *Verifier) fetchJWKS(ctx context.Context, jwksURI string) (*keySet, time.Duration, error) {
	body, hdr, err := v.fetchURL(ctx, jwksURI)
	if err != nil {
		return nil, 0, err
	}
	set, skipped, err := parseJWKS(body)
	if err != nil {
		return nil, 0, fmt.Errorf("%w: %w", errUnusable, err)
	}
	if skipped > 0 {
		v.log.Debug("jwtauth: skipped unusable JWKS keys", "url", jwksURI, "skipped", skipped, "kept", len(set.keys))
	}
	return set, v.jwksTTL(hdr), nil
}

// jwksTTL honours Cache-Control max-age between one minute and JWKSRefresh.
func (v *Verifier) jwksTTL(h http.Header) time.Duration {
	age, ok := maxAge(h.Get("Cache-Control"))
	if !ok {
		return v.jwksRefresh
	}
	return min(v.jwksRefresh, max(age, min(minJWKSRefresh, v.jwksRefresh)))
}

// maxAge reads the shortest lifetime a Cache-Control value allows; no-cache
// and no-store count as zero.
func maxAge(cc string) (time.Duration, bool) {
	age, found := time.Duration(1<<63-1), false
	for _, d := range strings.Split(cc, ",") {
		d = strings.ToLower(strings.TrimSpace(d))
		switch {
		case d == "no-cache" || d == "no-store":
			age, found = 0, true
		case strings.HasPrefix(d, "max-age="):
			n, err := strconv.ParseInt(strings.Trim(d[len("max-age="):], `"`), 10, 64)
			if err == nil && n >= 0 {
				age, found = min(age, time.Duration(min(n, 1<<32))*time.Second), true
			}
		}
	}
	return age, found
}

// fetchURL GETs a JSON document with the verifier's limits.
func (v *Verifier) fetchURL(ctx context.Context, rawURL string) ([]byte, http.Header, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: does not parse", safehttp.ErrInsecureURL)
	}
	if err := safehttp.CheckURL(u, v.allowPrivate); err != nil {
		return nil, nil, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, nil, err
	}
	req.Header.Set("Accept", "application/json")
	resp, err := v.client.Do(req)
	if err != nil {
		return nil, nil, err
	}
	defer resp.Body.Close()
	switch code := resp.StatusCode; {
	case code == http.StatusOK:
	case code >= 400 && code < 500 && code != http.StatusRequestTimeout && code != http.StatusTooManyRequests:
		// The URL is wrong (or needs credentials we do not have): asking
		// again will not help.
		return nil, nil, fmt.Errorf("%w: GET %s: status %d", errUnusable, u.Redacted(), code)
	default:
		return nil, nil, fmt.Errorf("GET %s: status %d", u.Redacted(), code)
	}
	body, err := readCapped(resp.Body, safehttp.MaxResponseBytes)
	if err != nil {
		return nil, nil, fmt.Errorf("GET %s: %w", u.Redacted(), err)
	}
	return body, resp.Header, nil
}

// readCapped reads at most limit bytes of r, failing when there are more.
// The verifier uses it even with the safe client, because Options may
// supply another client.
func readCapped(r io.Reader, limit int64) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > limit {
		return nil, safehttp.ErrResponseTooLarge
	}
	return b, nil
}
