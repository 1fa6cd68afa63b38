package iam

import "testing"

// TestGANamespace: a registry's agent-registry ARN (the GA API's) and its
// bedrock-agentcore ARN are one resource to policies, whichever a policy
// names and whichever a request acts on.
func TestGANamespace(t *testing.T) {
	const gaPrefix = "arn:aws:agent-registry:us-east-1:000000000000:registry/"
	previewRec := recARN("teamAregistry1", "rec000000001")
	gaRec := gaPrefix + "teamAregistry1/record/rec000000001"
	tests := []struct {
		name     string
		resource string // in the policy
		req      Request
		want     Decision
	}{
		{"GA policy, GA request", `"` + gaPrefix + `teamAregistry1/*"`, Request{Action: "agent-registry:GetRegistryRecord", Resource: gaRec}, Allow},
		{"GA policy, preview request", `"` + gaPrefix + `teamAregistry1/*"`, req("GetRegistryRecord", previewRec), Allow},
		{"preview policy, GA request", `"` + regPrefix + `teamAregistry1/*"`, Request{Action: "agent-registry:GetRegistryRecord", Resource: gaRec}, Allow},
		{"another registry", `"` + gaPrefix + `teamBregistry1/*"`, Request{Action: "agent-registry:GetRegistryRecord", Resource: gaRec}, ImplicitDeny},
		{"another account", `"arn:aws:agent-registry:us-east-1:111111111111:registry/*"`, Request{Action: "agent-registry:GetRegistryRecord", Resource: gaRec}, ImplicitDeny},
		{"another service", `"arn:aws:s3:::*"`, Request{Action: "agent-registry:GetRegistryRecord", Resource: gaRec}, ImplicitDeny},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := principal(t, doc(allow(`"bedrock-agentcore:GetRegistryRecord"`, tc.resource)))
			if got := p.Authorize(tc.req); got != tc.want {
				t.Fatalf("Authorize = %v, want %v", got, tc.want)
			}
		})
	}
	if got, want := canonicalResource("arn:aws-cn:agent-registry:r:1:registry/x"), "arn:aws-cn:bedrock-agentcore:r:1:registry/x"; got != want {
		t.Fatalf("canonicalResource = %q, want %q", got, want)
	}
	for _, s := range []string{"*", "arn:aws:s3:::b", "arn:aws", "not an arn"} {
		if got := canonicalResource(s); got != s {
			t.Fatalf("canonicalResource(%q) = %q", s, got)
		}
	}
}
