package httpapi

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/agentry/agentry/iam"
	"github.com/agentry/agentry/jwtauth"
	"github.com/agentry/agentry/registry"
	"github.com/agentry/agentry/sigv4"
)

// Consumers (the search API and the MCP endpoint) authenticate the way their
// registry says: AWS_IAM registries take SigV4 and IAM policies, CUSTOM_JWT
// registries take OAuth bearer tokens.

// maxConsumerBody bounds search and MCP request bodies.
const maxConsumerBody = 256 << 10

// consumerRequest is an authenticated request to a registry's consumer
// surface.
type consumerRequest struct {
	registry registry.Registry
	body     []byte
}

type consumerKey struct{}

func consumerFrom(ctx context.Context) *consumerRequest {
	c, _ := ctx.Value(consumerKey{}).(*consumerRequest)
	return c
}

// Whether a registry exists, and how it authorizes, is told only to callers
// who may use it: the existence of a CUSTOM_JWT registry is public by
// design (its protected resource metadata and its 401 challenge are how MCP
// clients find its identity provider), but an AWS_IAM registry and an
// unknown id get the same answers until a SigV4 caller is authenticated and
// allowed to use the registry named.

// pathConsumerAuth authenticates a request to the registry in the path (the
// MCP endpoint) before it reads the body: a bearer token for a CUSTOM_JWT
// registry, else a SigV4 credential of a known key. It then reads the body
// (bounded, and charged to the transfer budget), verifies a SigV4 signature
// and checks that the caller may perform every one of actions on the
// registry. challengeURL is the protected resource metadata URL of a JWT
// registry. On success the request goes on with the body restored and a
// *consumerRequest in its context.
func (a *api) pathConsumerAuth(actions []string, challengeURL func(registryID string) string, next http.Handler) http.Handler {
	return handlerFunc(func(w http.ResponseWriter, r *http.Request) error {
		a.expectBody(w, r, maxConsumerBody)
		raw := r.PathValue("registryId")
		reg, lookupErr := a.svc.LookupRegistry(r.Context(), raw)
		if isInternal(lookupErr) {
			return lookupErr
		}
		if lookupErr == nil && reg.AuthorizerType == registry.AuthorizerCustomJWT {
			if ok := a.checkBearer(w, r, reg, challengeURL(reg.ID)); !ok {
				return nil
			}
			body, err := a.readBody(w, r, maxConsumerBody, whoOf(r.Context()))
			if err != nil {
				return err
			}
			return serveConsumer(w, r, reg, body, next)
		}
		s, err := a.signerOf(w, r)
		if err != nil {
			return err
		}
		body, err := a.readBody(w, r, maxConsumerBody, s.principal.ARN)
		if err != nil {
			return err
		}
		if err := a.verifySigner(w, r, s, body); err != nil {
			return err
		}
		if err := a.authorizeConsumer(r, s.principal, raw, actions); err != nil {
			return err
		}
		if lookupErr != nil {
			return lookupErr
		}
		return serveConsumer(w, r, reg, body, next)
	})
}

// bodyConsumerAuth is pathConsumerAuth for a request that names its
// registry in the body (SearchRegistryRecords): before the body is read it
// refuses what the headers alone can tell, a SigV4 credential that is
// malformed, expired or of an unknown key, or a bearer token that is not a
// JWT. Bodies of callers without a SigV4 credential are charged to the
// share of unauthenticated callers.
func (a *api) bodyConsumerAuth(actions []string, registryOf func(body []byte) (string, error), next http.Handler) http.Handler {
	return handlerFunc(func(w http.ResponseWriter, r *http.Request) error {
		a.expectBody(w, r, maxConsumerBody)
		var s *signer
		token, bearer := jwtauth.BearerToken(r.Header.Get("Authorization"))
		switch {
		case bearer && !looksLikeJWT(token):
			err := &jwtauth.Error{Code: jwtauth.CodeInvalidToken, Description: "token is malformed"}
			w.Header().Set("WWW-Authenticate", jwtauth.Challenge("", nil, err))
			writeErrorShape(w, r, http.StatusUnauthorized, "UnauthorizedException", errorJSON{Message: err.Description})
			return nil
		case !bearer && !a.missingCredential(r):
			var err error
			if s, err = a.signerOf(w, r); err != nil {
				return err
			}
		}
		who := ""
		if s != nil {
			who = s.principal.ARN
		}
		body, err := a.readBody(w, r, maxConsumerBody, who)
		if err != nil {
			return err
		}
		if s != nil {
			if err := a.verifySigner(w, r, s, body); err != nil {
				return err
			}
		}
		raw, err := registryOf(body)
		if err != nil {
			return err
		}
		reg, lookupErr := a.svc.LookupRegistry(r.Context(), raw)
		if isInternal(lookupErr) {
			return lookupErr
		}
		if lookupErr == nil && reg.AuthorizerType == registry.AuthorizerCustomJWT {
			if ok := a.checkBearer(w, r, reg, ""); !ok {
				return nil
			}
			return serveConsumer(w, r, reg, body, next)
		}
		if s == nil { // refused as any request without a SigV4 credential is
			_, err := a.signerOf(w, r)
			return err
		}
		if err := a.authorizeConsumer(r, s.principal, raw, actions); err != nil {
			return err
		}
		if lookupErr != nil {
			return lookupErr
		}
		return serveConsumer(w, r, reg, body, next)
	})
}

func isInternal(err error) bool {
	var e *registry.Error
	return err != nil && (!errors.As(err, &e) || e.Kind == registry.KindInternal)
}

// missingCredential reports whether r carries no SigV4 credential at all.
func (a *api) missingCredential(r *http.Request) bool {
	_, err := a.verifier.ParseCredential(r)
	var se *sigv4.Error
	return errors.As(err, &se) && se.Code == sigv4.CodeMissingAuthenticationToken
}

// looksLikeJWT reports whether token has the compact form of a JWT: three
// non-empty base64url segments.
func looksLikeJWT(token string) bool {
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return false
	}
	for _, p := range parts {
		if p == "" || strings.Trim(p, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") != "" {
			return false
		}
	}
	return true
}

// serveConsumer passes an authenticated request on with its body restored
// and a *consumerRequest in its context.
func serveConsumer(w http.ResponseWriter, r *http.Request, reg registry.Registry, body []byte, next http.Handler) error {
	r.Body = io.NopCloser(bytes.NewReader(body))
	r.ContentLength = int64(len(body))
	ctx := context.WithValue(r.Context(), consumerKey{}, &consumerRequest{registry: reg, body: body})
	next.ServeHTTP(w, r.WithContext(ctx))
	return nil
}

// authorizeConsumer checks that p may perform every one of actions on the
// registry named raw, whether or not it exists.
func (a *api) authorizeConsumer(r *http.Request, p *iam.Principal, raw string, actions []string) error {
	res := a.registryResource(raw)
	for _, name := range actions {
		action := "bedrock-agentcore:" + name
		switch p.Authorize(a.iamRequest(r, action, res)) {
		case iam.Allow:
		case iam.ExplicitDeny:
			return &registry.Error{Kind: registry.KindForbidden, Message: iam.ExplicitDenyMessage(p.ARN, action, res)}
		default:
			return &registry.Error{Kind: registry.KindForbidden, Message: iam.DenyMessage(p.ARN, action, res)}
		}
	}
	return nil
}

// errAnswered tells handlerFunc that the response has been written.
var errAnswered = errors.New("answered")

// checkBearer verifies the bearer token of a CUSTOM_JWT registry. On
// failure it answers 401 (no or bad token), 403 (insufficient scope), 503
// (identity provider unreachable) or 500 (a configuration that cannot
// work) with a WWW-Authenticate challenge, and returns false.
func (a *api) checkBearer(w http.ResponseWriter, r *http.Request, reg registry.Registry, metadataURL string) bool {
	var cfg registry.CustomJWTAuthorizer
	if reg.Authorizer != nil && reg.Authorizer.CustomJWT != nil {
		cfg = *reg.Authorizer.CustomJWT
	}
	scopes := jwtauth.AdvertisedScopes(cfg)
	token, ok := jwtauth.BearerToken(r.Header.Get("Authorization"))
	if !ok {
		w.Header().Set("WWW-Authenticate", jwtauth.Challenge(metadataURL, scopes, nil))
		writeErrorShape(w, r, http.StatusUnauthorized, "UnauthorizedException",
			errorJSON{Message: "This registry requires an OAuth bearer token: send Authorization: Bearer <token>."})
		return false
	}
	claims, err := a.jwt.Verify(r.Context(), cfg, token)
	if err != nil {
		var je *jwtauth.Error
		if !errors.As(err, &je) {
			writeError(w, r, err)
			return false
		}
		status := je.HTTPStatus()
		switch {
		case je.Unavailable:
			logger(r).Warn("identity provider unavailable", "registry", reg.ID, "err", err)
			w.Header().Set("Retry-After", strconv.Itoa(5))
		case je.Misconfigured:
			logger(r).Error("registry's identity provider configuration cannot work", "registry", reg.ID, "err", err)
		}
		w.Header().Set("WWW-Authenticate", jwtauth.Challenge(metadataURL, scopes, err))
		name := map[int]string{http.StatusUnauthorized: "UnauthorizedException", http.StatusForbidden: "AccessDeniedException",
			http.StatusServiceUnavailable: "ServiceUnavailableException", http.StatusInternalServerError: "InternalServerException"}[status]
		writeErrorShape(w, r, status, name, errorJSON{Message: je.Description})
		return false
	}
	if info := requestInfoFrom(r.Context()); info != nil {
		info.subject = claims.Subject
	}
	return true
}
