// Package interop holds agentry's interoperability tests: real MCP clients
// written by others (the TypeScript SDK, the MCP Inspector CLI and the MCP
// conformance suite, all on Node, and the go-sdk's OAuth client) against an
// in-process agentry, and the OAuth set-ups of the MCP endpoint end to end
// with a real authorization server (oidc-provider, on Node).
// The package has no code of its own; see README.md and the _test.go files.
package interop
