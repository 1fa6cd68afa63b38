package jwtauth

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/agentry/agentry/registry"
)

// Claims is what a verified token says about its bearer.
type Claims struct {
	Subject  string   // sub
	Issuer   string   // iss, equal to the discovered issuer
	ClientID string   // client_id, or azp when the token has no client_id
	Scopes   []string // scope (space-separated) and scp (string or array), merged
	Audience []string // aud, as a list
	// Raw is the whole payload as encoding/json decodes it (numbers are
	// float64). It is shared with other requests of the same token: read
	// only.
	Raw map[string]any
}

// checkClaims applies the time checks and every check cfg configures to a
// verified payload. Scopes are checked last so that insufficient_scope is
// answered only for a token that is otherwise acceptable.
func checkClaims(cfg *registry.CustomJWTAuthorizer, issuer string, raw map[string]any, now time.Time, skew time.Duration) (*Claims, error) {
	c := &Claims{Raw: raw}

	var ok bool
	if c.Issuer, ok = raw["iss"].(string); !ok || c.Issuer != issuer {
		return nil, invalid("token issuer does not match")
	}

	// Seconds as float64, so that fractional NumericDates and absurd values
	// compare without overflow.
	t := float64(now.Unix()) + float64(now.Nanosecond())/1e9
	s := skew.Seconds()
	exp, present, ok := number(raw, "exp")
	switch {
	case !present:
		return nil, invalid("token has no expiry")
	case !ok:
		return nil, invalid("token claims are malformed")
	case t >= exp+s:
		return nil, invalid("token has expired")
	}
	if nbf, present, ok := number(raw, "nbf"); present && !ok {
		return nil, invalid("token claims are malformed")
	} else if present && t+s < nbf {
		return nil, invalid("token is not yet valid")
	}
	if iat, present, ok := number(raw, "iat"); present && !ok {
		return nil, invalid("token claims are malformed")
	} else if present && iat > t+s {
		return nil, invalid("token was issued in the future")
	}

	if v, present := raw["sub"]; present {
		if c.Subject, ok = v.(string); !ok {
			return nil, invalid("token claims are malformed")
		}
	}
	if c.Audience, ok = stringOrList(raw["aud"], false); !ok {
		return nil, invalid("token claims are malformed")
	}
	// client_id is RFC 9068's claim; azp is where ID tokens and several
	// IdPs (Keycloak, Auth0) put the client, so it stands in when client_id
	// is absent.
	cid, present := raw["client_id"]
	if !present {
		cid, present = raw["azp"]
	}
	if present {
		if c.ClientID, ok = cid.(string); !ok {
			return nil, invalid("token claims are malformed")
		}
	}
	// scope is a space-separated string (RFC 8693, RFC 9068); scp is a
	// string (Entra ID) or an array (Okta); a scope array (PingFederate) is
	// accepted too.
	scope, ok1 := stringOrList(raw["scope"], true)
	scp, ok2 := stringOrList(raw["scp"], true)
	if !ok1 || !ok2 {
		return nil, invalid("token claims are malformed")
	}
	for _, sc := range append(scope, scp...) {
		if !slices.Contains(c.Scopes, sc) {
			c.Scopes = append(c.Scopes, sc)
		}
	}

	if len(cfg.AllowedAudience) > 0 && !anyIn(c.Audience, cfg.AllowedAudience) {
		// Say why and what to do, as the client usually cannot tell: its
		// token is good, but for another resource.
		return nil, invalid("token audience is not allowed: the token was issued for another resource; " +
			"request it for this registry (the RFC 8707 resource is the registry's MCP URL) or add its audience to allowedAudience")
	}
	if len(cfg.AllowedClients) > 0 && (c.ClientID == "" || !slices.Contains(cfg.AllowedClients, c.ClientID)) {
		// The usual cause is a client that registered itself (DCR) with a
		// registry that only accepts pre-registered clients.
		return nil, invalid("token client is not allowed: this registry accepts only the client ids in its allowedClients, " +
			"so a dynamically registered client is refused; configure the MCP client with a listed client id, or remove allowedClients")
	}
	for _, cc := range cfg.CustomClaims {
		if !matchClaim(raw[cc.InboundTokenClaimName], cc) {
			return nil, invalidCause("token claims do not satisfy the registry's requirements",
				fmt.Errorf("custom claim %q does not match", cc.InboundTokenClaimName))
		}
	}
	if len(cfg.AllowedScopes) > 0 && !anyIn(c.Scopes, cfg.AllowedScopes) {
		return nil, &Error{Code: CodeInsufficientScope, Description: "token has none of the required scopes"}
	}
	return c, nil
}

// number reads a NumericDate claim.
func number(raw map[string]any, name string) (v float64, present, ok bool) {
	x, present := raw[name]
	if !present {
		return 0, false, false
	}
	v, ok = x.(float64)
	return v, true, ok
}

// stringOrList reads a claim that is a string or an array of strings; a
// missing claim is an empty list. With split, a string is a space-separated
// list (the scope format of RFC 6749).
func stringOrList(v any, split bool) ([]string, bool) {
	switch x := v.(type) {
	case nil:
		return nil, true
	case string:
		if split {
			return strings.Fields(x), true
		}
		return []string{x}, true
	case []any:
		return stringArray(x)
	}
	return nil, false
}

// stringArray reads a JSON array of strings.
func stringArray(v any) ([]string, bool) {
	arr, ok := v.([]any)
	if !ok {
		return nil, false
	}
	out := make([]string, 0, len(arr))
	for _, e := range arr {
		s, ok := e.(string)
		if !ok {
			return nil, false
		}
		out = append(out, s)
	}
	return out, true
}

func anyIn(have, allowed []string) bool {
	for _, h := range have {
		if slices.Contains(allowed, h) {
			return true
		}
	}
	return false
}

// matchClaim applies one customClaims entry. A missing claim, a claim of
// another JSON type, or a combination of type and operator that validation
// should have refused all fail.
func matchClaim(v any, cc registry.CustomClaim) bool {
	m := cc.AuthorizingClaimMatchValue
	want := m.ClaimMatchValue
	switch cc.InboundTokenClaimValueType {
	case "STRING":
		s, ok := v.(string)
		return ok && m.ClaimMatchOperator == "EQUALS" && want.MatchValueString != nil && s == *want.MatchValueString
	case "STRING_ARRAY":
		arr, ok := stringArray(v)
		if !ok {
			return false
		}
		switch m.ClaimMatchOperator {
		case "CONTAINS":
			return want.MatchValueString != nil && slices.Contains(arr, *want.MatchValueString)
		case "CONTAINS_ANY":
			return anyIn(want.MatchValueStringList, arr)
		}
	}
	return false
}
