package iam

import "testing"

// TestAuthorizeMatch: the decision names the statement that made it: its
// index in the principal's policies and in the document's Statement array,
// its Sid and the policy's Id; an implicit deny and the root name none.
func TestAuthorizeMatch(t *testing.T) {
	p := principal(t,
		doc(`"Effect":"Allow","Action":"bedrock-agentcore:Get*","Resource":"*"`),
		`{"Version":"2012-10-17","Id":"guard","Statement":[
		  {"Effect":"Allow","Action":"bedrock-agentcore:ListRegistries","Resource":"*"},
		  {"Sid":"NoDeletes","Effect":"Deny","Action":"bedrock-agentcore:Delete*","Resource":"*"},
		  {"Effect":"Deny","Action":"bedrock-agentcore:UpdateRegistry","Resource":"*"}]}`,
		doc(`"Effect":"Allow","Action":"bedrock-agentcore:*","Resource":"*"`))
	for _, tt := range []struct {
		op    string
		d     Decision
		match string
	}{
		{"DeleteRegistry", ExplicitDeny, `policies[1].Statement[1] (Sid "NoDeletes" of policy Id "guard")`},
		{"UpdateRegistry", ExplicitDeny, `policies[1].Statement[2] (of policy Id "guard")`},
		{"GetRegistry", Allow, `policies[0].Statement[0]`},
		{"ListRegistries", Allow, `policies[1].Statement[0] (of policy Id "guard")`},
	} {
		d, m, ok := p.AuthorizeMatch(req(tt.op, regARN("r1")))
		if d != tt.d || !ok || m.String() != tt.match {
			t.Errorf("%s: %v %q %v, want %v %q", tt.op, d, m, ok, tt.d, tt.match)
		}
		if d != p.Authorize(req(tt.op, regARN("r1"))) {
			t.Errorf("%s: Authorize disagrees", tt.op)
		}
	}
	q := principal(t, doc(`"Sid":"Only","Effect":"Allow","Action":"bedrock-agentcore:Get*","Resource":"*"`))
	if d, m, ok := q.AuthorizeMatch(req("DeleteRegistry", regARN("r1"))); d != ImplicitDeny || ok || m != (Match{}) {
		t.Errorf("implicit deny: %v %+v %v", d, m, ok)
	}
	if d, _, ok := Root("AKIAROOT00000000", "s", testAccount).AuthorizeMatch(req("DeleteRegistry", regARN("r1"))); d != Allow || ok {
		t.Errorf("root: %v %v", d, ok)
	}
	r := req("DeleteRegistry", regARN("r1"))
	if n := testing.AllocsPerRun(100, func() { p.AuthorizeMatch(r) }); n != 0 {
		t.Errorf("AuthorizeMatch allocates %v times", n)
	}
}
