package httpapi

import (
	"context"
	"errors"
	"net/http"
	"strings"

	"github.com/agentry/agentry/iam"
	"github.com/agentry/agentry/jwtauth"
	"github.com/agentry/agentry/registry"
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
	req      *http.Request // for IAM decisions made further in (the GA MCP tools)
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
// and checks that the caller may perform every one of operations on the
// registry. challengeURL is the protected resource metadata URL of a JWT
// registry. On success the request goes on with the body restored and a
// *consumerRequest in its context.
func (a *api) pathConsumerAuth(operations []string, challengeURL func(registryID string) string, next http.Handler) http.Handler {
	actions := iamActions(operations...)
	return handlerFunc(func(w http.ResponseWriter, r *http.Request) error {
		a.expectBody(w, r, maxConsumerBody)
		raw := r.PathValue("registryId")
		reg, lookupErr := a.svc.LookupRegistry(r.Context(), raw)
		noteResource(r, a.registryResource(raw))
		if isInternal(lookupErr) {
			return lookupErr
		}
		if lookupErr == nil && reg.AuthorizerType == registry.AuthorizerCustomJWT {
			if err := a.checkBearer(r, reg, challengeURL(reg.ID)); err != nil {
				return err
			}
			body, err := a.readBody(w, r, maxConsumerBody, whoOf(r.Context()))
			if err != nil {
				return err
			}
			return serveConsumer(w, r, reg, body, next)
		}
		p, body, err := a.signedBody(w, r, maxConsumerBody)
		if err != nil {
			return err
		}
		if err := a.allowConsumer(r, p, raw, lookupErr, actions); err != nil {
			return err
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
func (a *api) bodyConsumerAuth(operations []string, registryOf func(body []byte) (string, error), next http.Handler) http.Handler {
	actions := iamActions(operations...)
	return handlerFunc(func(w http.ResponseWriter, r *http.Request) error {
		a.expectBody(w, r, maxConsumerBody)
		token, bearer := jwtauth.BearerToken(r.Header.Get("Authorization"))
		if bearer && !looksLikeJWT(token) {
			return malformedBearerError()
		}
		// A caller without a SigV4 credential (credErr says why, as it
		// does for a bearer token) may still use a CUSTOM_JWT registry.
		s, credErr := a.signer(r)
		if credErr != nil && !bearer && !noCredential(credErr) {
			return credErr
		}
		var body []byte
		var err error
		if s != nil {
			body, err = a.verifiedBody(w, r, s, maxConsumerBody)
		} else {
			body, err = a.readBody(w, r, maxConsumerBody, "")
		}
		if err != nil {
			return err
		}
		raw, err := registryOf(body)
		if err != nil {
			return err
		}
		reg, lookupErr := a.svc.LookupRegistry(r.Context(), raw)
		noteResource(r, a.registryResource(raw))
		if isInternal(lookupErr) {
			return lookupErr
		}
		if lookupErr == nil && reg.AuthorizerType == registry.AuthorizerCustomJWT {
			if err := a.checkBearer(r, reg, ""); err != nil {
				return err
			}
			return serveConsumer(w, r, reg, body, next)
		}
		if s == nil {
			return credErr
		}
		if err := a.allowConsumer(r, s.principal, raw, lookupErr, actions); err != nil {
			return err
		}
		return serveConsumer(w, r, reg, body, next)
	})
}

// allowConsumer checks that p may perform every one of actions (IAM action
// names) on the registry named raw, whether or not it exists; only then does p learn
// whether it exists (lookupErr).
func (a *api) allowConsumer(r *http.Request, p *iam.Principal, raw string, lookupErr error, actions []string) error {
	if err := a.authorize(r, p, a.registryResource(raw), actions...); err != nil {
		return err
	}
	return lookupErr
}

func isInternal(err error) bool {
	var e *registry.Error
	return err != nil && (!errors.As(err, &e) || e.Kind == registry.KindInternal)
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
	ctx := context.WithValue(r.Context(), consumerKey{}, &consumerRequest{registry: reg, body: body, req: r})
	next.ServeHTTP(w, withBody(r, body).WithContext(ctx))
	return nil
}

// checkBearer verifies the bearer token of a CUSTOM_JWT registry and
// records its subject as the caller; bearerError says how a refusal is
// answered.
func (a *api) checkBearer(r *http.Request, reg registry.Registry, metadataURL string) error {
	var cfg registry.CustomJWTAuthorizer
	if reg.Authorizer != nil && reg.Authorizer.CustomJWT != nil {
		cfg = *reg.Authorizer.CustomJWT
	}
	scopes := jwtauth.AdvertisedScopes(cfg)
	token, ok := jwtauth.BearerToken(r.Header.Get("Authorization"))
	if !ok {
		return bearerError(reg.ID, nil, metadataURL, scopes)
	}
	claims, err := a.jwt.Verify(r.Context(), cfg, token)
	if err != nil {
		return bearerError(reg.ID, err, metadataURL, scopes)
	}
	if info := requestInfoFrom(r.Context()); info != nil {
		info.subject = claims.Subject
	}
	return nil
}
