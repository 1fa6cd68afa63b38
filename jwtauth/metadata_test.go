package jwtauth

import (
	"encoding/json"
	"errors"
	"reflect"
	"testing"

	"github.com/agentry/agentry/registry"
)

func TestBearerToken(t *testing.T) {
	for h, want := range map[string]string{
		"Bearer abc.def.ghi":     "abc.def.ghi",
		"bearer abc":             "abc",
		"BEARER abc":             "abc",
		"  Bearer   abc  ":       "abc",
		"Bearer abc def":         "",
		"Bearer abc\tdef":        "",
		"Bearer ":                "",
		"Bearer":                 "",
		"Basic dXNlcjpwdw==":     "",
		"Bearerabc":              "",
		"":                       "",
		"Token abc":              "",
		"Bearer\tabc":            "",
		"AWS4-HMAC-SHA256 Cred=": "",
	} {
		got, ok := BearerToken(h)
		if got != want || ok != (want != "") {
			t.Errorf("BearerToken(%q) = %q, %v; want %q", h, got, ok, want)
		}
	}
}

func TestChallenge(t *testing.T) {
	const meta = "https://reg.example/.well-known/oauth-protected-resource/registry/abc/mcp"
	for _, tc := range []struct {
		name   string
		scopes []string
		err    error
		want   string
	}{
		{"no token", nil, nil, `Bearer resource_metadata="` + meta + `"`},
		{"no token with scopes", []string{"mcp", "registry/search"}, nil,
			`Bearer resource_metadata="` + meta + `", scope="mcp registry/search"`},
		{"invalid token", nil, invalid("token has expired"),
			`Bearer resource_metadata="` + meta + `", error="invalid_token", error_description="token has expired"`},
		{"insufficient scope", []string{"mcp"}, &Error{Code: CodeInsufficientScope, Description: "token has none of the required scopes"},
			`Bearer resource_metadata="` + meta + `", error="insufficient_scope", error_description="token has none of the required scopes", scope="mcp"`},
		{"unavailable", nil, unavailable("the identity provider could not be reached", errors.New("dial")),
			`Bearer resource_metadata="` + meta + `"`},
		{"other error", nil, errors.New("x"), `Bearer resource_metadata="` + meta + `", error="invalid_token"`},
		{"escaping", []string{`a"b`, `c\d`, "e\r\nX-Injected: 1"}, nil,
			`Bearer resource_metadata="` + meta + `", scope="a\"b c\\d eX-Injected: 1"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := Challenge(meta, tc.scopes, tc.err); got != tc.want {
				t.Errorf("Challenge =\n %s\nwant\n %s", got, tc.want)
			}
		})
	}
}

func TestResourceMetadata(t *testing.T) {
	b := ResourceMetadata("https://reg.example/registry/abc/mcp", "https://idp.example", []string{"mcp"})
	var got map[string]any
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"resource":                 "https://reg.example/registry/abc/mcp",
		"authorization_servers":    []any{"https://idp.example"},
		"scopes_supported":         []any{"mcp"},
		"bearer_methods_supported": []any{"header"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("metadata = %s", b)
	}
	b = ResourceMetadata("https://reg.example/registry/abc/mcp", "https://idp.example", nil)
	got = nil
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	if _, ok := got["scopes_supported"]; ok {
		t.Errorf("empty scopes advertised: %s", b)
	}
}

func TestMetadataURL(t *testing.T) {
	for in, want := range map[string]string{
		"https://reg.example/registry/abc/mcp":  "https://reg.example/.well-known/oauth-protected-resource/registry/abc/mcp",
		"https://reg.example/registry/abc/mcp/": "https://reg.example/.well-known/oauth-protected-resource/registry/abc/mcp",
		"http://127.0.0.1:8080/":                "http://127.0.0.1:8080/.well-known/oauth-protected-resource",
		"https://reg.example":                   "https://reg.example/.well-known/oauth-protected-resource",
	} {
		got, err := MetadataURL(in)
		if err != nil || got != want {
			t.Errorf("MetadataURL(%s) = %s, %v; want %s", in, got, err, want)
		}
	}
	if _, err := MetadataURL("/registry/abc/mcp"); err == nil {
		t.Error("relative URL accepted")
	}
}

func TestAdvertisedScopes(t *testing.T) {
	cfg := registry.CustomJWTAuthorizer{
		AllowedScopes:          []string{"api://x/search", "mcp", "other", "dup"},
		AdvertisedScopeMapping: map[string]string{"api://x/search": "search", "dup": "mcp"},
	}
	if got := AdvertisedScopes(cfg); !reflect.DeepEqual(got, []string{"search", "mcp", "other"}) {
		t.Errorf("AdvertisedScopes = %v", got)
	}
	if got := AdvertisedScopes(registry.CustomJWTAuthorizer{}); got != nil {
		t.Errorf("AdvertisedScopes(empty) = %v", got)
	}
}
