package registry

import (
	"errors"
	"strings"
	"testing"
)

func TestNewID(t *testing.T) {
	for _, n := range []int{0, 1, 12, 16, 64, 65, 200} {
		id := NewID(n)
		if len(id) != n {
			t.Errorf("NewID(%d) has length %d", n, len(id))
		}
		if i := strings.IndexFunc(id, func(r rune) bool { return !strings.ContainsRune(idAlphabet, r) }); i >= 0 {
			t.Errorf("NewID(%d) = %q has %q outside the alphabet", n, id, id[i])
		}
	}
}

func TestNewIDUniqueAndUsesWholeAlphabet(t *testing.T) {
	const n = 20000
	seen := make(map[string]bool, n)
	chars := make(map[rune]int)
	for range n {
		id := NewID(12)
		if seen[id] {
			t.Fatalf("NewID(12) repeated %q", id)
		}
		seen[id] = true
		for _, c := range id {
			chars[c]++
		}
	}
	// 240,000 characters over 62 symbols: about 3,870 each. A biased or
	// truncated alphabet shows up as a missing or rare symbol.
	for _, c := range idAlphabet {
		if chars[c] < 3000 {
			t.Errorf("%q appeared %d times in %d ids, want about 3870", c, chars[c], n)
		}
	}
}

var testARNs = ARNs{Region: "us-east-1", AccountID: "123456789012"}

const (
	regID = "abcDEF123456"
	recID = "XYZ987abc654"
)

func TestARNs(t *testing.T) {
	if got, want := testARNs.Registry(regID), "arn:aws:bedrock-agentcore:us-east-1:123456789012:registry/"+regID; got != want {
		t.Errorf("Registry = %q, want %q", got, want)
	}
	if got, want := testARNs.Record(regID, recID), "arn:aws:bedrock-agentcore:us-east-1:123456789012:registry/"+regID+"/record/"+recID; got != want {
		t.Errorf("Record = %q, want %q", got, want)
	}
}

// wantInvalidField fails unless err is a KindInvalid error for field whose
// message contains substr.
func wantInvalidField(t *testing.T, err error, field, substr string) {
	t.Helper()
	var e *Error
	if !errors.As(err, &e) || e.Kind != KindInvalid {
		t.Fatalf("got %v, want an invalid %s", err, field)
	}
	if len(e.Fields) != 1 || e.Fields[0].Name != field || !strings.Contains(e.Fields[0].Message, substr) {
		t.Errorf("got fields %+v, want one for %s containing %q", e.Fields, field, substr)
	}
}

func TestRegistryID(t *testing.T) {
	other := func(region, account string) ARNs { return ARNs{Region: region, AccountID: account} }
	tests := []struct {
		name, in, want, problem string
	}{
		{name: "id", in: regID, want: regID},
		{name: "16-character id", in: "abcdefghijklmnop", want: "abcdefghijklmnop"},
		{name: "ARN", in: testARNs.Registry(regID), want: regID},
		{name: "empty", in: "", problem: "registry id"},
		{name: "too short", in: "abcdefghijk", problem: "registry id"},
		{name: "too long", in: "abcdefghijklmnopq", problem: "registry id"},
		{name: "not alphanumeric", in: "abcdef-12345", problem: "registry id"},
		{name: "ARN in another region", in: other("eu-west-1", "123456789012").Registry(regID), problem: "not an ARN of this server"},
		{name: "ARN of another account", in: other("us-east-1", "210987654321").Registry(regID), problem: "not an ARN of this server"},
		{name: "ARN of another partition", in: strings.Replace(testARNs.Registry(regID), "arn:aws:", "arn:aws-cn:", 1), problem: "not an ARN of this server"},
		{name: "ARN of another service", in: strings.Replace(testARNs.Registry(regID), "bedrock-agentcore", "bedrock", 1), problem: "not an ARN of this server"},
		{name: "record ARN", in: testARNs.Record(regID, recID), problem: "not an ARN of this server"},
		{name: "ARN with trailing slash", in: testARNs.Registry(regID) + "/", problem: "not an ARN of this server"},
		{name: "ARN with a bad id", in: testARNs.Registry("short"), problem: "registry id"},
		{name: "ARN without an id", in: testARNs.Registry(""), problem: "registry id"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := testARNs.RegistryID("registryId", tt.in)
			if tt.problem != "" {
				wantInvalidField(t, err, "registryId", tt.problem)
				return
			}
			if err != nil || got != tt.want {
				t.Errorf("RegistryID(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
			}
		})
	}
}

func TestRecordID(t *testing.T) {
	tests := []struct {
		name, in, want, problem string
	}{
		{name: "id", in: recID, want: recID},
		{name: "ARN", in: testARNs.Record(regID, recID), want: recID},
		{name: "empty", in: "", problem: "record id"},
		{name: "too long", in: recID + "a", problem: "record id"},
		{name: "too short", in: recID[1:], problem: "record id"},
		{name: "not alphanumeric", in: "XYZ987abc65_", problem: "record id"},
		{name: "ARN of another registry", in: testARNs.Record("otherREG1234", recID), problem: `registry "otherREG1234", but the request is for registry "` + regID + `"`},
		{name: "ARN in another region", in: ARNs{Region: "eu-west-1", AccountID: "123456789012"}.Record(regID, recID), problem: "not an ARN of this server"},
		{name: "ARN of another account", in: ARNs{Region: "us-east-1", AccountID: "210987654321"}.Record(regID, recID), problem: "not an ARN of this server"},
		{name: "registry ARN", in: testARNs.Registry(regID), problem: "not an ARN of this server"},
		{name: "ARN with extra path", in: testARNs.Record(regID, recID) + "/x", problem: "not an ARN of this server"},
		{name: "ARN with a bad id", in: testARNs.Record(regID, "short"), problem: "record id"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := testARNs.RecordID("recordId", regID, tt.in)
			if tt.problem != "" {
				wantInvalidField(t, err, "recordId", tt.problem)
				return
			}
			if err != nil || got != tt.want {
				t.Errorf("RecordID(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
			}
		})
	}
}

func TestBadARNMessageIsBounded(t *testing.T) {
	long := "arn:aws:elsewhere:" + strings.Repeat("x", 5000)
	_, err := testARNs.RegistryID("registryId", long)
	wantInvalidField(t, err, "registryId", "...")
	if n := len(err.Error()); n > 500 {
		t.Errorf("message is %d bytes; a huge input should be cut short", n)
	}
}
