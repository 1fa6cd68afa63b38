package jwtauth

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"

	"github.com/agentry/agentry/registry"
)

// MetadataPrefix is the well-known path of RFC 9728 protected resource
// metadata.
const MetadataPrefix = "/.well-known/oauth-protected-resource"

// BearerToken extracts the token of an Authorization header value of the
// form "Bearer <token>" (scheme case-insensitive, surrounding spaces
// trimmed). It reports false for another scheme, an empty token, or a token
// with inner whitespace.
func BearerToken(authorizationHeader string) (token string, ok bool) {
	scheme, tok, found := strings.Cut(strings.TrimSpace(authorizationHeader), " ")
	if !found || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	tok = strings.TrimSpace(tok)
	if tok == "" || strings.ContainsAny(tok, " \t\r\n") {
		return "", false
	}
	return tok, true
}

// MetadataURL returns where RFC 9728 (section 3.1) puts the metadata of the
// resource at resourceURL: the well-known prefix inserted between host and
// path, e.g. https://h/registry/ID/mcp ->
// https://h/.well-known/oauth-protected-resource/registry/ID/mcp.
func MetadataURL(resourceURL string) (string, error) {
	u, err := url.Parse(resourceURL)
	if err != nil || u.Scheme == "" || u.Host == "" {
		return "", errors.New("jwtauth: resource URL must be absolute")
	}
	u.Path = MetadataPrefix + strings.TrimSuffix(u.Path, "/")
	u.RawPath = ""
	u.Fragment = ""
	return u.String(), nil
}

// ResourceMetadata returns the RFC 9728 protected resource metadata document
// for the resource at resourceURL, protected by tokens of issuer. scopes are
// the scopes to advertise (see AdvertisedScopes); none omits the member.
func ResourceMetadata(resourceURL, issuer string, scopes []string) []byte {
	doc := struct {
		Resource               string   `json:"resource"`
		AuthorizationServers   []string `json:"authorization_servers"`
		ScopesSupported        []string `json:"scopes_supported,omitempty"`
		BearerMethodsSupported []string `json:"bearer_methods_supported"`
	}{resourceURL, []string{issuer}, scopes, []string{"header"}}
	b, err := json.Marshal(doc)
	if err != nil {
		// Strings and string slices always marshal.
		panic(fmt.Sprintf("jwtauth: marshal resource metadata: %v", err))
	}
	return b
}

// AdvertisedScopes returns cfg's allowed scopes as clients should request
// them: each replaced by its advertisedScopeMapping entry, if any, without
// duplicates.
func AdvertisedScopes(cfg registry.CustomJWTAuthorizer) []string {
	var out []string
	for _, s := range cfg.AllowedScopes {
		if m, ok := cfg.AdvertisedScopeMapping[s]; ok && m != "" {
			s = m
		}
		if !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out
}

// Challenge returns the WWW-Authenticate value for a refused request:
//
//	Bearer resource_metadata="<url>"                        no token was sent (err nil)
//	..., error="invalid_token", error_description="..."     the token failed
//	..., error="insufficient_scope", error_description="..." the token lacks every allowed scope
//
// followed by scope="<scopes>" when scopes is non-empty, the scopes to
// request (see AdvertisedScopes). An empty resourceMetadataURL leaves that
// parameter out (a plain "Bearer" when nothing else is said). An
// Unavailable or Misconfigured error judged no token, so it gets no error
// attribute; the caller should answer 503 or 500 anyway.
func Challenge(resourceMetadataURL string, scopes []string, err error) string {
	var params []string
	if resourceMetadataURL != "" {
		params = append(params, "resource_metadata="+quote(resourceMetadataURL))
	}
	var e *Error
	switch {
	case errors.As(err, &e):
		if !e.Unavailable && !e.Misconfigured {
			params = append(params, "error="+quote(e.Code))
			if e.Description != "" {
				params = append(params, "error_description="+quote(e.Description))
			}
		}
	case err != nil && !errors.Is(err, ErrUnavailable):
		params = append(params, `error="invalid_token"`)
	}
	if len(scopes) > 0 {
		params = append(params, "scope="+quote(strings.Join(scopes, " ")))
	}
	if len(params) == 0 {
		return "Bearer"
	}
	return "Bearer " + strings.Join(params, ", ")
}

// quote makes an RFC 9110 quoted-string: backslash and double quote are
// escaped, and control characters (which would allow header injection) are
// dropped.
func quote(s string) string {
	var b strings.Builder
	b.Grow(len(s) + 2)
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"' || c == '\\':
			b.WriteByte('\\')
			b.WriteByte(c)
		case c < 0x20 || c == 0x7f:
		default:
			b.WriteByte(c)
		}
	}
	b.WriteByte('"')
	return b.String()
}
