// Package interop holds agentry's interoperability tests: real MCP clients
// written in other languages (the TypeScript SDK, the MCP Inspector CLI and
// the MCP conformance suite, all on Node) against an in-process agentry.
// The package has no code of its own; see README.md and the _test.go files.
package interop
