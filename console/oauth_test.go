package console_test

import (
	"crypto/sha256"
	"encoding/base64"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/oauth2-proxy/mockoidc"

	"github.com/agentry/agentry/server"
)

// idp is mockoidc, a real OpenID Connect provider on loopback (the
// authorization code flow with PKCE, signed ID and access tokens, JWKS),
// with what the console sent it recorded. mockoidc only knows
// confidential clients, so its token endpoint gets its client secret added
// here: the console, a public client, sends none.
type idp struct {
	*mockoidc.MockOIDC
	mu        sync.Mutex
	authorize url.Values
	token     url.Values
	// otherNonce makes the IdP put another nonce in the ID token, as a
	// code from another sign-in would carry.
	otherNonce bool
}

func startIdP(t *testing.T) *idp {
	t.Helper()
	m, err := mockoidc.NewServer(nil)
	if err != nil {
		t.Fatal(err)
	}
	p := &idp{MockOIDC: m}
	m.AddMiddleware(func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			r.ParseForm()
			p.mu.Lock()
			switch {
			case strings.HasSuffix(r.URL.Path, "/authorize"):
				p.authorize = r.Form
				if p.otherNonce {
					r.Form.Set("nonce", "another-sign-in")
				}
			case strings.HasSuffix(r.URL.Path, "/token"):
				p.token = url.Values{}
				for k, v := range r.Form {
					p.token[k] = v
				}
				r.Form.Set("client_secret", m.ClientSecret)
			}
			p.mu.Unlock()
			next.ServeHTTP(w, r)
		})
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Start(ln, nil); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Shutdown() })
	return p
}

// browser is a client with a cookie jar that follows redirects, as a
// browser through the identity provider and back; stopAt, when set,
// stops before the console's callback so that a test can tamper with it.
func (ts *testServer) browser(stopAtCallback bool) *user {
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, Timeout: 20 * time.Second}
	c.CheckRedirect = func(req *http.Request, via []*http.Request) error {
		if stopAtCallback && req.URL.Path == "/console/oauth/callback" {
			return http.ErrUseLastResponse
		}
		// Pages on the console's own origin are read without following,
		// so that tests see the console's redirects.
		if req.URL.Host == strings.TrimPrefix(ts.URL, "http://") && req.URL.Path != "/console/oauth/callback" {
			return http.ErrUseLastResponse
		}
		return nil
	}
	return &user{ts: ts, client: c}
}

// jwtRegistry creates a CUSTOM_JWT registry of the identity provider, with
// one approved record, and returns its id.
func jwtRegistry(t *testing.T, curatorUser *user, p *idp, name, audience string) string {
	t.Helper()
	resp := curatorUser.post("/console/registries", url.Values{"name": {name}, "authorizerType": {"CUSTOM_JWT"},
		"discoveryUrl": {p.DiscoveryEndpoint()}, "allowedAudience": {audience}, "autoApproval": {"on"}})
	regID := idFrom(t, resp, "/console/registries/")
	curatorUser.publish(regID, "weather")
	return regID
}

// TestSignInWithIdentityProvider: a person signs in to the console with
// the identity provider of a CUSTOM_JWT registry (authorization code,
// PKCE S256, state, nonce), searches that registry and can do nothing
// else; a callback with another state, from another browser, replayed,
// or bringing a token the registry does not accept, starts no session.
func TestSignInWithIdentityProvider(t *testing.T) {
	p := startIdP(t)
	ts := startServer(t, func(c *server.Config) {
		c.AllowPrivateURLs = true
		c.ConsoleOAuthClientID = p.ClientID
	})
	cur := ts.signIn(t, curator)
	cur.t = t
	regID := jwtRegistry(t, cur, p, "jwt-tools", p.ClientID)
	iamReg := cur.createRegistry("iam-tools")

	t.Run("signs in and searches", func(t *testing.T) {
		b := ts.browser(false)
		b.t = t
		resp, body := b.get("/console/oauth/start?registry=" + regID)
		if resp.StatusCode != http.StatusOK || !strings.Contains(body, "Signed in") ||
			!strings.Contains(body, `http-equiv="refresh" content="0; url=/console/search?registry=`+regID+`"`) {
			t.Fatalf("callback: %d %s", resp.StatusCode, body)
		}
		p.mu.Lock()
		az, tok := p.authorize, p.token
		p.mu.Unlock()
		// The request to the IdP: a public client with PKCE S256, state,
		// nonce and openid; the code redeemed with the verifier, no secret.
		if az.Get("code_challenge_method") != "S256" || az.Get("state") == "" || az.Get("nonce") == "" ||
			az.Get("scope") != "openid" || az.Get("client_id") != p.ClientID || az.Get("response_type") != "code" ||
			az.Get("redirect_uri") != ts.URL+"/console/oauth/callback" || az.Get("resource") != ts.URL+"/registry/"+regID+"/mcp" {
			t.Errorf("authorization request %v", az)
		}
		sum := sha256.Sum256([]byte(tok.Get("code_verifier")))
		if tok.Get("code_verifier") == "" || base64.RawURLEncoding.EncodeToString(sum[:]) != az.Get("code_challenge") ||
			tok.Has("client_secret") || tok.Get("grant_type") != "authorization_code" || tok.Get("resource") != az.Get("resource") {
			t.Errorf("token request %v", tok)
		}
		for _, c := range resp.Cookies() {
			if c.Name == "agentry_console" && (!c.HttpOnly || c.SameSite != http.SameSiteStrictMode) {
				t.Errorf("session cookie %+v", c)
			}
		}

		// The search playground finds the approved record (the index
		// follows the change feed, so allow it a moment).
		deadline := time.Now().Add(10 * time.Second)
		for {
			resp, body = b.get("/console/search?registry=" + regID + "&q=weather+forecast")
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("search: %d %s", resp.StatusCode, body)
			}
			if strings.Contains(body, "io.example/weather") || strings.Contains(body, ">weather<") {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("search found nothing: %s", body)
			}
			time.Sleep(100 * time.Millisecond)
		}
		if resp, body := b.get("/console/connect?registry=" + regID); resp.StatusCode != http.StatusOK ||
			!strings.Contains(body, `value="`+ts.URL+`/console/oauth/start?registry=`+regID+`"`) {
			t.Errorf("connect: %d, want the sign-in link to share", resp.StatusCode)
		}
		// Nothing a bearer token may not do: not list, not read records,
		// not another registry, not a change.
		if resp, body := b.get("/console/registries/" + regID); !strings.Contains(body, "may search that registry") ||
			strings.Contains(body, "/records/") {
			t.Errorf("records page: %d, want the refusal and no records", resp.StatusCode)
		}
		for _, path := range []string{"/console/registries", "/console/queue",
			"/console/search?registry=" + iamReg + "&q=weather", "/console/registries/" + regID + "/new"} {
			if resp, _ := b.get(path); resp.StatusCode != http.StatusForbidden {
				t.Errorf("%s: %d, want 403", path, resp.StatusCode)
			}
		}
		_, page := b.get("/console/search?registry=" + regID)
		m := csrfField.FindStringSubmatch(page)
		if m == nil {
			t.Fatal("no CSRF token on the search page")
		}
		resp, err := b.client.PostForm(ts.URL+"/console/registries/"+regID+"/new", url.Values{"csrf": {m[1]},
			"name": {"forged"}, "descriptorType": {"MCP"}, "content": {serverJSON}})
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusForbidden {
			t.Errorf("forged create: %d, want 403", resp.StatusCode)
		}

		// The token is checked on every request: when the registry stops
		// accepting it, the session is over.
		r := cur.post("/console/registries/"+regID+"/edit", url.Values{"name": {"jwt-tools"}, "authorizerType": {"CUSTOM_JWT"},
			"discoveryUrl": {p.DiscoveryEndpoint()}, "allowedAudience": {"someone-else"}, "autoApproval": {"on"}})
		if r.StatusCode != http.StatusSeeOther {
			t.Fatalf("edit registry: %d", r.StatusCode)
		}
		if resp, _ := b.get("/console/search?registry=" + regID); resp.StatusCode != http.StatusSeeOther ||
			!strings.HasPrefix(resp.Header.Get("Location"), "/console/signin") {
			t.Errorf("after the audience changed: %d %s, want a redirect to sign in", resp.StatusCode, resp.Header.Get("Location"))
		}
	})

	t.Run("refusals", func(t *testing.T) {
		// Stop before the callback, to tamper with it.
		start := func() (*user, *url.URL) {
			b := ts.browser(true)
			b.t = t
			resp, _ := b.get("/console/oauth/start?registry=" + regID2(t, cur, p))
			if resp.StatusCode != http.StatusFound {
				t.Fatalf("the IdP answered %d", resp.StatusCode)
			}
			cb, err := url.Parse(resp.Header.Get("Location"))
			if err != nil || cb.Path != "/console/oauth/callback" {
				t.Fatalf("the IdP sent the browser to %q", resp.Header.Get("Location"))
			}
			return b, cb
		}
		signedOut := func(b *user, what string) {
			t.Helper()
			if resp, _ := b.get("/console/search"); resp.StatusCode != http.StatusSeeOther {
				t.Errorf("%s: a session was started (%d)", what, resp.StatusCode)
			}
		}
		callback := func(b *user, u *url.URL) (int, string) {
			resp, body := b.get(u.RequestURI())
			return resp.StatusCode, body
		}

		// Another state.
		b, cb := start()
		q := cb.Query()
		q.Set("state", "forged-"+q.Get("state"))
		bad := *cb
		bad.RawQuery = q.Encode()
		if code, body := callback(b, &bad); code != http.StatusBadRequest || !strings.Contains(body, "not started in this browser") {
			t.Errorf("another state: %d", code)
		}
		signedOut(b, "another state")

		// The right state from another browser (no state cookie).
		b2, cb2 := start()
		other := ts.browser(true)
		other.t = t
		if code, _ := callback(other, cb2); code != http.StatusBadRequest {
			t.Errorf("another browser: %d", code)
		}
		signedOut(other, "another browser")

		// The right callback once, then replayed: the second is refused.
		if code, body := callback(b2, cb2); code != http.StatusOK {
			t.Fatalf("the right callback: %d %s", code, body)
		}
		replay := ts.browser(true)
		replay.t = t
		replay.client.Jar.SetCookies(cb2, []*http.Cookie{{Name: "agentry_console_oauth", Value: cb2.Query().Get("state"), Path: "/console/oauth/"}})
		if code, _ := callback(replay, cb2); code != http.StatusBadRequest {
			t.Errorf("replayed callback: %d", code)
		}
		signedOut(replay, "replayed callback")

		// The IdP's error comes through as its code only.
		b3, cb3 := start()
		q = url.Values{"state": {cb3.Query().Get("state")}, "error": {"access_denied"}, "error_description": {"<script>"}}
		cb3.RawQuery = q.Encode()
		if code, body := callback(b3, cb3); code != http.StatusUnauthorized || !strings.Contains(body, "(access_denied)") || strings.Contains(body, "<script>") {
			t.Errorf("IdP error: %d", code)
		}
		signedOut(b3, "IdP error")

		// An ID token with another sign-in's nonce.
		p.mu.Lock()
		p.otherNonce = true
		p.mu.Unlock()
		b4, cb4 := start()
		p.mu.Lock()
		p.otherNonce = false
		p.mu.Unlock()
		if code, body := callback(b4, cb4); code != http.StatusUnauthorized || !strings.Contains(body, "not for this sign-in") {
			t.Errorf("another nonce: %d", code)
		}
		signedOut(b4, "another nonce")
	})

	t.Run("token for another audience", func(t *testing.T) {
		other := jwtRegistry(t, cur, p, "jwt-other", "https://another.example/api")
		b := ts.browser(false)
		b.t = t
		resp, body := b.get("/console/oauth/start?registry=" + other)
		if resp.StatusCode != http.StatusForbidden || !strings.Contains(body, "does not accept the token") {
			t.Fatalf("another audience: %d %s", resp.StatusCode, body)
		}
		if resp, _ := b.get("/console/search"); resp.StatusCode != http.StatusSeeOther {
			t.Errorf("a session was started (%d)", resp.StatusCode)
		}
	})

	t.Run("registries that do not sign in so", func(t *testing.T) {
		b := ts.browser(false)
		b.t = t
		for _, id := range []string{iamReg, "NoSuchRegistry1"} {
			resp, body := b.get("/console/oauth/start?registry=" + id)
			if resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, "whose consumers sign in with an identity provider") {
				t.Errorf("%s: %d", id, resp.StatusCode)
			}
		}
	})
}

var (
	regID2Once sync.Once
	regID2ID   string
)

// regID2 is a CUSTOM_JWT registry that accepts the IdP's tokens, made once
// for the refusal cases (the first subtest changes its own registry).
func regID2(t *testing.T, cur *user, p *idp) string {
	regID2Once.Do(func() { regID2ID = jwtRegistry(t, cur, p, "jwt-refusals", p.ClientID) })
	return regID2ID
}
