// Package iam authenticates and authorizes agentry's principals the way
// AWS IAM does, so teams write the same identity-based policies they would
// write for the AWS Bedrock AgentCore registry.
//
// A principals file (see Parse) names each principal, its access keys and
// its policies; a Store keeps the current file loaded, reloads it on demand
// or when it changes, and never replaces a good configuration with a bad
// one. The root principal (see Root) lives outside the file and may do
// everything.
//
// Principal.Authorize evaluates a Request with IAM semantics: default
// deny, an explicit Deny beats any Allow, Action/NotAction and
// Resource/NotResource with * and ? wildcards (actions case-insensitive,
// resources case-sensitive), and the String, Arn, Bool, IpAddress, Date
// and Null condition operators over aws:SourceIp, aws:SecureTransport,
// aws:CurrentTime, aws:PrincipalArn and aws:RequestedRegion. The
// agent-registry: action prefix is an alias of bedrock-agentcore:.
// Policies are compiled when loaded, so evaluation does not parse or
// allocate.
//
// The package is pure: it serves no HTTP. Callers map each operation to
// "bedrock-agentcore:<Operation>" on its registry or record ARN and turn a
// denial into AccessDeniedException with DenyMessage.
package iam
