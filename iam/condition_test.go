package iam

import (
	"net/netip"
	"testing"
	"time"
)

// withCondition allows everything under one Condition element.
func withCondition(cond string) string {
	return doc(`"Effect":"Allow","Action":"*","Resource":"*","Condition":` + cond)
}

func TestConditions(t *testing.T) {
	base := req("GetRegistry", regARN("teamAregistry1"))
	with := func(f func(*Request)) Request { r := base; f(&r); return r }
	region := func(s string) Request { return with(func(r *Request) { r.Region = s }) }
	ip := func(s string) Request { return with(func(r *Request) { r.SourceIP = netip.MustParseAddr(s) }) }
	at := func(s string) Request {
		return with(func(r *Request) { r.CurrentTime = must(time.Parse(time.RFC3339, s)) })
	}
	secure := func(b bool) Request { return with(func(r *Request) { r.SecureTransport = b }) }
	arn := func(s string) Request { return with(func(r *Request) { r.PrincipalARN = s }) }

	type check struct {
		req  Request
		want bool
	}
	tests := []struct {
		name   string
		cond   string
		checks []check
	}{
		{"StringEquals", `{"StringEquals":{"aws:RequestedRegion":"us-east-1"}}`,
			[]check{{region("us-east-1"), true}, {region("US-EAST-1"), false}, {region("eu-west-1"), false}, {base, false}}},
		{"StringEquals values OR", `{"StringEquals":{"aws:RequestedRegion":["eu-west-1","us-east-1"]}}`,
			[]check{{region("us-east-1"), true}, {region("eu-west-1"), true}, {region("ap-south-1"), false}}},
		{"StringNotEquals (absent key: true, as in AWS)", `{"StringNotEquals":{"aws:RequestedRegion":"us-east-1"}}`,
			[]check{{region("us-east-1"), false}, {region("eu-west-1"), true}, {base, true}}},
		{"StringNotEquals values", `{"StringNotEquals":{"aws:RequestedRegion":["us-east-1","eu-west-1"]}}`,
			[]check{{region("eu-west-1"), false}, {region("ap-south-1"), true}}},
		{"StringEqualsIgnoreCase", `{"StringEqualsIgnoreCase":{"aws:RequestedRegion":"US-EAST-1"}}`,
			[]check{{region("us-east-1"), true}, {region("eu-west-1"), false}, {base, false}}},
		{"StringNotEqualsIgnoreCase", `{"StringNotEqualsIgnoreCase":{"aws:RequestedRegion":"US-EAST-1"}}`,
			[]check{{region("us-east-1"), false}, {region("eu-west-1"), true}, {base, true}}},
		{"StringLike", `{"StringLike":{"aws:RequestedRegion":"us-*"}}`,
			[]check{{region("us-west-2"), true}, {region("eu-west-1"), false}, {base, false}}},
		{"StringLike is case-sensitive", `{"StringLike":{"aws:PrincipalArn":"arn:aws:iam::*:user/Tester"}}`,
			[]check{{base, false}, {arn("arn:aws:iam::000000000000:user/Tester"), true}}},
		{"StringLike on the principal's own ARN", `{"StringLike":{"aws:PrincipalArn":"arn:aws:iam::000000000000:user/test?r"}}`,
			[]check{{base, true}, {arn("arn:aws:iam::000000000000:user/other"), false}}},
		{"StringNotLike", `{"StringNotLike":{"aws:RequestedRegion":["us-*","eu-*"]}}`,
			[]check{{region("us-west-2"), false}, {region("ap-south-1"), true}, {base, true}}},
		{"ArnLike", `{"ArnLike":{"aws:PrincipalArn":"arn:aws:iam::000000000000:user/*"}}`,
			[]check{{base, true}, {arn("arn:aws:iam::111111111111:user/x"), false}}},
		{"ArnEquals with wildcard", `{"ArnEquals":{"aws:PrincipalArn":"arn:aws:iam::*:user/tester"}}`,
			[]check{{base, true}, {arn("arn:aws:iam::000000000000:user/testers"), false}}},
		{"ArnNotLike", `{"ArnNotLike":{"aws:PrincipalArn":"arn:aws:iam::000000000000:user/t*"}}`,
			[]check{{base, false}, {arn("arn:aws:iam::000000000000:user/x"), true}}},
		{"ArnNotEquals", `{"ArnNotEquals":{"aws:PrincipalArn":"arn:aws:iam::000000000000:user/tester"}}`,
			[]check{{base, false}, {arn("arn:aws:iam::000000000000:user/x"), true}}},
		{"Bool true", `{"Bool":{"aws:SecureTransport":"true"}}`,
			[]check{{secure(true), true}, {secure(false), false}}},
		{"Bool false as JSON boolean", `{"Bool":{"aws:SecureTransport":false}}`,
			[]check{{secure(true), false}, {secure(false), true}}},
		{"Bool is case-insensitive", `{"Bool":{"aws:SecureTransport":"TRUE"}}`,
			[]check{{secure(true), true}}},
		{"IpAddress", `{"IpAddress":{"aws:SourceIp":["10.0.0.0/8","2001:db8::/32","192.0.2.7"]}}`,
			[]check{{ip("10.1.2.3"), true}, {ip("11.0.0.1"), false}, {ip("2001:db8::1"), true}, {ip("2001:db9::1"), false},
				{ip("::ffff:10.1.2.3"), true}, {ip("192.0.2.7"), true}, {ip("192.0.2.8"), false}, {ip("fe80::1%eth0"), false}, {base, false}}},
		{"IpAddress host bits and mapped CIDR", `{"IpAddress":{"aws:SourceIp":["10.9.9.9/8","::ffff:172.16.0.0/108"]}}`,
			[]check{{ip("10.1.2.3"), true}, {ip("172.16.5.5"), true}, {ip("172.32.0.1"), false}}},
		{"NotIpAddress (absent key: true)", `{"NotIpAddress":{"aws:SourceIp":"10.0.0.0/8"}}`,
			[]check{{ip("10.1.2.3"), false}, {ip("8.8.8.8"), true}, {ip("::1"), true}, {base, true}}},
		{"DateLessThan", `{"DateLessThan":{"aws:CurrentTime":"2030-01-01T00:00:00Z"}}`,
			[]check{{at("2029-12-31T23:59:59Z"), true}, {at("2030-01-01T00:00:00Z"), false}, {at("2031-01-01T00:00:00Z"), false}}},
		{"DateLessThanEquals", `{"DateLessThanEquals":{"aws:CurrentTime":"2030-01-01"}}`,
			[]check{{at("2030-01-01T00:00:00Z"), true}, {at("2030-01-01T00:00:01Z"), false}}},
		{"DateGreaterThan epoch seconds", `{"DateGreaterThan":{"aws:CurrentTime":1893456000}}`, // 2030-01-01
			[]check{{at("2030-01-01T00:00:01Z"), true}, {at("2030-01-01T00:00:00Z"), false}, {at("2029-01-01T00:00:00Z"), false}}},
		{"DateGreaterThanEquals with offset", `{"DateGreaterThanEquals":{"aws:CurrentTime":"2030-01-01T02:00:00+02:00"}}`,
			[]check{{at("2030-01-01T00:00:00Z"), true}, {at("2029-12-31T23:59:59Z"), false}}},
		{"DateEquals", `{"DateEquals":{"aws:CurrentTime":"2030-01-01T00:00:00.000Z"}}`,
			[]check{{at("2030-01-01T00:00:00Z"), true}, {at("2030-01-01T00:00:01Z"), false}}},
		{"DateNotEquals", `{"DateNotEquals":{"aws:CurrentTime":"1893456000"}}`,
			[]check{{at("2030-01-01T00:00:00Z"), false}, {at("2030-01-01T00:00:01Z"), true}}},
		{"Date defaults to now", `{"DateGreaterThan":{"aws:CurrentTime":"2020-01-01T00:00:00Z"},"DateLessThan":{"aws:CurrentTime":"2200-01-01T00:00:00Z"}}`,
			[]check{{base, true}}},
		{"Null true: key absent", `{"Null":{"aws:SourceIp":"true"}}`,
			[]check{{base, true}, {ip("10.0.0.1"), false}}},
		{"Null false: key present", `{"Null":{"aws:RequestedRegion":false}}`,
			[]check{{base, false}, {region("us-east-1"), true}}},
		{"Null on an always-present key", `{"Null":{"aws:SecureTransport":"true"}}`,
			[]check{{secure(false), false}}},
		{"IfExists: absent is true", `{"StringEqualsIfExists":{"aws:RequestedRegion":"us-east-1"}}`,
			[]check{{base, true}, {region("us-east-1"), true}, {region("eu-west-1"), false}}},
		{"IpAddressIfExists", `{"IpAddressIfExists":{"aws:SourceIp":"10.0.0.0/8"}}`,
			[]check{{base, true}, {ip("10.0.0.1"), true}, {ip("8.8.8.8"), false}}},
		{"NotIpAddressIfExists", `{"NotIpAddressIfExists":{"aws:SourceIp":"10.0.0.0/8"}}`,
			[]check{{base, true}, {ip("10.0.0.1"), false}}},
		{"ForAnyValue: absent is false even negated", `{"ForAnyValue:StringNotEquals":{"aws:RequestedRegion":"us-east-1"}}`,
			[]check{{base, false}, {region("eu-west-1"), true}, {region("us-east-1"), false}}},
		{"ForAllValues: absent is true", `{"ForAllValues:StringEquals":{"aws:RequestedRegion":"us-east-1"}}`,
			[]check{{base, true}, {region("us-east-1"), true}, {region("eu-west-1"), false}}},
		{"keys in one block AND", `{"StringEquals":{"aws:RequestedRegion":"us-east-1","aws:PrincipalArn":"arn:aws:iam::000000000000:user/tester"}}`,
			[]check{{region("us-east-1"), true}, {region("eu-west-1"), false},
				{with(func(r *Request) { r.Region = "us-east-1"; r.PrincipalARN = "arn:aws:iam::000000000000:user/x" }), false}}},
		{"operators AND", `{"Bool":{"aws:SecureTransport":"true"},"IpAddress":{"aws:SourceIp":"10.0.0.0/8"}}`,
			[]check{{with(func(r *Request) { r.SecureTransport = true; r.SourceIP = netip.MustParseAddr("10.0.0.1") }), true},
				{with(func(r *Request) { r.SourceIP = netip.MustParseAddr("10.0.0.1") }), false},
				{secure(true), false}}},
		{"key names ignore case", `{"StringEquals":{"AWS:requestedregion":"us-east-1"},"ipaddress":{"aws:sourceip":"10.0.0.0/8"}}`,
			[]check{{with(func(r *Request) { r.Region = "us-east-1"; r.SourceIP = netip.MustParseAddr("10.0.0.1") }), true}}},
		{"empty Condition is no condition", `{}`, []check{{base, true}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := principal(t, withCondition(tt.cond))
			for _, c := range tt.checks {
				want := ImplicitDeny
				if c.want {
					want = Allow
				}
				if got := p.Authorize(c.req); got != want {
					t.Errorf("%s with ip=%v secure=%v time=%v arn=%q region=%q: %v, want %v", tt.cond,
						c.req.SourceIP, c.req.SecureTransport, c.req.CurrentTime, c.req.PrincipalARN, c.req.Region, got, want)
				}
			}
		})
	}
}

// TestConditionMissingKeys covers the keys Authorize always fills in
// (aws:CurrentTime, aws:PrincipalArn) by evaluating without them.
func TestConditionMissingKeys(t *testing.T) {
	tests := []struct {
		cond string
		want Decision
	}{
		{`{"DateLessThan":{"aws:CurrentTime":"2030-01-01"}}`, ImplicitDeny},
		{`{"DateGreaterThan":{"aws:CurrentTime":"2000-01-01"}}`, ImplicitDeny},
		{`{"DateNotEquals":{"aws:CurrentTime":"2000-01-01"}}`, Allow},
		{`{"DateLessThanIfExists":{"aws:CurrentTime":"2000-01-01"}}`, Allow},
		{`{"Null":{"aws:CurrentTime":"true"}}`, Allow},
		{`{"ArnLike":{"aws:PrincipalArn":"arn:aws:iam::*:user/*"}}`, ImplicitDeny},
		{`{"ArnNotLike":{"aws:PrincipalArn":"arn:aws:iam::*:user/*"}}`, Allow},
		{`{"StringEquals":{"aws:PrincipalArn":"x"}}`, ImplicitDeny},
	}
	for _, tt := range tests {
		p := principal(t, withCondition(tt.cond))
		r := newActionCtx(act("GetRegistry"))
		r.resource = regARN("x")
		if got, _, _ := p.decide(&r); got != tt.want {
			t.Errorf("%s with the key absent: %v, want %v", tt.cond, got, tt.want)
		}
	}
}

// A Deny guarded by a condition denies only when the condition holds.
func TestConditionalDeny(t *testing.T) {
	p := principal(t, doc(allow(`"*"`, `"*"`),
		`"Effect":"Deny","Action":"*","Resource":"*","Condition":{"Bool":{"aws:SecureTransport":"false"}}`,
		`"Effect":"Deny","Action":"bedrock-agentcore:Delete*","Resource":"*","Condition":{"NotIpAddress":{"aws:SourceIp":["10.0.0.0/8"]}}`))
	r := req("DeleteRegistry", regARN("x"))
	if d := p.Authorize(r); d != ExplicitDeny {
		t.Errorf("plain HTTP: %v, want ExplicitDeny", d)
	}
	r.SecureTransport = true
	if d := p.Authorize(r); d != ExplicitDeny {
		t.Errorf("no source address (NotIpAddress holds): %v, want ExplicitDeny", d)
	}
	r.SourceIP = netip.MustParseAddr("10.2.3.4")
	if d := p.Authorize(r); d != Allow {
		t.Errorf("TLS from the office: %v, want Allow", d)
	}
	r.SourceIP = netip.MustParseAddr("203.0.113.9")
	if d := p.Authorize(r); d != ExplicitDeny {
		t.Errorf("TLS from outside: %v, want ExplicitDeny", d)
	}
}

func TestParseDate(t *testing.T) {
	want := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, s := range []string{"2030-01-01T00:00:00Z", "2030-01-01T00:00:00.000Z", "2030-01-01T01:00:00+01:00",
		"2030-01-01T00:00Z", "2030-01-01T00:00:00", "2030-01-01", "20300101T000000Z", "1893456000"} {
		got, err := parseDate(s)
		if err != nil || !got.Equal(want) {
			t.Errorf("parseDate(%q) = %v, %v; want %v", s, got, err, want)
		}
	}
	for _, s := range []string{"", "tomorrow", "2030-13-01", "2030-01-01T25:00:00Z", "1e9"} {
		if _, err := parseDate(s); err == nil {
			t.Errorf("parseDate(%q) succeeded", s)
		}
	}
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}
