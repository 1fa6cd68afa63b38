package iam

import (
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
)

const (
	keyA    = "AKIAPUBLISHER0001"
	keyB    = "AKIACONSUMER00001"
	secretA = "publisher-secret-Zq8+Wm1/xYz"
	secretB = "consumer-secret-Hh4!kLo9pQr"
)

// file builds a principals file with one principal per (name, key, secret,
// policies) tuple.
func file(principals ...string) string {
	return `{"principals":[` + strings.Join(principals, ",") + `]}`
}

func user(name, key, secret string, policies ...string) string {
	return fmt.Sprintf(`{"name":%q,"accessKeys":[{"accessKeyId":%q,"secretAccessKey":%q}],"policies":[%s]}`,
		name, key, secret, strings.Join(policies, ","))
}

var briefExample = `{"principals": [{"name": "publisher-ci",
                 "accessKeys": [{"accessKeyId": "AKIAPUBLISHER0001", "secretAccessKey": "publisher-secret-Zq8+Wm1/xYz"}],
                 "policies": [{"Version": "2012-10-17", "Statement": [
                   {"Effect": "Allow",
                    "Action": ["bedrock-agentcore:CreateRegistryRecord", "bedrock-agentcore:SubmitRegistryRecordForApproval"],
                    "Resource": "arn:aws:bedrock-agentcore:us-east-1:000000000000:registry/*"}]}]}]}`

func TestParseBriefExample(t *testing.T) {
	cfg, err := Parse([]byte(briefExample), testAccount)
	if err != nil {
		t.Fatal(err)
	}
	p, secret, ok := cfg.Lookup(keyA)
	if !ok || secret != secretA || p.Name != "publisher-ci" || p.ARN != "arn:aws:iam::000000000000:user/publisher-ci" {
		t.Fatalf("Lookup = %+v, %v", p, ok)
	}
	if _, _, ok := cfg.Lookup("AKIAUNKNOWN000000"); ok {
		t.Error("unknown key found")
	}
	if got, ok := cfg.Principal("publisher-ci"); !ok || got != p {
		t.Error("Principal by name")
	}
	if len(cfg.Principals()) != 1 || len(cfg.Warnings()) != 0 {
		t.Errorf("principals %v warnings %q", cfg.Principals(), cfg.Warnings())
	}
	if d := p.Authorize(req("CreateRegistryRecord", regARN("teamAregistry1"))); d != Allow {
		t.Errorf("CreateRegistryRecord: %v", d)
	}
	if d := p.Authorize(req("SubmitRegistryRecordForApproval", recARN("teamAregistry1", "rec000000001"))); d != Allow {
		t.Errorf("SubmitRegistryRecordForApproval: %v", d)
	}
	if d := p.Authorize(req("UpdateRegistryRecordStatus", recARN("teamAregistry1", "rec000000001"))); d != ImplicitDeny {
		t.Errorf("UpdateRegistryRecordStatus: %v", d)
	}
	var nilCfg *Config
	if _, _, ok := nilCfg.Lookup(keyA); ok || nilCfg.Principals() != nil || nilCfg.Warnings() != nil {
		t.Error("nil Config is not empty")
	}
}

func TestParseErrors(t *testing.T) {
	good := doc(allow(`"bedrock-agentcore:GetRegistry"`, `"*"`))
	stmt := func(body string) string {
		return file(user("p1", keyA, secretA, `{"Version":"2012-10-17","Statement":[{`+body+`}]}`))
	}
	cond := func(c string) string {
		return stmt(`"Effect":"Allow","Action":"*","Resource":"*","Condition":` + c)
	}
	const at = `principal "p1": principals[0].policies[0].Statement[0]`
	tests := []struct {
		name, in string
		want     []string // substrings, each expected in the error
	}{
		{"not JSON", `{"principals": [}`, []string{"invalid JSON at line 1, column 17"}},
		{"truncated", `{"principals": [`, []string{"unexpected end of JSON input"}},
		{"syntax error line", "{\n\"principals\": [\n  {,}]}", []string{"line 3, column 4"}},
		{"trailing data", `{"principals": []} {}`, []string{"unexpected data after the top-level value"}},
		{"not an object", `[]`, []string{"must be an object, got an array"}},
		{"unknown top-level field", `{"principal": []}`, []string{`unknown field "principal"`, `missing required field "principals"`}},
		{"case-mismatched field", `{"Principals": []}`, []string{`unknown field "Principals" (did you mean "principals"?)`}},
		{"duplicate JSON key", `{"principals": [], "principals": []}`, []string{`document: duplicate key "principals"`}},
		{"nested duplicate key", stmt(`"Effect":"Allow","Effect":"Deny","Action":"*","Resource":"*"`),
			[]string{`principals[0].policies[0].Statement[0]: duplicate key "Effect"`}},
		{"principals not array", `{"principals": {}}`, []string{"principals: must be an array, got an object"}},
		{"unknown principal field names the principal",
			`{"principals":[{"accesKeys":[],"name":"p1"}]}`, []string{`principal "p1": principals[0]: unknown field "accesKeys"`}},
		{"missing name", `{"principals":[{"accessKeys":[]}]}`, []string{`principals[0]: missing required field "name"`}},
		{"bad name", file(user("bad name!", keyA, secretA)), []string{`principals[0].name: "bad name!" must be 1 to 64 characters`}},
		{"long name", file(user(strings.Repeat("n", 65), keyA, secretA)), []string{"must be 1 to 64 characters"}},
		{"duplicate name", file(user("p1", keyA, secretA), user("p1", keyB, secretB)), []string{`principal "p1": principals[1].name: duplicate principal name`}},
		{"duplicate key across principals", file(user("p1", keyA, secretA), user("p2", keyA, secretB)),
			[]string{`principal "p2": principals[1].accessKeys[0].accessKeyId: access key id AKIAPUBLISHER0001 is already used by principal "p1"`}},
		{"duplicate key within a principal",
			`{"principals":[{"name":"p1","accessKeys":[{"accessKeyId":"AKIAPUBLISHER0001","secretAccessKey":"` + secretA + `"},{"accessKeyId":"AKIAPUBLISHER0001","secretAccessKey":"` + secretB + `"}]}]}`,
			[]string{"access key id AKIAPUBLISHER0001 is listed twice for this principal"}},
		{"bad access key id", file(user("p1", "akia-lower", secretA)), []string{"accessKeys[0].accessKeyId: must be 16 to 128 upper-case letters and digits"}},
		{"short secret", file(user("p1", keyA, "short")), []string{"accessKeys[0].secretAccessKey: must be a string of at least 16 characters"}},
		{"missing secret", `{"principals":[{"name":"p1","accessKeys":[{"accessKeyId":"AKIAPUBLISHER0001"}]}]}`,
			[]string{`principals[0].accessKeys[0]: missing required field "secretAccessKey"`}},
		{"policies not array", `{"principals":[{"name":"p1","policies":{}}]}`, []string{"principals[0].policies: must be an array of policy documents"}},

		{"bad Version", file(user("p1", keyA, secretA, `{"Version":"2012-10-18","Statement":[]}`)),
			[]string{`principals[0].policies[0].Version: must be "2012-10-17" or "2008-10-17", got "2012-10-18"`, "Statement: must not be empty"}},
		{"missing Statement", file(user("p1", keyA, secretA, `{"Version":"2012-10-17"}`)), []string{`principals[0].policies[0]: missing required field "Statement"`}},
		{"bad Effect", stmt(`"Effect":"allow","Action":"*","Resource":"*"`), []string{at + `.Effect: must be "Allow" or "Deny", got "allow"`}},
		{"missing Effect", stmt(`"Action":"*","Resource":"*"`), []string{at + `: missing required field "Effect"`}},
		{"lower-case element", stmt(`"effect":"Allow","Action":"*","Resource":"*"`), []string{at + `: unknown field "effect" (did you mean "Effect"?)`}},
		{"empty Action", stmt(`"Effect":"Allow","Action":[],"Resource":"*"`), []string{at + ".Action: must not be empty"}},
		{"empty action string", stmt(`"Effect":"Allow","Action":"","Resource":"*"`), []string{at + ".Action: must not contain an empty string"}},
		{"action without service", stmt(`"Effect":"Allow","Action":["GetRegistry"],"Resource":"*"`),
			[]string{at + `.Action[0]: "GetRegistry" is not an action`}},
		{"Action not strings", stmt(`"Effect":"Allow","Action":[1],"Resource":"*"`), []string{at + ".Action[0]: must be a string, got a number"}},
		{"Action and NotAction", stmt(`"Effect":"Allow","Action":"*","NotAction":"*","Resource":"*"`), []string{at + `: has both "Action" and "NotAction"`}},
		{"no Action", stmt(`"Effect":"Allow","Resource":"*"`), []string{at + `: missing required field "Action" (or "NotAction")`}},
		{"no Resource", stmt(`"Effect":"Allow","Action":"*"`), []string{at + `: missing required field "Resource" (or "NotResource")`}},
		{"malformed ARN", stmt(`"Effect":"Allow","Action":"*","Resource":"arn:aws:bedrock-agentcore:us-east-1:registry/x"`),
			[]string{at + `.Resource: "arn:aws:bedrock-agentcore:us-east-1:registry/x" is not an ARN`}},
		{"not an ARN", stmt(`"Effect":"Allow","Action":"*","NotResource":["*","registry/*"]`), []string{at + `.NotResource[1]: "registry/*" is not an ARN`}},
		{"empty resource segment", stmt(`"Effect":"Allow","Action":"*","Resource":"arn:aws:bedrock-agentcore:us-east-1:000000000000:"`), []string{"is not an ARN"}},
		{"Principal element", stmt(`"Effect":"Allow","Principal":"*","Action":"*","Resource":"*"`), []string{at + ".Principal: not allowed in an identity-based policy"}},
		{"bad Sid", stmt(`"Sid":"allow-read","Effect":"Allow","Action":"*","Resource":"*"`), []string{at + `.Sid: "allow-read" must contain only letters and digits`}},
		{"duplicate Sid", file(user("p1", keyA, secretA, doc(`"Sid":"A",`+allow(`"*"`, `"*"`), `"Sid":"A",`+allow(`"*"`, `"*"`)))),
			[]string{`principals[0].policies[0].Statement[1]: Sid "A" is already used by principals[0].policies[0].Statement[0]`}},
		{"policy variable", stmt(`"Effect":"Allow","Action":"*","Resource":"arn:aws:bedrock-agentcore:us-east-1:000000000000:registry/${aws:username}"`),
			[]string{"policy variables such as"}},

		{"unknown operator", cond(`{"StringEqual":{"aws:RequestedRegion":"x"}}`), []string{at + `.Condition.StringEqual: unknown condition operator "StringEqual"`}},
		{"numeric operator", cond(`{"NumericLessThan":{"aws:RequestedRegion":"1"}}`), []string{`condition operator "NumericLessThan" is not supported by agentry`}},
		{"Null with IfExists", cond(`{"NullIfExists":{"aws:SourceIp":"true"}}`), []string{"Null cannot take IfExists"}},
		{"unknown key", cond(`{"StringEquals":{"aws:username":"x"}}`),
			[]string{at + `.Condition.StringEquals.aws:username: unknown condition key "aws:username" (supported: aws:CurrentTime,`}},
		{"operator for another type", cond(`{"IpAddress":{"aws:RequestedRegion":"10.0.0.0/8"}}`),
			[]string{`operator "IpAddress" does not apply to aws:RequestedRegion, which takes the String operators`}},
		{"string operator on an IP", cond(`{"StringEquals":{"aws:SourceIp":"10.0.0.1"}}`), []string{"which takes IpAddress or NotIpAddress"}},
		{"bad CIDR", cond(`{"IpAddress":{"aws:SourceIp":["10.0.0.0/8","10.0.0.0/33"]}}`),
			[]string{at + `.Condition.IpAddress.aws:SourceIp[1]: "10.0.0.0/33" is not an IP address or CIDR block`}},
		{"bad date", cond(`{"DateLessThan":{"aws:CurrentTime":"next week"}}`), []string{`"next week" is not an ISO 8601 date-time or epoch seconds`}},
		{"bad bool", cond(`{"Bool":{"aws:SecureTransport":"yes"}}`), []string{`must be true or false, got "yes"`}},
		{"bad ARN value", cond(`{"ArnLike":{"aws:PrincipalArn":"user/*"}}`), []string{`"user/*" is not an ARN`}},
		{"empty operator block", cond(`{"StringEquals":{}}`), []string{"must name at least one condition key"}},
		{"empty value list", cond(`{"StringEquals":{"aws:RequestedRegion":[]}}`), []string{"aws:RequestedRegion: must not be empty"}},
		{"null value", cond(`{"StringEquals":{"aws:RequestedRegion":null}}`), []string{"must be a string, number or boolean, got null"}},
		{"Condition not object", cond(`[]`), []string{at + ".Condition: must be an object, got an array"}},

		{"every problem reported", file(user("p1", keyA, secretA, good), user("p2", keyA, "short"), `{"name":"p3","x":1}`),
			[]string{"3 problems", `principal "p2"`, `principal "p3"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse([]byte(tt.in), testAccount)
			if err == nil {
				t.Fatalf("Parse succeeded")
			}
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("error %T is not a *ParseError", err)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q\ndoes not contain %q", err, w)
				}
			}
			for _, s := range []string{secretA, secretB} {
				if strings.Contains(err.Error(), s) {
					t.Errorf("error leaks a secret: %q", err)
				}
			}
		})
	}
}

func TestParseAccountID(t *testing.T) {
	for _, acct := range []string{"", "12345678901", "1234567890123", "00000000000a"} {
		if _, err := Parse([]byte(`{"principals":[]}`), acct); err == nil || !strings.Contains(err.Error(), "must be 12 digits") {
			t.Errorf("account %q: %v", acct, err)
		}
	}
}

func TestParseTooDeep(t *testing.T) {
	in := `{"principals":[` + strings.Repeat("[", 100) + strings.Repeat("]", 100) + `]}`
	if _, err := Parse([]byte(in), testAccount); err == nil || !strings.Contains(err.Error(), "nested too deeply") {
		t.Errorf("deep nesting: %v", err)
	}
}

func TestParseWarnings(t *testing.T) {
	in := file(
		user("p1", keyA, secretA, doc(
			allow(`["bedrock-agentcore:CreatRegistryRecord","s3:GetObject","bedrock-agentcore:Get*"]`, `"*"`),
			allow(`"*"`, `["arn:aws:bedrock-agentcore:us-east-1:111111111111:registry/*","arn:aws:s3:::bucket/*"]`),
			`"Effect":"Allow","NotAction":"s3:*","Resource":"*"`)),
		`{"name":"nokeys"}`)
	cfg, err := Parse([]byte(in), testAccount)
	if err != nil {
		t.Fatal(err)
	}
	got := strings.Join(cfg.Warnings(), "\n")
	for _, w := range []string{
		`principal "p1": principals[0].policies[0].Statement[0].Action[0]: "bedrock-agentcore:CreatRegistryRecord" matches no agentry operation`,
		`Statement[0].Action[1]: "s3:GetObject" matches no agentry operation`,
		`Statement[1].Resource[0]: "arn:aws:bedrock-agentcore:us-east-1:111111111111:registry/*" names account 111111111111, not this registry's account 000000000000`,
		`Statement[1].Resource[1]: "arn:aws:s3:::bucket/*" names service "s3"`,
		`principal "nokeys": principals[1]: has no access keys`,
	} {
		if !strings.Contains(got, w) {
			t.Errorf("warnings lack %q:\n%s", w, got)
		}
	}
	if n := len(cfg.Warnings()); n != 5 {
		t.Errorf("%d warnings, want 5:\n%s", n, got)
	}
}

// A secret pasted into the wrong place must not surface in errors, and no
// way of printing a principal or config may show one.
func TestSecretsNeverPrinted(t *testing.T) {
	misplaced := []string{
		`{"principals":[{"name":"p1","accessKeys":[{"accessKeyId":"` + secretA + `","secretAccessKey":"` + secretB + `"}]}]}`,
		`{"principals":[{"name":"p1","accessKeys":[{"accessKeyId":"AKIAPUBLISHER0001","secretAccessKey":["` + secretA + `"]}]}]}`,
		`{"principals":[{"name":"p1","accessKeys":[{"accessKeyId":"AKIAPUBLISHER0001","secretAccessKey":"` + secretA + ` "}]}]}`,
		`{"principals":[{"name":"p1","accessKeys":[{"accessKeyId":"AKIAPUBLISHER0001","secretAccessKey":"` + secretA + `"}]}],"x":"` + "\x01" + `"}`,
	}
	for _, in := range misplaced {
		_, err := Parse([]byte(in), testAccount)
		if err == nil {
			t.Fatalf("Parse(%s) succeeded", in)
		}
		if strings.Contains(err.Error(), secretA) || strings.Contains(err.Error(), secretB) {
			t.Errorf("error leaks a secret: %v", err)
		}
	}

	cfg, err := Parse([]byte(file(user("p1", keyA, secretA, doc(allow(`"*"`, `"*"`))))), testAccount)
	if err != nil {
		t.Fatal(err)
	}
	p, _, _ := cfg.Lookup(keyA)
	root := Root("AKIAROOT00000000", secretB, testAccount)
	var logs strings.Builder
	log := slog.New(slog.NewTextHandler(&logs, nil))
	log.Info("x", "p", p, "pv", *p, "root", root, "cfg", cfg, "cfgv", *cfg)
	slog.New(slog.NewJSONHandler(&logs, nil)).Info("x", "p", p, "root", *root, "cfg", cfg)
	out := logs.String()
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%d"} {
		out += fmt.Sprintf(verb+" "+verb+" "+verb+" "+verb+" "+verb+"\n", p, *p, root, cfg, *cfg)
	}
	var nilCfg *Config
	out += fmt.Sprint(p, root, cfg, []*Principal{p}, []Principal{*p}, map[string]*Principal{"a": p}, []Config{*cfg}, nilCfg)
	if strings.Contains(out, secretA) || strings.Contains(out, secretB) {
		t.Errorf("output leaks a secret:\n%s", out)
	}
	for _, want := range []string{keyA, "arn:aws:iam::000000000000:user/p1", "redacted", "Principals: 1"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

func TestParseByteOrderMark(t *testing.T) {
	if _, err := Parse([]byte("\ufeff"+briefExample), testAccount); err != nil {
		t.Error(err)
	}
}
