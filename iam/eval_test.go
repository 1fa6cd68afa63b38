package iam

import (
	"fmt"
	"strings"
	"testing"
)

const (
	testAccount = "000000000000"
	testRegion  = "us-east-1"
	regPrefix   = "arn:aws:bedrock-agentcore:us-east-1:000000000000:registry/"
	userARN     = "arn:aws:iam::000000000000:user/tester"
)

func regARN(id string) string         { return regPrefix + id }
func recARN(reg, rec string) string   { return regPrefix + reg + "/record/" + rec }
func act(op string) string            { return "bedrock-agentcore:" + op }
func req(op, resource string) Request { return Request{Action: act(op), Resource: resource} }

// principal compiles policy documents into a principal, failing the test
// on any parse error.
func principal(t testing.TB, docs ...string) *Principal {
	t.Helper()
	p := &Principal{Name: "tester", ARN: userARN}
	for _, d := range docs {
		pol, err := ParsePolicy([]byte(d))
		if err != nil {
			t.Fatalf("ParsePolicy(%s): %v", d, err)
		}
		p.Policies = append(p.Policies, pol)
	}
	return p
}

// doc builds a policy from statement bodies written without braces.
func doc(statements ...string) string {
	return `{"Version":"2012-10-17","Statement":[{` + strings.Join(statements, `},{`) + `}]}`
}

func allow(action, resource string) string {
	return fmt.Sprintf(`"Effect":"Allow","Action":%s,"Resource":%s`, action, resource)
}

func deny(action, resource string) string {
	return fmt.Sprintf(`"Effect":"Deny","Action":%s,"Resource":%s`, action, resource)
}

func TestAuthorize(t *testing.T) {
	reg := regARN("teamAregistry1")
	rec := recARN("teamAregistry1", "rec000000001")
	all := `"` + regPrefix + `*"`
	tests := []struct {
		name string
		docs []string
		req  Request
		want Decision
	}{
		{"no policies deny by default", nil, req("GetRegistry", reg), ImplicitDeny},
		{"exact allow", []string{doc(allow(`"bedrock-agentcore:GetRegistry"`, all))}, req("GetRegistry", reg), Allow},
		{"other action not allowed", []string{doc(allow(`"bedrock-agentcore:GetRegistry"`, all))}, req("DeleteRegistry", reg), ImplicitDeny},
		{"explicit deny beats allow in one policy",
			[]string{doc(allow(`"bedrock-agentcore:*"`, `"*"`), deny(`"bedrock-agentcore:DeleteRegistry"`, `"*"`))},
			req("DeleteRegistry", reg), ExplicitDeny},
		{"explicit deny beats allow across policies, deny last",
			[]string{doc(allow(`"*"`, `"*"`)), doc(allow(`"*"`, `"*"`)), doc(deny(`"bedrock-agentcore:Delete*"`, all))},
			req("DeleteRegistryRecord", rec), ExplicitDeny},
		{"deny that does not match leaves the allow",
			[]string{doc(allow(`"*"`, `"*"`), deny(`"bedrock-agentcore:Delete*"`, all))},
			req("GetRegistry", reg), Allow},
		{"deny on another resource leaves the allow",
			[]string{doc(allow(`"*"`, `"*"`), deny(`"*"`, `"`+regARN("other0000000")+`"`))},
			req("GetRegistry", reg), Allow},

		// Actions: case-insensitive, wildcards, service prefix.
		{"action match ignores case in policy",
			[]string{doc(allow(`"BEDROCK-AGENTCORE:getregistry"`, all))}, req("GetRegistry", reg), Allow},
		{"action match ignores case in request",
			[]string{doc(allow(`"bedrock-agentcore:GetRegistry"`, all))}, Request{Action: "Bedrock-AgentCore:GETREGISTRY", Resource: reg}, Allow},
		{"Get* allows GetRegistryRecord",
			[]string{doc(allow(`"bedrock-agentcore:Get*"`, all))}, req("GetRegistryRecord", rec), Allow},
		{"get* ignores case",
			[]string{doc(allow(`"bedrock-agentcore:get*"`, all))}, req("GetRegistry", reg), Allow},
		{"Get* does not allow ListRegistries",
			[]string{doc(allow(`"bedrock-agentcore:Get*"`, all))}, req("ListRegistries", regARN("*")), ImplicitDeny},
		{"infix wildcard", []string{doc(allow(`"bedrock-agentcore:*Record*"`, all))}, req("SubmitRegistryRecordForApproval", rec), Allow},
		{"infix wildcard miss", []string{doc(allow(`"bedrock-agentcore:*Record*"`, all))}, req("GetRegistry", reg), ImplicitDeny},
		{"question mark is one character", []string{doc(allow(`"bedrock-agentcore:?etRegistry"`, all))}, req("GetRegistry", reg), Allow},
		{"question mark is exactly one character", []string{doc(allow(`"bedrock-agentcore:?GetRegistry"`, all))}, req("GetRegistry", reg), ImplicitDeny},
		{"service wildcard", []string{doc(allow(`"bedrock-*:GetRegistry"`, all))}, req("GetRegistry", reg), Allow},
		{"service:*", []string{doc(allow(`"bedrock-agentcore:*"`, all))}, req("UpdateRegistryRecordStatus", rec), Allow},
		{"bare star", []string{doc(allow(`"*"`, `"*"`))}, req("CreateRegistry", regARN("*")), Allow},
		{"other service never matches", []string{doc(allow(`"s3:*"`, `"*"`))}, req("GetRegistry", reg), ImplicitDeny},
		{"action without service matches only *", []string{doc(allow(`"bedrock-agentcore:*"`, `"*"`))}, Request{Action: "GetRegistry", Resource: reg}, ImplicitDeny},
		{"list of actions", []string{doc(allow(`["bedrock-agentcore:GetRegistry","bedrock-agentcore:ListRegistries"]`, all))}, req("ListRegistries", regARN("*")), Allow},

		// The agent-registry alias, in policies and in requests.
		{"alias in policy", []string{doc(allow(`"agent-registry:GetRegistry"`, all))}, req("GetRegistry", reg), Allow},
		{"alias in policy with wildcard", []string{doc(allow(`"Agent-Registry:Get*"`, all))}, req("GetRegistryRecord", rec), Allow},
		{"alias in request", []string{doc(allow(`"bedrock-agentcore:GetRegistry"`, all))}, Request{Action: "agent-registry:GetRegistry", Resource: reg}, Allow},
		{"alias in both", []string{doc(allow(`"agent-registry:*"`, all))}, Request{Action: "agent-registry:GetRegistry", Resource: reg}, Allow},
		{"wildcard service matching the alias name", []string{doc(allow(`"agent-*:GetRegistry"`, all))}, req("GetRegistry", reg), Allow},
		{"alias deny beats allow", []string{doc(allow(`"bedrock-agentcore:*"`, `"*"`), deny(`"agent-registry:Delete*"`, `"*"`))}, req("DeleteRegistry", reg), ExplicitDeny},

		// NotAction.
		{"NotAction allows the rest", []string{doc(`"Effect":"Allow","NotAction":"bedrock-agentcore:Delete*","Resource":"*"`)}, req("GetRegistry", reg), Allow},
		{"NotAction excludes its actions", []string{doc(`"Effect":"Allow","NotAction":"bedrock-agentcore:Delete*","Resource":"*"`)}, req("DeleteRegistry", reg), ImplicitDeny},
		{"Deny NotAction denies everything else",
			[]string{doc(allow(`"*"`, `"*"`), `"Effect":"Deny","NotAction":["bedrock-agentcore:Get*","bedrock-agentcore:List*"],"Resource":"*"`)},
			req("CreateRegistry", regARN("*")), ExplicitDeny},
		{"Deny NotAction spares its actions",
			[]string{doc(allow(`"*"`, `"*"`), `"Effect":"Deny","NotAction":["bedrock-agentcore:Get*","bedrock-agentcore:List*"],"Resource":"*"`)},
			req("ListRegistryRecords", reg), Allow},
		{"NotAction honours the alias", []string{doc(`"Effect":"Allow","NotAction":"agent-registry:Delete*","Resource":"*"`)}, req("DeleteRegistry", reg), ImplicitDeny},

		// Resources: per registry, case-sensitive, wildcards.
		{"registry/* covers records", []string{doc(allow(`"*"`, all))}, req("GetRegistryRecord", rec), Allow},
		{"one registry by exact ARN", []string{doc(allow(`"*"`, `"`+reg+`"`))}, req("GetRegistry", reg), Allow},
		{"exact registry ARN excludes its records", []string{doc(allow(`"*"`, `"`+reg+`"`))}, req("GetRegistryRecord", rec), ImplicitDeny},
		{"exact registry ARN excludes longer ids", []string{doc(allow(`"*"`, `"`+reg+`"`))}, req("GetRegistry", reg+"9"), ImplicitDeny},
		{"records of one registry", []string{doc(allow(`"*"`, `"`+reg+`/record/*"`))}, req("UpdateRegistryRecord", rec), Allow},
		{"records of one registry, not another", []string{doc(allow(`"*"`, `"`+reg+`/record/*"`))}, req("UpdateRegistryRecord", recARN("teamBregistry1", "rec000000001")), ImplicitDeny},
		{"record pattern across registries", []string{doc(allow(`"*"`, `"`+regPrefix+`*/record/rec000000001"`))}, req("GetRegistryRecord", rec), Allow},
		{"resource matching is case-sensitive", []string{doc(allow(`"*"`, `"`+regARN("TEAMAREGISTRY1")+`"`))}, req("GetRegistry", reg), ImplicitDeny},
		{"resource question mark", []string{doc(allow(`"*"`, `"`+regARN("teamAregistry?")+`"`))}, req("GetRegistry", reg), Allow},
		{"region wildcard", []string{doc(allow(`"*"`, `"arn:aws:bedrock-agentcore:*:000000000000:registry/*"`))}, req("GetRegistry", reg), Allow},
		{"other account", []string{doc(allow(`"*"`, `"arn:aws:bedrock-agentcore:us-east-1:111111111111:registry/*"`))}, req("GetRegistry", reg), ImplicitDeny},
		{"other region", []string{doc(allow(`"*"`, `"arn:aws:bedrock-agentcore:eu-west-1:000000000000:registry/*"`))}, req("GetRegistry", reg), ImplicitDeny},
		{"list-level resource", []string{doc(allow(`"bedrock-agentcore:ListRegistries"`, all))}, req("ListRegistries", regARN("*")), Allow},
		{"one registry does not grant ListRegistries", []string{doc(allow(`"bedrock-agentcore:ListRegistries"`, `"`+reg+`"`))}, req("ListRegistries", regARN("*")), ImplicitDeny},
		{"list of resources", []string{doc(allow(`"*"`, `["`+regARN("x")+`","`+reg+`"]`))}, req("GetRegistry", reg), Allow},

		// NotResource.
		{"NotResource allows the rest", []string{doc(`"Effect":"Allow","Action":"*","NotResource":"` + regPrefix + `secret*"`)}, req("GetRegistry", reg), Allow},
		{"NotResource excludes its resources", []string{doc(`"Effect":"Allow","Action":"*","NotResource":"` + regPrefix + `secret*"`)}, req("GetRegistry", regARN("secretregistry")), ImplicitDeny},
		{"Deny NotResource fences one registry",
			[]string{doc(allow(`"*"`, `"*"`), `"Effect":"Deny","Action":"*","NotResource":["`+reg+`","`+reg+`/record/*"]`)},
			req("GetRegistry", regARN("teamBregistry1")), ExplicitDeny},
		{"Deny NotResource spares its resources",
			[]string{doc(allow(`"*"`, `"*"`), `"Effect":"Deny","Action":"*","NotResource":["`+reg+`","`+reg+`/record/*"]`)},
			req("DeleteRegistryRecord", rec), Allow},
		{"NotAction with NotResource",
			[]string{doc(`"Effect":"Allow","NotAction":"bedrock-agentcore:Delete*","NotResource":"` + regPrefix + `secret*"`)},
			req("UpdateRegistry", reg), Allow},

		// A single Statement object rather than an array.
		{"single statement object", []string{`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}`}, req("GetRegistry", reg), Allow},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := principal(t, tt.docs...)
			if got := p.Authorize(tt.req); got != tt.want {
				t.Errorf("Authorize(%s on %s) = %v, want %v", tt.req.Action, tt.req.Resource, got, tt.want)
			}
		})
	}
}

func TestRootAndNil(t *testing.T) {
	root := Root("AKIAROOT00000000", "root-secret-0123456789", testAccount)
	if !root.IsRoot() || root.ARN != "arn:aws:iam::000000000000:root" {
		t.Fatalf("root = %+v", root)
	}
	if d := root.Authorize(req("DeleteRegistry", regARN("anything0000"))); d != Allow {
		t.Errorf("root: %v, want Allow", d)
	}
	var nobody *Principal
	if d := nobody.Authorize(req("GetRegistry", regARN("x"))); d != ImplicitDeny {
		t.Errorf("nil principal: %v, want ImplicitDeny", d)
	}
	if (&Principal{}).IsRoot() || nobody.IsRoot() {
		t.Error("non-root principal reports IsRoot")
	}
}

func TestDenyMessages(t *testing.T) {
	const want = "User: arn:aws:iam::000000000000:user/consumer is not authorized to perform: bedrock-agentcore:DeleteRegistry on resource: arn:aws:bedrock-agentcore:us-east-1:000000000000:registry/abc"
	got := DenyMessage("arn:aws:iam::000000000000:user/consumer", "bedrock-agentcore:DeleteRegistry", regARN("abc"))
	if got != want {
		t.Errorf("DenyMessage = %q\nwant          %q", got, want)
	}
	got = ExplicitDenyMessage("arn:aws:iam::000000000000:user/consumer", "bedrock-agentcore:DeleteRegistry", regARN("abc"))
	if got != want+" with an explicit deny in an identity-based policy" {
		t.Errorf("ExplicitDenyMessage = %q", got)
	}
	for d, s := range map[Decision]string{Allow: "Allow", ImplicitDeny: "ImplicitDeny", ExplicitDeny: "ExplicitDeny"} {
		if d.String() != s || d.Allowed() != (d == Allow) {
			t.Errorf("Decision %d: String %q Allowed %v", d, d.String(), d.Allowed())
		}
	}
	var zero Decision
	if zero != ImplicitDeny {
		t.Error("the zero Decision must deny")
	}
}

func TestGlob(t *testing.T) {
	tests := []struct {
		p, s string
		fold bool
		want bool
	}{
		{"", "", false, true},
		{"", "a", false, false},
		{"*", "", false, true},
		{"a*", "a", false, true},
		{"*a", "ba", false, true},
		{"*a", "ab", false, false},
		{"a*b*c", "axxbyyc", false, true},
		{"a*b*c", "axxbyy", false, false},
		{"a*b", "abab", false, true},
		{"**", "x", false, true},
		{"?", "é", false, true},
		{"??", "é", false, false},
		{"a?c", "abc", false, true},
		{"a?c", "ac", false, false},
		{"*?", "", false, false},
		{"registry/*/record/?x", "registry/a/b/record/zx", false, true},
		{"abc", "ABC", true, true},
		{"a*c", "ABC", true, true},
		{"abc", "ABC", false, false},
	}
	for _, tt := range tests {
		p := compilePattern(tt.p, tt.fold)
		if got := p.match(tt.s); got != tt.want {
			t.Errorf("match(%q, %q, fold=%v) = %v, want %v", tt.p, tt.s, tt.fold, got, tt.want)
		}
	}
}
