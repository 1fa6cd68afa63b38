// An MCP client built on the TypeScript SDK (@modelcontextprotocol/sdk),
// driven by agentry's interop tests (interop/interop_test.go). It runs on
// Node 20 or later.
//
// Environment:
//   MCP_URL    the Streamable HTTP endpoint (required)
//   MCP_TOKEN  an OAuth bearer token to send, if any
//   MCP_CALLS  a JSON array of argument objects for search_registry_records
//
// It connects, lists the tools, calls search_registry_records once per
// MCP_CALLS entry and prints one JSON object on stdout:
//   {protocolVersion, serverInfo, instructions, tools, calls: [CallToolResult | {thrown}]}
// The Go test makes the assertions. Exit status 1 (with a message on
// stderr) means the client could not connect or list the tools.

import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";

const url = process.env.MCP_URL;
if (!url) {
  console.error("MCP_URL is not set");
  process.exit(2);
}
const headers = {};
if (process.env.MCP_TOKEN) {
  headers.Authorization = `Bearer ${process.env.MCP_TOKEN}`;
}
const calls = JSON.parse(process.env.MCP_CALLS || "[]");

const transport = new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers } });
const client = new Client({ name: "agentry-interop-ts", version: "1.0.0" });

try {
  await client.connect(transport);
  const { tools } = await client.listTools();
  const out = {
    protocolVersion: transport.protocolVersion,
    serverInfo: client.getServerVersion(),
    instructions: client.getInstructions(),
    tools,
    calls: [],
  };
  for (const args of calls) {
    try {
      // The SDK checks structuredContent against the tool's outputSchema.
      out.calls.push(await client.callTool({ name: "search_registry_records", arguments: args }));
    } catch (err) {
      out.calls.push({ thrown: String(err?.message ?? err) });
    }
  }
  process.stdout.write(JSON.stringify(out) + "\n");
  await client.close();
} catch (err) {
  console.error(`ts-client: ${err?.stack ?? err}`);
  process.exitCode = 1;
  await client.close().catch(() => {});
}
