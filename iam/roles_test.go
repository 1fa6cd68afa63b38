package iam

import (
	"net/netip"
	"os"
	"strings"
	"testing"
)

// examples returns the JSON blocks of docs/iam.md keyed by the "## "
// heading above them.
func examples(t *testing.T) map[string][]string {
	t.Helper()
	b, err := os.ReadFile("../docs/iam.md")
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]string{}
	heading := ""
	var block *strings.Builder
	for line := range strings.Lines(string(b)) {
		switch {
		case block != nil && strings.HasPrefix(line, "```"):
			out[heading] = append(out[heading], block.String())
			block = nil
		case block != nil:
			block.WriteString(line)
		case strings.HasPrefix(line, "```json"):
			block = &strings.Builder{}
		case strings.HasPrefix(line, "## "):
			heading = strings.TrimSpace(strings.TrimPrefix(line, "## "))
		}
	}
	return out
}

func TestExamplesParse(t *testing.T) {
	n := 0
	for heading, blocks := range examples(t) {
		for _, b := range blocks {
			n++
			if strings.Contains(b, `"principals"`) {
				cfg, err := Parse([]byte(b), testAccount)
				if err != nil {
					t.Errorf("%s: %v", heading, err)
				} else if w := cfg.Warnings(); len(w) > 0 {
					t.Errorf("%s: warnings %q", heading, w)
				}
				continue
			}
			if _, err := ParsePolicy([]byte(b)); err != nil {
				t.Errorf("%s: %v", heading, err)
			}
		}
	}
	if n < 5 {
		t.Errorf("found %d JSON blocks in docs/iam.md, want at least 5", n)
	}
}

func TestExampleRoles(t *testing.T) {
	ex := examples(t)
	role := func(heading string) *Principal {
		t.Helper()
		if len(ex[heading]) == 0 {
			t.Fatalf("docs/iam.md has no %q policy", heading)
		}
		return principal(t, ex[heading][0])
	}
	const team, other = "q7Xk2LmP9aRt", "Zz9Yy8Xx7Ww6"
	var (
		teamReg  = regARN(team)
		teamRec  = recARN(team, "rec000000001")
		otherReg = regARN(other)
		otherRec = recARN(other, "rec000000002")
		anyReg   = regARN("*")
		office   = netip.MustParseAddr("10.1.2.3")
		outside  = netip.MustParseAddr("203.0.113.5")
	)
	type check struct {
		op, resource string
		want         Decision
	}
	// Requests arrive over TLS from the office unless a check says
	// otherwise through its op suffix.
	tests := []struct {
		role   string
		checks []check
	}{
		{"Publisher", []check{
			{"ListRegistries", anyReg, Allow},
			{"GetRegistry", teamReg, Allow},
			{"GetRegistry", otherReg, Allow},
			{"CreateRegistryRecord", teamReg, Allow},
			{"agent-registry:CreateRegistryRecord", teamReg, Allow},
			{"ListRegistryRecords", teamReg, Allow},
			{"GetRegistryRecord", teamRec, Allow},
			{"UpdateRegistryRecord", teamRec, Allow},
			{"SubmitRegistryRecordForApproval", teamRec, Allow},
			{"CreateRegistryRecord", otherReg, ImplicitDeny},
			{"UpdateRegistryRecord", otherRec, ImplicitDeny},
			{"SubmitRegistryRecordForApproval", otherRec, ImplicitDeny},
			{"CreateRegistry", anyReg, ImplicitDeny},
			{"UpdateRegistry", teamReg, ImplicitDeny},
			{"InvokeRegistryMcp", teamReg, ImplicitDeny},
			{"UpdateRegistryRecordStatus", teamRec, ExplicitDeny},
			{"DeleteRegistryRecord", teamRec, ExplicitDeny},
			{"DeleteRegistry", teamReg, ExplicitDeny},
		}},
		{"Curator", []check{
			{"ListRegistries", anyReg, Allow},
			{"GetRegistry", otherReg, Allow},
			{"ListRegistryRecords", teamReg, Allow},
			{"GetRegistryRecord", otherRec, Allow},
			{"SearchRegistryRecords", teamReg, Allow},
			{"UpdateRegistryRecordStatus", teamRec, Allow},
			{"DeleteRegistryRecord", otherRec, Allow},
			{"UpdateRegistryRecordStatus@outside", teamRec, ImplicitDeny},
			{"UpdateRegistryRecordStatus@noip", teamRec, ImplicitDeny},
			{"GetRegistry@http", teamReg, ExplicitDeny},
			{"CreateRegistry", anyReg, ExplicitDeny},
			{"CreateRegistryRecord", teamReg, ExplicitDeny},
			{"UpdateRegistryRecord", teamRec, ExplicitDeny},
			{"UpdateRegistry", teamReg, ExplicitDeny},
			{"DeleteRegistry", teamReg, ExplicitDeny},
			{"SubmitRegistryRecordForApproval", teamRec, ImplicitDeny},
			{"InvokeRegistryMcp", teamReg, ImplicitDeny},
		}},
		{"Consumer", []check{
			{"ListRegistries", anyReg, Allow},
			{"GetRegistry", teamReg, Allow},
			{"ListRegistryRecords", otherReg, Allow},
			{"GetRegistryRecord", teamRec, Allow},
			{"SearchRegistryRecords", teamReg, Allow},
			{"InvokeRegistryMcp", otherReg, Allow},
			{"agent-registry:InvokeRegistryMcp", otherReg, Allow},
			{"CreateRegistry", anyReg, ExplicitDeny},
			{"CreateRegistryRecord", teamReg, ExplicitDeny},
			{"UpdateRegistryRecord", teamRec, ExplicitDeny},
			{"SubmitRegistryRecordForApproval", teamRec, ExplicitDeny},
			{"UpdateRegistryRecordStatus", teamRec, ExplicitDeny},
			{"DeleteRegistryRecord", teamRec, ExplicitDeny},
			{"DeleteRegistry", teamReg, ExplicitDeny},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.role, func(t *testing.T) {
			p := role(tt.role)
			for _, c := range tt.checks {
				op, variant, _ := strings.Cut(c.op, "@")
				r := Request{Action: op, Resource: c.resource, SecureTransport: true, SourceIP: office, Region: testRegion}
				if !strings.Contains(op, ":") {
					r.Action = act(op)
				}
				switch variant {
				case "outside":
					r.SourceIP = outside
				case "noip":
					r.SourceIP = netip.Addr{}
				case "http":
					r.SecureTransport = false
				}
				if got := p.Authorize(r); got != c.want {
					t.Errorf("%s %s on %s: %v, want %v", tt.role, c.op, c.resource, got, c.want)
				}
			}
		})
	}
}
