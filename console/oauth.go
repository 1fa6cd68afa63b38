package console

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"html/template"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/agentry/agentry/jwtauth"
	"github.com/agentry/agentry/registry"
)

// Sign-in with the identity provider of a CUSTOM_JWT registry: the
// authorization code flow with PKCE (S256), state and, with OpenID
// Connect, a nonce. The console is a public client; the access token it
// receives is verified exactly as the registry's search API and MCP
// endpoint verify a bearer token, and the session it starts may do what
// such a token may do there: search that registry (and see its connect
// page), nothing else.

// JWTVerifier verifies bearer tokens against a registry's authorizer and
// finds an identity provider's endpoints (*jwtauth.Verifier, the one the
// API uses).
type JWTVerifier interface {
	Verify(ctx context.Context, cfg registry.CustomJWTAuthorizer, token string) (*jwtauth.Claims, error)
	Endpoints(ctx context.Context, discoveryURL string) (jwtauth.Endpoints, error)
}

// jwtGrant is what a session signed in with an identity provider holds:
// the registry it was for and the access token, verified again on every
// request so that an expired token, or a changed authorizer, ends it.
type jwtGrant struct {
	registryID string
	token      string
	subject    string
	issuer     string
}

// jwtOperations are the API operations a token of a CUSTOM_JWT registry
// is accepted for: its search (SearchRegistryRecords, the MCP endpoint)
// and, for the console's connect page, reading the registry.
var jwtOperations = map[string]bool{"SearchRegistryRecords": true, "GetRegistry": true}

const (
	// oauthCookie binds a sign-in's state to the browser that started
	// it. SameSite=Lax, as the identity provider's redirect back is a
	// cross-site navigation.
	oauthCookie  = "agentry_console_oauth"
	oauthPath    = Prefix + "oauth/"
	oauthTimeout = 10 * time.Minute
	// maxTokenAnswer bounds a token endpoint's answer.
	maxTokenAnswer = 1 << 20
)

// pendingSignIn is a sign-in sent to the identity provider and not yet
// back.
type pendingSignIn struct {
	registryID   string
	resource     string
	discoveryURL string
	clientID     string
	tokenURL     string
	verifier     string // PKCE code_verifier
	nonce        string // "" unless OpenID
	next         string
	expires      time.Time
}

type pendingSignIns struct {
	mu sync.Mutex
	m  map[string]*pendingSignIn // by state
}

func (p *pendingSignIns) put(state string, s *pendingSignIn, now time.Time) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.m == nil {
		p.m = map[string]*pendingSignIn{}
	}
	if len(p.m) >= maxSessions {
		for k, v := range p.m {
			if now.After(v.expires) {
				delete(p.m, k)
			}
		}
		if len(p.m) >= maxSessions {
			p.m = map[string]*pendingSignIn{} // under a flood, start over
		}
	}
	p.m[state] = s
}

// take returns the sign-in of state once.
func (p *pendingSignIns) take(state string, now time.Time) *pendingSignIn {
	p.mu.Lock()
	defer p.mu.Unlock()
	s := p.m[state]
	delete(p.m, state)
	if s == nil || now.After(s.expires) {
		return nil
	}
	return s
}

// oauthStart sends the browser to the identity provider of the registry
// named by the registry parameter.
func (c *Console) oauthStart(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	regID := strings.TrimSpace(q.Get("registry"))
	if len(regID) > 64 {
		regID = regID[:64] // no registry id is longer; the page shows it back
	}
	next := Prefix + "search?registry=" + url.QueryEscape(regID)
	// Such a session may only search and connect: another next page
	// would only refuse it.
	if n := safeNext(q.Get("next")); strings.HasPrefix(n, Prefix+"search?") || strings.HasPrefix(n, Prefix+"connect?") {
		next = n
	}
	fail := func(status int, msg string) {
		c.render(w, r, status, "signin", view{Title: "Sign in", Error: msg, Data: signInData{Next: next, RegistryID: regID}})
	}
	if c.jwt == nil {
		fail(http.StatusNotFound, "This server does not sign in with identity providers.")
		return
	}
	reg, err := c.svc.GetRegistry(r.Context(), regID)
	if err != nil || reg.AuthorizerType != registry.AuthorizerCustomJWT || reg.Authorizer == nil || reg.Authorizer.CustomJWT == nil {
		// The same answer for a registry that does not exist and one
		// that uses IAM: the page tells a stranger nothing more.
		fail(http.StatusBadRequest, "There is no registry "+strings.TrimSpace(regID)+" whose consumers sign in with an identity provider (CUSTOM_JWT).")
		return
	}
	cfg := *reg.Authorizer.CustomJWT
	clientID := c.oauthClientID
	if clientID == "" && len(cfg.AllowedClients) > 0 {
		clientID = cfg.AllowedClients[0]
	}
	if clientID == "" {
		fail(http.StatusBadRequest, "The console has no client id for this registry's identity provider: an administrator must "+
			"add one to the registry's allowedClients, or run the server with --console-oauth-client-id.")
		return
	}
	ep, err := c.jwt.Endpoints(r.Context(), cfg.DiscoveryURL)
	if err != nil {
		status, msg := jwtFailure(err)
		c.log.Warn("console sign-in: identity provider endpoints", "registry", reg.ID, "err", err)
		fail(status, msg)
		return
	}
	state, verifier := randomToken(), randomToken()
	p := &pendingSignIn{registryID: reg.ID, resource: c.mcpURL(reg.ID), discoveryURL: cfg.DiscoveryURL, clientID: clientID, tokenURL: ep.Token,
		verifier: verifier, next: next, expires: c.now().Add(oauthTimeout)}
	challenge := sha256.Sum256([]byte(verifier))
	params := url.Values{
		"response_type":         {"code"},
		"client_id":             {clientID},
		"redirect_uri":          {c.redirectURI()},
		"state":                 {state},
		"code_challenge":        {base64.RawURLEncoding.EncodeToString(challenge[:])},
		"code_challenge_method": {"S256"},
		// RFC 8707: the token is for the registry's MCP endpoint, as an
		// MCP client asks for it, so that IdPs which issue JWT access
		// tokens only for a resource (and set aud to it) issue one.
		"resource": {c.mcpURL(reg.ID)},
	}
	scopes := jwtauth.AdvertisedScopes(cfg)
	if ep.OpenID {
		p.nonce = randomToken()
		params.Set("nonce", p.nonce)
		scopes = append([]string{"openid"}, scopes...)
	}
	if len(scopes) > 0 {
		params.Set("scope", strings.Join(scopes, " "))
	}
	c.pending.put(state, p, c.now())
	http.SetCookie(w, &http.Cookie{Name: oauthCookie, Value: state, Path: oauthPath, MaxAge: int(oauthTimeout.Seconds()),
		HttpOnly: true, Secure: c.secure(r), SameSite: http.SameSiteLaxMode})
	target, _ := url.Parse(ep.Authorization) // Endpoints checked it
	tq := target.Query()
	for k, v := range params {
		tq[k] = v
	}
	target.RawQuery = tq.Encode()
	http.Redirect(w, r, target.String(), http.StatusSeeOther)
}

// mcpURL is a registry's MCP endpoint, the resource its tokens are for.
func (c *Console) mcpURL(registryID string) string {
	return c.publicURL + "/registry/" + registryID + "/mcp"
}

// redirectURI is where the identity provider sends the browser back; it
// must be registered with the client.
func (c *Console) redirectURI() string { return c.publicURL + oauthPath + "callback" }

// oauthErrorCode keeps an identity provider's error code to what RFC 6749
// allows in it before it reaches a page.
var oauthErrorCode = regexp.MustCompile(`^[a-z_]{1,64}$`)

// oauthCallback finishes a sign-in: it matches the state to the browser
// and the pending sign-in, exchanges the code (with the PKCE verifier),
// checks the ID token's nonce, verifies the access token with the
// registry's authorizer and starts a session.
func (c *Console) oauthCallback(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	state := q.Get("state")
	ck, err := r.Cookie(oauthCookie)
	http.SetCookie(w, &http.Cookie{Name: oauthCookie, Value: "", Path: oauthPath, MaxAge: -1,
		HttpOnly: true, Secure: c.secure(r), SameSite: http.SameSiteLaxMode})
	fail := func(status int, msg string) {
		c.log.Info("console sign-in refused", "remote", r.RemoteAddr, "reason", msg)
		c.render(w, r, status, "signin", view{Title: "Sign in", Error: msg, Data: signInData{Next: Prefix + "registries"}})
	}
	if state == "" || err != nil || subtle.ConstantTimeCompare([]byte(ck.Value), []byte(state)) != 1 {
		fail(http.StatusBadRequest, "This sign-in was not started in this browser, or has already finished; start it again.")
		return
	}
	p := c.pending.take(state, c.now())
	if p == nil {
		fail(http.StatusBadRequest, "This sign-in has expired or has already finished; start it again.")
		return
	}
	if e := q.Get("error"); e != "" {
		if !oauthErrorCode.MatchString(e) {
			e = "an error"
		}
		fail(http.StatusUnauthorized, "The identity provider did not sign you in ("+e+").")
		return
	}
	code := q.Get("code")
	if code == "" {
		fail(http.StatusBadRequest, "The identity provider sent no authorization code.")
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), 15*time.Second)
	defer cancel()
	tok, err := c.exchangeCode(ctx, p, code)
	if err != nil {
		c.log.Warn("console sign-in: token exchange", "registry", p.registryID, "err", err)
		fail(http.StatusBadGateway, "The identity provider did not give the console a token: "+err.Error())
		return
	}
	if p.nonce != "" {
		// OpenID Connect: the ID token is for this client and carries this
		// sign-in's nonce, so that a code or token from another sign-in is
		// not accepted.
		idc, err := c.jwt.Verify(ctx, registry.CustomJWTAuthorizer{DiscoveryURL: p.discoveryURL, AllowedAudience: []string{p.clientID}}, tok.IDToken)
		if tok.IDToken == "" || err != nil || !nonceMatches(idc, p.nonce) {
			fail(http.StatusUnauthorized, "The identity provider's ID token is missing, not for this console, or not for this sign-in.")
			return
		}
	}
	reg, err := c.svc.GetRegistry(ctx, p.registryID)
	if err != nil || reg.Authorizer == nil || reg.Authorizer.CustomJWT == nil {
		fail(http.StatusBadRequest, "The registry no longer signs in with an identity provider.")
		return
	}
	claims, err := c.jwt.Verify(ctx, *reg.Authorizer.CustomJWT, tok.AccessToken)
	if err != nil {
		_, msg := jwtFailure(err)
		fail(http.StatusForbidden, "Registry "+reg.Name+" does not accept the token the identity provider issued: "+msg)
		return
	}
	until := c.now().Add(c.sessions.ttl)
	if exp, ok := claims.Raw["exp"].(float64); ok && time.Unix(int64(exp), 0).Before(until) {
		until = time.Unix(int64(exp), 0)
	}
	s := c.sessions.create("", &jwtGrant{registryID: reg.ID, token: tok.AccessToken, subject: claims.Subject, issuer: claims.Issuer}, until)
	c.setSessionCookie(w, r, s)
	c.log.Info("console sign-in", "registry", reg.ID, "issuer", claims.Issuer, "subject", claims.Subject)
	// A page that moves on by itself rather than a redirect: browsers do
	// not send the SameSite=Strict session cookie on a redirect that a
	// cross-site navigation (the identity provider's) started.
	c.render(w, r, http.StatusOK, "signedin", view{Title: "Signed in", Data: p.next,
		Refresh: template.HTML(`<meta http-equiv="refresh" content="0; url=` + html.EscapeString(p.next) + `">`)})
}

func nonceMatches(c *jwtauth.Claims, nonce string) bool {
	got, _ := c.Raw["nonce"].(string)
	return subtle.ConstantTimeCompare([]byte(got), []byte(nonce)) == 1
}

type tokenAnswer struct {
	AccessToken string `json:"access_token"`
	IDToken     string `json:"id_token"`
	TokenType   string `json:"token_type"`
	Error       string `json:"error"`
}

// exchangeCode redeems the authorization code at the token endpoint as a
// public client: the PKCE verifier proves it is the one that asked.
func (c *Console) exchangeCode(ctx context.Context, p *pendingSignIn, code string) (tokenAnswer, error) {
	form := url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {c.redirectURI()},
		"client_id": {p.clientID}, "code_verifier": {p.verifier}, "resource": {p.resource}}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, p.tokenURL, strings.NewReader(form.Encode()))
	if err != nil {
		return tokenAnswer{}, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	resp, err := c.oauthClient.Do(req)
	if err != nil {
		return tokenAnswer{}, errors.New("its token endpoint could not be reached")
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxTokenAnswer+1))
	if err != nil || len(body) > maxTokenAnswer {
		return tokenAnswer{}, errors.New("its token endpoint's answer could not be read")
	}
	var a tokenAnswer
	jsonErr := json.Unmarshal(body, &a)
	if resp.StatusCode != http.StatusOK {
		if jsonErr == nil && oauthErrorCode.MatchString(a.Error) {
			return tokenAnswer{}, fmt.Errorf("its token endpoint answered %s", a.Error)
		}
		return tokenAnswer{}, fmt.Errorf("its token endpoint answered status %d", resp.StatusCode)
	}
	if jsonErr != nil || a.AccessToken == "" || !strings.EqualFold(a.TokenType, "bearer") {
		return tokenAnswer{}, errors.New("its token endpoint's answer has no bearer access token")
	}
	return a, nil
}

// jwtFailure is a jwtauth error as a page shows it: its description
// (which names no token and no URL) and a status.
func jwtFailure(err error) (int, string) {
	var e *jwtauth.Error
	if !errors.As(err, &e) {
		return http.StatusInternalServerError, "The token could not be checked."
	}
	switch {
	case e.Unavailable:
		return http.StatusServiceUnavailable, e.Description
	case e.Misconfigured:
		return http.StatusInternalServerError, e.Description
	}
	return http.StatusForbidden, e.Description
}

// jwtSessionValid reports whether a session signed in with an identity
// provider still holds: its registry still takes bearer tokens and the
// token still verifies with the registry's current authorizer (the
// verifier caches verified tokens, so this costs little).
func (c *Console) jwtSessionValid(r *http.Request, g *jwtGrant) bool {
	reg, err := c.svc.GetRegistry(r.Context(), g.registryID)
	if err != nil || reg.AuthorizerType != registry.AuthorizerCustomJWT || reg.Authorizer == nil || reg.Authorizer.CustomJWT == nil {
		return false
	}
	_, err = c.jwt.Verify(r.Context(), *reg.Authorizer.CustomJWT, g.token)
	return err == nil
}
