package httpapi

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"strconv"

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

// consumerAuth reads the bounded body, finds the registry (registryOf may
// read the body), authenticates the caller as the registry demands, and
// checks that IAM callers may perform every one of actions on the registry.
// challengeURL is the protected resource metadata URL of a JWT registry ("" =
// none is advertised). On success the request goes on with the body restored
// and a *consumerRequest in its context.
func (a *api) consumerAuth(actions []string, registryOf func(r *http.Request, body []byte) (string, error),
	challengeURL func(registryID string) string, next http.Handler) http.Handler {
	return handlerFunc(func(w http.ResponseWriter, r *http.Request) error {
		if r.ContentLength > maxConsumerBody {
			return tooLarge(maxConsumerBody)
		}
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxConsumerBody))
		if err != nil {
			return tooLarge(maxConsumerBody)
		}
		id, err := registryOf(r, body)
		if err != nil {
			return err
		}
		reg, err := a.svc.LookupRegistry(r.Context(), id)
		if err != nil {
			return err
		}
		switch reg.AuthorizerType {
		case registry.AuthorizerCustomJWT:
			if ok := a.checkBearer(w, r, reg, challengeURL(reg.ID)); !ok {
				return nil
			}
		default:
			if err := a.checkSigV4(w, r, body, reg, actions); err != nil {
				return err
			}
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		r.ContentLength = int64(len(body))
		ctx := context.WithValue(r.Context(), consumerKey{}, &consumerRequest{registry: reg, body: body})
		next.ServeHTTP(w, r.WithContext(ctx))
		return nil
	})
}

// checkSigV4 verifies the signature and the caller's IAM permissions. A
// signature failure has been answered when it returns errAnswered.
func (a *api) checkSigV4(w http.ResponseWriter, r *http.Request, body []byte, reg registry.Registry, actions []string) error {
	keyID, err := a.verifier.Verify(r, body)
	if err != nil {
		var se *sigv4.Error
		if errors.As(err, &se) {
			writeErrorShape(w, r, http.StatusForbidden, se.Code, errorJSON{Message: se.Message})
			return errAnswered
		}
		return err
	}
	p := a.principals(keyID)
	if p == nil {
		writeErrorShape(w, r, http.StatusForbidden, sigv4.CodeUnrecognizedClient,
			errorJSON{Message: "The security token included in the request is invalid."})
		return errAnswered
	}
	if info := requestInfoFrom(r.Context()); info != nil {
		info.principal = p
	}
	res := a.svc.ARNs.Registry(reg.ID)
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
