package console

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/agentry/agentry/registry"
)

type connectData struct {
	Registries []registry.Registry
	Registry   *registry.Registry
	MCPURL     string
	Region     string
	Name       string // a client-side server name derived from the registry's
	Configs    []clientConfig
	// SignIn is the link that signs a CUSTOM_JWT registry's consumers in
	// to the console with its identity provider, to share.
	SignIn string
}

// clientConfig is one ready-to-paste set-up.
type clientConfig struct {
	Title string
	Note  string
	Text  string
}

// connectPage shows, for a registry, its MCP endpoint and client
// configurations: through agentry mcp-proxy for AWS_IAM registries, with
// bearer tokens for CUSTOM_JWT ones.
func (c *Console) connectPage(w http.ResponseWriter, r *http.Request, s *session) (string, view, error) {
	v := view{Title: "Connect", Nav: "connect"}
	d := &connectData{Region: c.arns.Region}
	v.Data = d
	d.Registries, _ = c.allRegistries(r, s)
	id := strings.TrimSpace(r.URL.Query().Get("registry"))
	if id == "" {
		return "connect", v, nil
	}
	if err := c.authorize(r, s, "GetRegistry", c.arns.Registry(id)); err != nil {
		return "", v, err
	}
	reg, err := c.svc.GetRegistry(r.Context(), id)
	if err != nil {
		return "", v, err
	}
	d.Registry = &reg
	d.MCPURL = c.mcpURL(reg.ID)
	d.Name = "agentry-" + strings.ToLower(strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' {
			return r
		}
		return '-'
	}, reg.Name))
	if reg.AuthorizerType == registry.AuthorizerCustomJWT {
		d.Configs = jwtConfigs(d.Name, d.MCPURL)
		d.SignIn = c.publicURL + oauthPath + "start?registry=" + url.QueryEscape(reg.ID)
	} else {
		d.Configs = iamConfigs(d.Name, d.MCPURL, c.arns.Region)
	}
	return "connect", v, nil
}

func iamConfigs(name, url, region string) []clientConfig {
	args := `["mcp-proxy", "` + url + `", "--region", "` + region + `"]`
	return []clientConfig{
		{Title: "Claude Code", Note: "agentry mcp-proxy signs each request with your AWS credentials (environment, profile or SSO).",
			Text: "claude mcp add " + name + " -- agentry mcp-proxy " + url + " --region " + region},
		{Title: "Kiro", Note: ".kiro/settings/mcp.json in the workspace, or ~/.kiro/settings/mcp.json.",
			Text: "{\n  \"mcpServers\": {\n    \"" + name + "\": {\n      \"command\": \"agentry\",\n      \"args\": " + args + "\n    }\n  }\n}"},
		{Title: "VS Code", Note: ".vscode/mcp.json in the workspace.",
			Text: "{\n  \"servers\": {\n    \"" + name + "\": {\n      \"type\": \"stdio\",\n      \"command\": \"agentry\",\n      \"args\": " + args + "\n    }\n  }\n}"},
		{Title: "MCP Inspector", Note: "Run the proxy as a local HTTP server, then point the Inspector at it.",
			Text: "agentry mcp-proxy " + url + " --region " + region + " --listen 127.0.0.1:8765\n" +
				"npx @modelcontextprotocol/inspector --cli http://127.0.0.1:8765/mcp --transport http --method tools/list"},
	}
}

// jwtConfigs covers the three OAuth set-ups of a CUSTOM_JWT registry: the
// client discovers the identity provider and signs in by itself (MCP
// authorization), the client sends a token it was given, or agentry
// mcp-proxy adds the token for clients that cannot.
func jwtConfigs(name, url string) []clientConfig {
	return []clientConfig{
		{Title: "Claude Code: sign in through the identity provider",
			Note: "The endpoint answers 401 with its protected resource metadata; Claude Code discovers the provider and signs in (/mcp, then Authenticate).",
			Text: "claude mcp add --transport http " + name + " " + url},
		{Title: "Claude Code: a token you already have",
			Text: "claude mcp add --transport http " + name + " " + url + " \\\n  --header \"Authorization: Bearer $AGENTRY_TOKEN\""},
		{Title: "Kiro", Note: ".kiro/settings/mcp.json in the workspace, or ~/.kiro/settings/mcp.json.",
			Text: "{\n  \"mcpServers\": {\n    \"" + name + "\": {\n      \"url\": \"" + url + "\",\n      \"headers\": {\"Authorization\": \"Bearer ${AGENTRY_TOKEN}\"}\n    }\n  }\n}"},
		{Title: "VS Code", Note: ".vscode/mcp.json; VS Code prompts for the token once and keeps it in its secret storage.",
			Text: "{\n  \"inputs\": [{\"type\": \"promptString\", \"id\": \"agentry-token\", \"description\": \"agentry bearer token\", \"password\": true}],\n" +
				"  \"servers\": {\n    \"" + name + "\": {\n      \"type\": \"http\",\n      \"url\": \"" + url + "\",\n" +
				"      \"headers\": {\"Authorization\": \"Bearer ${input:agentry-token}\"}\n    }\n  }\n}"},
		{Title: "MCP Inspector",
			Text: "npx @modelcontextprotocol/inspector --cli " + url + " \\\n  --transport http --header \"Authorization: Bearer $AGENTRY_TOKEN\" --method tools/list"},
		{Title: "Any stdio client: agentry mcp-proxy with a token",
			Note: "For clients that cannot send headers: the proxy adds the token from the environment.",
			Text: "agentry mcp-proxy " + url + " --bearer-env AGENTRY_TOKEN"},
	}
}
