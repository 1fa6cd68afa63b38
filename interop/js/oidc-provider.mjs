// A real OAuth 2.1 / OpenID authorization server (node-oidc-provider) for
// agentry's OAuth interop tests (interop/oauth_test.go). It runs on Node 20
// or later and listens on 127.0.0.1 only.
//
// It supports what MCP clients need: the authorization code grant with PKCE
// (required for public clients), dynamic client registration (RFC 7591),
// refresh tokens (rotated), token revocation, the client credentials grant,
// and RFC 8707 resource indicators: a token requested for a resource (the
// registry's MCP URL) is a JWT access token whose aud is that resource.
//
// The login is headless but the protocol is the real one: the interaction
// pages that a browser would show answer at once, logging in the account
// "interop-user" and granting what the client asked for. The client still
// follows the redirects with the provider's cookies, receives a code on its
// redirect URI and exchanges it with its PKCE verifier.
//
// Environment:
//   ACCESS_TOKEN_TTL   seconds an access token of the authorization code grant
//                      lives (default 3600; client credentials: always 3600)
//   REFRESH_TOKEN_TTL  seconds a refresh token lives (default 86400)
//   CLIENTS            JSON array of pre-registered client metadata
//
// It serves RFC 8414 metadata at /.well-known/oauth-authorization-server
// too (the same document as /.well-known/openid-configuration), and prints
// one JSON line on stdout when it listens: {"issuer": "http://127.0.0.1:PORT"}.

import http from "node:http";
import { generateKeyPairSync, randomBytes } from "node:crypto";
import Provider from "oidc-provider";

const accessTTL = Number(process.env.ACCESS_TOKEN_TTL || 3600);
const refreshTTL = Number(process.env.REFRESH_TOKEN_TTL || 86400);
const clients = JSON.parse(process.env.CLIENTS || "[]");

// The scopes a resource (an MCP endpoint) may be granted.
const resourceScopes = "registry:search registry:admin";

const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
const signingKey = { ...privateKey.export({ format: "jwk" }), kid: "interop-rs256", alg: "RS256", use: "sig" };

const server = http.createServer();
await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
const issuer = `http://127.0.0.1:${server.address().port}`;

const provider = new Provider(issuer, {
  clients,
  jwks: { keys: [signingKey] },
  cookies: { keys: [randomBytes(32).toString("hex")] },
  // The resource scopes are listed too, so that clients may register
  // them (RFC 7591 scope) as the TypeScript SDK does.
  scopes: ["openid", "offline_access", ...resourceScopes.split(" ")],
  claims: { openid: ["sub"] },
  findAccount: (_ctx, sub) => ({ accountId: sub, claims: () => ({ sub }) }),
  features: {
    devInteractions: { enabled: false },
    registration: { enabled: true },
    revocation: { enabled: true },
    clientCredentials: { enabled: true },
    resourceIndicators: {
      enabled: true,
      // The resource of the authorization request is the token's, also
      // when the token request does not repeat it.
      defaultResource: (_ctx, _client, oneOf) => oneOf,
      useGrantedResource: () => true,
      getResourceServerInfo: (_ctx, resourceIndicator, client) => ({
        scope: resourceScopes,
        audience: resourceIndicator,
        // A service's token (client credentials) lives an hour; the MCP
        // clients' ones ACCESS_TOKEN_TTL, short in tests to see them expire.
        accessTokenTTL: client.grantTypeAllowed("client_credentials") ? 3600 : accessTTL,
        accessTokenFormat: "jwt",
        jwt: { sign: { alg: "RS256" } },
      }),
    },
  },
  // Every client allowed the refresh_token grant gets a refresh token, not
  // only OpenID clients asking for offline_access.
  issueRefreshToken: (_ctx, client) => client.grantTypeAllowed("refresh_token"),
  ttl: {
    AccessToken: accessTTL,
    ClientCredentials: 3600,
    RefreshToken: refreshTTL,
    AuthorizationCode: 60,
    Interaction: 600,
    Session: 3600,
    Grant: 86400,
  },
  interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
});
provider.proxy = false;

// The headless interaction: log in, then grant what is missing.
async function interact(req, res) {
  const details = await provider.interactionDetails(req, res);
  const { prompt, params, session } = details;
  if (prompt.name === "login") {
    await provider.interactionFinished(req, res, { login: { accountId: "interop-user" } }, { mergeWithLastSubmission: false });
    return;
  }
  if (prompt.name === "consent") {
    const grant = details.grantId
      ? await provider.Grant.find(details.grantId)
      : new provider.Grant({ accountId: session.accountId, clientId: params.client_id });
    const { missingOIDCScope, missingOIDCClaims, missingResourceScopes } = prompt.details;
    if (missingOIDCScope) grant.addOIDCScope(missingOIDCScope.join(" "));
    if (missingOIDCClaims) grant.addOIDCClaims(missingOIDCClaims);
    for (const [indicator, scopes] of Object.entries(missingResourceScopes ?? {})) {
      grant.addResourceScope(indicator, scopes.join(" "));
    }
    const grantId = await grant.save();
    await provider.interactionFinished(req, res, { consent: { grantId } }, { mergeWithLastSubmission: true });
    return;
  }
  res.writeHead(400, { "content-type": "text/plain" });
  res.end(`unexpected prompt ${prompt.name}`);
}

const callback = provider.callback();
server.on("request", (req, res) => {
  if (req.url.startsWith("/interaction/")) {
    interact(req, res).catch((err) => {
      res.writeHead(500, { "content-type": "text/plain" });
      res.end(String(err?.message ?? err));
    });
    return;
  }
  // RFC 8414 authorization server metadata: the same document.
  if (req.url === "/.well-known/oauth-authorization-server") {
    req.url = "/.well-known/openid-configuration";
  }
  callback(req, res);
});

process.stdout.write(JSON.stringify({ issuer }) + "\n");

// Stop when the test closes our stdin (or dies).
process.stdin.resume();
process.stdin.on("end", () => process.exit(0));
process.on("SIGTERM", () => process.exit(0));
