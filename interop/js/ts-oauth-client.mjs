// An MCP client built on the TypeScript SDK (@modelcontextprotocol/sdk)
// that authorizes itself with the SDK's OAuth client support, as Claude
// Code, VS Code or the MCP Inspector do, driven by agentry's OAuth interop
// tests (interop/oauth_test.go). It runs on Node 20 or later.
//
// The SDK does the whole dance: the unauthenticated request, the 401 and
// its WWW-Authenticate (resource_metadata, scope), the RFC 9728 protected
// resource metadata, the authorization server metadata, dynamic client
// registration (unless OAUTH_CLIENT_ID names a pre-registered client), the
// authorization request with PKCE and the RFC 8707 resource, the token
// request, and the refresh when the server refuses an expired token. The
// one thing a person would do, logging in at the authorization server in a
// browser, is done here headlessly: redirectToAuthorization follows the
// authorization server's redirects with its cookies until the redirect to
// our redirect URI, and keeps the code for transport.finishAuth.
//
// Environment:
//   MCP_URL             the Streamable HTTP endpoint (required)
//   OAUTH_CLIENT_ID     a pre-registered public client; unset: register dynamically
//   OAUTH_SCOPE         the scope the client is configured with; unset: none,
//                       the SDK takes it from the challenge or the metadata
//   OAUTH_REDIRECT_URL  the redirect URI (default http://127.0.0.1:33418/callback;
//                       nothing listens there, the code is read from the redirect)
//   STEPS               JSON array of steps, default ["call"]:
//                         "call"    tools/call search_registry_records {searchQuery: "weather"}
//                         "expire"  wait until the access token has expired
//                         "revoke"  revoke the refresh token at the authorization server
//
// It prints one JSON object on stdout (no token appears in it):
//   {connected, tools, calls, authorizations, registrations, tokenRequests,
//    mcp, accessTokens, errors}
// where mcp lists every refused MCP request (status, WWW-Authenticate) and
// accessTokens the claims of each access token obtained. The Go test makes
// the assertions.

import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { UnauthorizedError } from "@modelcontextprotocol/sdk/client/auth.js";

const mcpURL = process.env.MCP_URL;
if (!mcpURL) {
  console.error("MCP_URL is not set");
  process.exit(2);
}
const redirectUrl = process.env.OAUTH_REDIRECT_URL || "http://127.0.0.1:33418/callback";
const steps = JSON.parse(process.env.STEPS || '["call"]');

const out = {
  connected: false,
  tools: [],
  calls: [],
  authorizations: [],
  registrations: [],
  tokenRequests: [],
  mcp: [],
  accessTokens: [],
  errors: [],
};

function claimsOf(jwt) {
  try {
    const c = JSON.parse(Buffer.from(jwt.split(".")[1], "base64url").toString());
    return { aud: c.aud, scope: c.scope, client_id: c.client_id, sub: c.sub, ttl: c.exp - c.iat };
  } catch {
    return { opaque: true };
  }
}

// Records what goes over the wire, without secrets, for the test's checks.
async function recordingFetch(input, init) {
  const url = new URL(input instanceof Request ? input.url : String(input));
  const res = await fetch(input, init);
  if (url.href === mcpURL) {
    if (res.status === 401 || res.status === 403) {
      out.mcp.push({ method: init?.method ?? "GET", status: res.status, wwwAuthenticate: res.headers.get("www-authenticate") });
    }
  } else if (url.pathname.endsWith("/token") && init?.body) {
    const p = new URLSearchParams(String(init.body));
    const rec = { grant_type: p.get("grant_type"), resource: p.get("resource"), scope: p.get("scope"), status: res.status };
    if (!res.ok) {
      rec.error = await res.clone().json().then((b) => b.error, () => undefined);
    }
    out.tokenRequests.push(rec);
  } else if (url.pathname.endsWith("/reg") && (init?.method ?? "GET") === "POST") {
    const body = await res.clone().json().catch(() => ({}));
    out.registrations.push({ status: res.status, client_id: body.client_id, scope: JSON.parse(String(init.body)).scope });
  }
  return res;
}

// An OAuthClientProvider keeping everything in memory, with a headless
// browser of sorts in redirectToAuthorization.
class HeadlessProvider {
  constructor() {
    this._client = process.env.OAUTH_CLIENT_ID ? { client_id: process.env.OAUTH_CLIENT_ID } : undefined;
    this._tokens = undefined;
    this._verifier = undefined;
    this._discovery = undefined;
    this.code = undefined;
    this.tokensSavedAt = 0;
  }
  get redirectUrl() {
    return redirectUrl;
  }
  get clientMetadata() {
    const m = {
      client_name: "agentry interop (TypeScript SDK)",
      redirect_uris: [redirectUrl],
      grant_types: ["authorization_code", "refresh_token"],
      response_types: ["code"],
      token_endpoint_auth_method: "none",
    };
    if (process.env.OAUTH_SCOPE) m.scope = process.env.OAUTH_SCOPE;
    return m;
  }
  clientInformation() {
    return this._client;
  }
  saveClientInformation(info) {
    this._client = info;
  }
  tokens() {
    return this._tokens;
  }
  saveTokens(tokens) {
    this._tokens = tokens;
    this.tokensSavedAt = Date.now();
    out.accessTokens.push(claimsOf(tokens.access_token));
  }
  saveCodeVerifier(v) {
    this._verifier = v;
  }
  codeVerifier() {
    return this._verifier;
  }
  discoveryState() {
    return this._discovery;
  }
  saveDiscoveryState(s) {
    this._discovery = s;
  }
  invalidateCredentials(scope) {
    if (scope === "all" || scope === "tokens") this._tokens = undefined;
    if (scope === "all" || scope === "client") this._client = process.env.OAUTH_CLIENT_ID ? this._client : undefined;
    if (scope === "all" || scope === "verifier") this._verifier = undefined;
  }
  async redirectToAuthorization(authorizationUrl) {
    const q = authorizationUrl.searchParams;
    out.authorizations.push({
      client_id: q.get("client_id"),
      scope: q.get("scope"),
      resource: q.get("resource"),
      code_challenge_method: q.get("code_challenge_method"),
      has_code_challenge: q.has("code_challenge"),
    });
    const jar = new Map();
    let next = authorizationUrl.href;
    for (let hop = 0; hop < 10; hop++) {
      const res = await fetch(next, {
        redirect: "manual",
        headers: { cookie: [...jar].map(([k, v]) => `${k}=${v}`).join("; ") },
      });
      for (const c of res.headers.getSetCookie()) {
        const [pair, ...attrs] = c.split(";");
        const i = pair.indexOf("=");
        const name = pair.slice(0, i).trim();
        if (attrs.some((a) => /expires=.*1970/i.test(a))) jar.delete(name);
        else jar.set(name, pair.slice(i + 1).trim());
      }
      const location = res.headers.get("location");
      if (!location) {
        throw new Error(`authorization stopped with HTTP ${res.status}: ${(await res.text()).slice(0, 300)}`);
      }
      const u = new URL(location, next);
      if (u.href.startsWith(redirectUrl)) {
        if (u.searchParams.get("error")) {
          throw new Error(`authorization refused: ${u.searchParams.get("error")}: ${u.searchParams.get("error_description")}`);
        }
        this.code = u.searchParams.get("code");
        return;
      }
      next = u.href;
    }
    throw new Error("authorization: too many redirects");
  }
  takeCode() {
    const c = this.code;
    this.code = undefined;
    return c;
  }
}

const provider = new HeadlessProvider();

// withAuthorization runs op; when the SDK stops for a (headless) login it
// finishes the authorization with the code and runs op again.
async function withAuthorization(transport, op) {
  for (let attempt = 0; ; attempt++) {
    try {
      return await op();
    } catch (err) {
      if (!(err instanceof UnauthorizedError) || !provider.code || attempt >= 2) throw err;
      await transport.finishAuth(provider.takeCode());
    }
  }
}

let client;
let transport;
try {
  // connect: the first attempt stops for the login; the next one, after
  // finishAuth, goes through. A transport whose connect failed is not reused.
  for (let attempt = 0; ; attempt++) {
    transport = new StreamableHTTPClientTransport(new URL(mcpURL), { authProvider: provider, fetch: recordingFetch });
    client = new Client({ name: "agentry-interop-ts-oauth", version: "1.0.0" });
    try {
      await client.connect(transport);
      break;
    } catch (err) {
      if (!(err instanceof UnauthorizedError) || !provider.code || attempt >= 2) throw err;
      await transport.finishAuth(provider.takeCode());
      await client.close().catch(() => {});
    }
  }
  out.connected = true;
  const { tools } = await withAuthorization(transport, () => client.listTools());
  out.tools = tools.map((t) => t.name);
  for (const step of steps) {
    switch (step) {
      case "call": {
        const r = await withAuthorization(transport, () =>
          client.callTool({ name: "search_registry_records", arguments: { searchQuery: "weather", maxResults: 5 } }),
        );
        out.calls.push({ isError: !!r.isError, names: (r.structuredContent?.registryRecords ?? []).map((x) => x.name) });
        break;
      }
      case "expire": {
        const ttl = (provider.tokens()?.expires_in ?? 0) * 1000;
        const wait = provider.tokensSavedAt + ttl + 1500 - Date.now();
        if (wait > 0) await new Promise((r) => setTimeout(r, wait));
        break;
      }
      case "revoke": {
        const meta = provider.discoveryState()?.authorizationServerMetadata;
        const res = await fetch(meta.revocation_endpoint, {
          method: "POST",
          headers: { "content-type": "application/x-www-form-urlencoded" },
          body: new URLSearchParams({
            token: provider.tokens().refresh_token,
            token_type_hint: "refresh_token",
            client_id: provider.clientInformation().client_id,
          }),
        });
        if (!res.ok) throw new Error(`revocation: HTTP ${res.status}`);
        break;
      }
      default:
        throw new Error(`unknown step ${step}`);
    }
  }
} catch (err) {
  out.errors.push(String(err?.message ?? err));
} finally {
  await client?.close().catch(() => {});
}
process.stdout.write(JSON.stringify(out) + "\n");
