package registry

import (
	"crypto/rand"
	"regexp"
	"strings"
)

const idAlphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"

// NewID returns n cryptographically random alphanumeric characters.
func NewID(n int) string {
	b := make([]byte, n)
	// 62 does not divide 256: reject bytes >= 248 so every character is
	// equally likely.
	var buf [64]byte
	for i := 0; i < n; {
		rand.Read(buf[:])
		for _, c := range buf {
			if c < 248 && i < n {
				b[i] = idAlphabet[int(c)%len(idAlphabet)]
				i++
			}
		}
	}
	return string(b)
}

var (
	registryIDPattern = regexp.MustCompile(`^[a-zA-Z0-9]{12,16}$`)
	recordIDPattern   = regexp.MustCompile(`^[a-zA-Z0-9]{12}$`)
)

// ARNs builds and parses the ARNs of one region and account.
type ARNs struct {
	Region    string
	AccountID string
	// Namespace is the ARNs' service: "" (bedrock-agentcore, the preview
	// API's) or NamespaceGA. Each API accepts and shows only its own.
	Namespace string
}

// NamespaceGA is the ARN namespace of the GA AWS Agent Registry API.
const NamespaceGA = "agent-registry"

// GA returns a's ARNs in the GA API's namespace.
func (a ARNs) GA() ARNs { a.Namespace = NamespaceGA; return a }

func (a ARNs) prefix() string {
	ns := a.Namespace
	if ns == "" {
		ns = "bedrock-agentcore"
	}
	return "arn:aws:" + ns + ":" + a.Region + ":" + a.AccountID + ":registry/"
}

// Registry returns the ARN of a registry.
func (a ARNs) Registry(registryID string) string { return a.prefix() + registryID }

// Record returns the ARN of a record.
func (a ARNs) Record(registryID, recordID string) string {
	return a.prefix() + registryID + "/record/" + recordID
}

// RegistryID accepts a registry id or ARN and returns the id. field names
// the parameter in the error.
func (a ARNs) RegistryID(field, s string) (string, error) {
	id := s
	if strings.HasPrefix(s, "arn:") {
		rest, ok := strings.CutPrefix(s, a.prefix())
		if !ok || strings.Contains(rest, "/") {
			return "", a.badARN(field, s, "registry/{registryId}")
		}
		id = rest
	}
	if !registryIDPattern.MatchString(id) {
		return "", invalid(field, "must be a registry id (12 to 16 letters and digits) or a registry ARN")
	}
	return id, nil
}

// RecordID accepts a record id or ARN and returns the id. A record ARN must
// belong to registryID.
func (a ARNs) RecordID(field, registryID, s string) (string, error) {
	id := s
	if strings.HasPrefix(s, "arn:") {
		rest, ok := strings.CutPrefix(s, a.prefix())
		reg, rec, found := strings.Cut(rest, "/record/")
		if !ok || !found || strings.Contains(rec, "/") {
			return "", a.badARN(field, s, "registry/{registryId}/record/{recordId}")
		}
		if reg != registryID {
			return "", invalid(field, "the record ARN names registry %q, but the request is for registry %q", reg, registryID)
		}
		id = rec
	}
	if !recordIDPattern.MatchString(id) {
		return "", invalid(field, "must be a record id (12 letters and digits) or a record ARN")
	}
	return id, nil
}

func (a ARNs) badARN(field, s, shape string) error {
	if len(s) > 300 {
		s = s[:300] + "..."
	}
	return invalid(field, "%q is not an ARN of this server; expected %s%s", s, a.prefix(), shape)
}
