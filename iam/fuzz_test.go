package iam

import (
	"net/netip"
	"regexp"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// FuzzParse parses arbitrary principals files and policies and evaluates
// arbitrary requests against whatever loads. Beyond not panicking, it
// checks invariants: the agent-registry alias never changes a decision,
// a loaded access key finds its principal, and errors are ParseErrors.
func FuzzParse(f *testing.F) {
	f.Add([]byte(briefExample), "bedrock-agentcore:CreateRegistryRecord", regARN("abc"), []byte{10, 0, 0, 1}, true, int64(1893456000), "us-east-1")
	f.Add([]byte(file(user("p1", keyA, secretA, withCondition(`{"IpAddress":{"aws:SourceIp":"10.0.0.0/8"},"DateLessThan":{"aws:CurrentTime":"2030-01-01"}}`)))),
		"agent-registry:GetRegistry", recARN("abc", "def"), []byte{10, 1, 2, 3}, false, int64(0), "")
	f.Add([]byte(file(user("p1", keyA, secretA, doc(`"Effect":"Deny","NotAction":"bedrock-*:?et*","NotResource":"arn:aws:*:*:*:registry/*/record/*"`, allow(`"*"`, `"*"`))))),
		"BEDROCK-AGENTCORE:getregistry", "arn:aws:bedrock-agentcore:us-east-1:000000000000:registry/x/record/y", []byte{}, true, int64(-5), "eu-west-1")
	f.Add([]byte(withCondition(`{"ForAllValues:StringNotLikeIfExists":{"aws:RequestedRegion":["us-*",1,true]},"Null":{"aws:SourceIp":"false"},"ArnNotEquals":{"aws:PrincipalArn":"arn:aws:iam::*:root"}}`)),
		"*", "*", make([]byte, 16), true, int64(1), "x")
	f.Add([]byte(`{"principals":[{"name":"a","policies":[{"Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}]}]}`), ":", "", []byte{1}, false, int64(0), "")
	f.Add([]byte(`{"principals":[}`), "", "", []byte(nil), false, int64(0), "")

	f.Fuzz(func(t *testing.T, data []byte, action, resource string, ip []byte, secure bool, epoch int64, region string) {
		addr, _ := netip.AddrFromSlice(ip)
		r := Request{Action: action, Resource: resource, SourceIP: addr, SecureTransport: secure,
			CurrentTime: time.Unix(epoch%(1<<40), 0), Region: region}

		var principals []*Principal
		cfg, err := Parse(data, testAccount)
		if err != nil {
			if _, ok := err.(*ParseError); !ok || err.Error() == "" {
				t.Fatalf("Parse error %T %q", err, err)
			}
		} else {
			for _, p := range cfg.Principals() {
				for _, id := range p.AccessKeyIDs() {
					if got, _, ok := cfg.Lookup(id); !ok || got != p {
						t.Fatalf("Lookup(%s) did not find %s", id, p.Name)
					}
				}
				principals = append(principals, p)
			}
			_ = cfg.Warnings()
		}
		if pol, err := ParsePolicy(data); err == nil {
			principals = append(principals, &Principal{Name: "x", ARN: userARN, Policies: []Policy{pol}})
		}

		alias, aliased := aliasOf(action)
		for _, p := range principals {
			d := p.Authorize(r)
			if d != Allow && d != ImplicitDeny && d != ExplicitDeny {
				t.Fatalf("decision %d", d)
			}
			if aliased {
				r2 := r
				r2.Action = alias
				if d2 := p.Authorize(r2); d2 != d {
					t.Fatalf("%q: %v, but %q: %v", action, d, alias, d2)
				}
			}
		}
	})
}

// aliasOf swaps the bedrock-agentcore and agent-registry prefixes.
func aliasOf(action string) (string, bool) {
	svc, op, ok := strings.Cut(action, ":")
	switch {
	case !ok:
		return "", false
	case strings.EqualFold(svc, servicePrefix):
		return aliasPrefix + ":" + op, true
	case strings.EqualFold(svc, aliasPrefix):
		return servicePrefix + ":" + op, true
	}
	return "", false
}

// FuzzGlob checks the wildcard matcher against a regular expression.
func FuzzGlob(f *testing.F) {
	for _, s := range [][2]string{{"a*b?c", "axxbyc"}, {"*", ""}, {"?", "é"}, {"**?*", "ab"}, {"registry/*/record/*", "registry/a/record/b"}} {
		f.Add(s[0], s[1], false)
	}
	f.Fuzz(func(t *testing.T, pat, s string, fold bool) {
		if len(pat) > 64 || len(s) > 256 || !utf8.ValidString(pat) || !utf8.ValidString(s) {
			return
		}
		var re strings.Builder
		re.WriteString(`^(?s)`)
		for _, c := range pat {
			switch c {
			case '*':
				re.WriteString(`.*`)
			case '?':
				re.WriteString(`.`)
			default:
				re.WriteString(regexp.QuoteMeta(string(c)))
			}
		}
		re.WriteString(`$`)
		expr, subject := re.String(), s
		if fold {
			// The matcher folds ASCII only, so compare ASCII-lowered text.
			// QuoteMeta escapes no letters, so lowering the expression
			// lowers exactly its literals.
			expr, subject = asciiLower(expr), asciiLower(s)
		}
		want := regexp.MustCompile(expr).MatchString(subject)
		p := compilePattern(pat, fold)
		if got := p.match(s); got != want {
			t.Fatalf("match(%q, %q, fold=%v) = %v, regexp says %v", pat, s, fold, got, want)
		}
	})
}
