package console

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"net"
	"net/http"
	"net/url"
	"path"
	"strings"
	"sync"
	"time"

	"github.com/agentry/agentry/iam"
	"github.com/agentry/agentry/registry"
)

// cookieName is the session cookie. Its value is a random id; the session
// itself (the access key id, the CSRF token, the expiry) stays on the
// server, so that signing out ends it.
const cookieName = "agentry_console"

// maxSessions bounds the memory sessions take; at the bound, expired
// sessions are dropped, then the oldest.
const maxSessions = 10000

// session is a signed-in user. The principal is looked up again on every
// request, so that a key removed from the principals file (or a changed
// policy) takes effect at once.
type session struct {
	id          string
	accessKeyID string
	CSRF        string
	expires     time.Time
	principal   *iam.Principal
	// jwt is set for a session signed in with a registry's identity
	// provider (oauth.go); accessKeyID is then empty.
	jwt *jwtGrant
}

// Name is the principal's name, for the page header.
func (s *session) Name() string { return s.principal.Name }

// ARN is the principal's ARN.
func (s *session) ARN() string { return s.principal.ARN }

type sessions struct {
	ttl time.Duration
	now func() time.Time
	mu  sync.Mutex
	m   map[string]*session
}

func newSessions(ttl time.Duration, now func() time.Time) *sessions {
	return &sessions{ttl: ttl, now: now, m: map[string]*session{}}
}

// create starts a session for an access key, or for a grant of an
// identity provider; it ends at until when that is earlier than the TTL.
func (ss *sessions) create(accessKeyID string, g *jwtGrant, until time.Time) *session {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	now := ss.now()
	if len(ss.m) >= maxSessions {
		var oldest *session
		for id, s := range ss.m {
			if now.After(s.expires) {
				delete(ss.m, id)
			} else if oldest == nil || s.expires.Before(oldest.expires) {
				oldest = s
			}
		}
		if len(ss.m) >= maxSessions && oldest != nil {
			delete(ss.m, oldest.id)
		}
	}
	s := &session{id: randomToken(), accessKeyID: accessKeyID, jwt: g, CSRF: randomToken(), expires: now.Add(ss.ttl)}
	if !until.IsZero() && until.Before(s.expires) {
		s.expires = until
	}
	ss.m[s.id] = s
	return s
}

func (ss *sessions) get(id string) (session, bool) {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	s, ok := ss.m[id]
	if !ok {
		return session{}, false
	}
	if ss.now().After(s.expires) {
		delete(ss.m, id)
		return session{}, false
	}
	return *s, true
}

func (ss *sessions) delete(id string) {
	ss.mu.Lock()
	delete(ss.m, id)
	ss.mu.Unlock()
}

func randomToken() string {
	b := make([]byte, 32)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// sessionOf returns the request's live session with its principal, or nil.
func (c *Console) sessionOf(r *http.Request) *session {
	ck, err := r.Cookie(cookieName)
	if err != nil {
		return nil
	}
	s, ok := c.sessions.get(ck.Value)
	if !ok {
		return nil
	}
	if s.jwt != nil {
		if c.jwt == nil || !c.jwtSessionValid(r, s.jwt) {
			return nil
		}
		// A principal with no policies: what the session may do is
		// decided by decide, from jwtOperations.
		s.principal = &iam.Principal{Name: s.jwt.subject, ARN: s.jwt.issuer + "#" + s.jwt.subject}
		return &s
	}
	p, _, ok := c.creds.Lookup(s.accessKeyID)
	if !ok {
		return nil
	}
	s.principal = p
	return &s
}

func (c *Console) signInPage(w http.ResponseWriter, r *http.Request) {
	if c.sessionOf(r) != nil {
		http.Redirect(w, r, safeNext(r.URL.Query().Get("next")), http.StatusSeeOther)
		return
	}
	v := view{Title: "Sign in", Data: signInData{Next: safeNext(r.URL.Query().Get("next"))}}
	v.Notice = notices[r.URL.Query().Get("done")]
	c.render(w, r, http.StatusOK, "signin", v)
}

type signInData struct {
	Next        string
	AccessKeyID string
	RegistryID  string // for sign-in with a registry's identity provider
}

// signIn checks an access key id and its secret against the credentials
// the SigV4 path uses, in constant time, and starts a session.
func (c *Console) signIn(w http.ResponseWriter, r *http.Request) {
	if !sameOrigin(r) {
		c.render(w, r, http.StatusForbidden, "error", view{Title: "Forbidden", Error: "The form was not sent from this console."})
		return
	}
	source, _, _ := net.SplitHostPort(r.RemoteAddr)
	if !c.failures.allow(source) {
		c.render(w, r, http.StatusTooManyRequests, "signin", view{Title: "Sign in",
			Error: "Too many failed sign-ins from your address; wait a minute and try again.",
			Data:  signInData{Next: safeNext(r.PostFormValue("next"))}})
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
	id := strings.TrimSpace(r.PostFormValue("accessKeyId"))
	secret := r.PostFormValue("secretAccessKey")
	next := safeNext(r.PostFormValue("next"))
	p, want, ok := c.creds.Lookup(id)
	// Compare even for an unknown key, so that timing does not tell
	// which keys exist.
	if !ok {
		want = "\x00unknown-key"
	}
	if subtle.ConstantTimeCompare([]byte(secret), []byte(want)) != 1 || !ok || p == nil {
		c.failures.add(source)
		c.log.Info("console sign-in refused", "remote", r.RemoteAddr)
		c.render(w, r, http.StatusUnauthorized, "signin", view{Title: "Sign in",
			Error: "The access key id or the secret access key is not right.",
			Data:  signInData{Next: next, AccessKeyID: id}})
		return
	}
	s := c.sessions.create(id, nil, time.Time{})
	c.setSessionCookie(w, r, s)
	c.log.Info("console sign-in", "principal", p.ARN)
	http.Redirect(w, r, next, http.StatusSeeOther)
}

func (c *Console) setSessionCookie(w http.ResponseWriter, r *http.Request, s *session) {
	http.SetCookie(w, &http.Cookie{
		Name: cookieName, Value: s.id, Path: Prefix,
		MaxAge: int(s.expires.Sub(c.now()).Seconds()), Expires: s.expires,
		HttpOnly: true, Secure: c.secure(r), SameSite: http.SameSiteStrictMode,
	})
}

func (c *Console) signOut(w http.ResponseWriter, r *http.Request, s *session) error {
	c.sessions.delete(s.id)
	http.SetCookie(w, &http.Cookie{Name: cookieName, Value: "", Path: Prefix, MaxAge: -1,
		HttpOnly: true, Secure: c.secure(r), SameSite: http.SameSiteStrictMode})
	http.Redirect(w, r, Prefix+"signin?done=signed-out", http.StatusSeeOther)
	return nil
}

// secure reports whether the cookie must be Secure: the request came over
// TLS, or the server's public URL is https (TLS ends at a proxy).
func (c *Console) secure(r *http.Request) bool {
	return r.TLS != nil || strings.HasPrefix(c.publicURL, "https://")
}

// safeNext keeps a redirect target inside the console.
func safeNext(next string) string {
	u, err := url.Parse(next)
	if err != nil || next == "" || u.Scheme != "" || u.Host != "" || !strings.HasPrefix(path.Clean(u.Path)+"/", Prefix) ||
		strings.HasPrefix(next, "//") || strings.Contains(next, "\\") {
		return Prefix + "registries"
	}
	return next
}

// sameOrigin reports whether a form post came from this server's pages:
// browsers send Origin on every POST; a post without one (curl) is let
// through to the token check.
func sameOrigin(r *http.Request) bool {
	o := r.Header.Get("Origin")
	if o == "" {
		return true
	}
	u, err := url.Parse(o)
	return err == nil && strings.EqualFold(u.Host, r.Host)
}

// changeFunc is a change by a signed-in user whose CSRF token was checked.
type changeFunc func(w http.ResponseWriter, r *http.Request, s *session) error

// change wraps a POST: it needs a session, a same-origin request and the
// session's CSRF token (form field csrf, or header X-CSRF-Token for the
// validation fetch).
func (c *Console) change(fn changeFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
		s := c.sessionOf(r)
		if s == nil {
			c.render(w, r, http.StatusUnauthorized, "error", view{Title: "Signed out",
				Error: "Your session has ended; sign in again."})
			return
		}
		token := r.Header.Get("X-CSRF-Token")
		if token == "" {
			token = r.PostFormValue("csrf")
		}
		if !sameOrigin(r) || subtle.ConstantTimeCompare([]byte(token), []byte(s.CSRF)) != 1 {
			c.log.Warn("console request refused: bad CSRF token or origin", "principal", s.principal.ARN, "path", r.URL.Path)
			c.renderError(w, r, s, registry.Errorf(registry.KindForbidden,
				"The form is out of date or was not sent from this console; reload the page and try again."))
			return
		}
		if err := fn(w, r, s); err != nil {
			c.renderError(w, r, s, err)
		}
	})
}

// maxFormBytes bounds a form: a record's descriptors are at most a few
// hundred KiB.
const maxFormBytes = 2 << 20

// failures counts failed sign-ins per source address, so that guessing
// secrets through the console is slow: at most maxFailures a minute.
type failures struct {
	now   func() time.Time
	mu    sync.Mutex
	start time.Time
	n     map[string]int
}

const maxFailures = 10

func newFailures(now func() time.Time) *failures { return &failures{now: now, n: map[string]int{}} }

// window starts a new minute when the last one is over; it runs locked.
func (f *failures) window() {
	if now := f.now(); now.Sub(f.start) >= time.Minute || len(f.n) > maxSessions {
		f.start, f.n = now, map[string]int{}
	}
}

func (f *failures) allow(source string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.window()
	return f.n[source] < maxFailures
}

func (f *failures) add(source string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.window()
	f.n[source]++
}
