package iam

import (
	"fmt"
	"net/netip"
	"strings"
	"testing"
	"time"
)

// benchPrincipal has 10 policies of 10 statements each: exact, prefix,
// infix and ? wildcards in actions and resources, NotAction/NotResource,
// and a few conditions, none of which match the benchmark's requests
// before the last policy.
func benchPrincipal(b *testing.B) *Principal {
	var docs []string
	for i := range 10 {
		var st []string
		for j := range 10 {
			reg := fmt.Sprintf("reg%02d%02dxxxxxxx", i, j)
			switch j % 5 {
			case 0:
				st = append(st, allow(`["bedrock-agentcore:GetRegistry","bedrock-agentcore:ListRegistryRecords"]`, `"`+regARN(reg)+`"`))
			case 1:
				st = append(st, allow(`"bedrock-agentcore:*Record*"`, `"`+recARN(reg, "*")+`"`))
			case 2:
				st = append(st, `"Effect":"Allow","Action":"agent-registry:Get*","Resource":["`+regARN(reg)+`","`+recARN(reg, "rec?????????")+`"]`+
					`,"Condition":{"IpAddress":{"aws:SourceIp":["10.0.0.0/8","2001:db8::/32"]},"Bool":{"aws:SecureTransport":"true"}}`)
			case 3:
				st = append(st, `"Effect":"Deny","NotAction":["bedrock-agentcore:Get*","bedrock-agentcore:List*"],"Resource":"`+regARN(reg)+`/*"`+
					`,"Condition":{"DateGreaterThan":{"aws:CurrentTime":"2099-01-01T00:00:00Z"}}`)
			case 4:
				st = append(st, `"Effect":"Allow","Action":"bedrock-agentcore:Update*","NotResource":"arn:aws:bedrock-agentcore:*:*:registry/*",`+
					`"Condition":{"StringEquals":{"aws:RequestedRegion":"eu-west-1"}}`)
			}
		}
		docs = append(docs, doc(st...))
	}
	p := principal(b, docs...)
	if n := strings.Count(strings.Join(docs, ""), `"Effect"`); n != 100 {
		b.Fatalf("%d statements", n)
	}
	return p
}

func BenchmarkAuthorize(b *testing.B) {
	p := benchPrincipal(b)
	base := Request{
		SourceIP:        netip.MustParseAddr("10.1.2.3"),
		SecureTransport: true,
		CurrentTime:     time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC),
		Region:          "us-east-1",
	}
	cases := []struct {
		name string
		req  Request
		want Decision
	}{
		// Allowed by the last policy's first statement: every Deny and 90
		// Allow statements are evaluated first.
		{"allow-late", Request{Action: act("ListRegistryRecords"), Resource: regARN("reg0900xxxxxxx")}, Allow},
		// Nothing matches: all 100 statements are evaluated.
		{"implicit-deny", Request{Action: act("DeleteRegistry"), Resource: regARN("nomatch00000")}, ImplicitDeny},
		// Allowed through the alias and conditions.
		{"allow-conditions", Request{Action: "agent-registry:GetRegistryRecord", Resource: recARN("reg0502xxxxxxx", "rec000000001")}, Allow},
	}
	for _, c := range cases {
		r := base
		r.Action, r.Resource = c.req.Action, c.req.Resource
		if got := p.Authorize(r); got != c.want {
			b.Fatalf("%s: %v, want %v", c.name, got, c.want)
		}
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				p.Authorize(r)
			}
		})
	}
}
