package registry

import "time"

// AuditEntry is one call in the audit trail: who did what to which
// resource, from where, and how it ended. It names the fields a call
// changed, never their values, and never a secret.
type AuditEntry struct {
	Seq         int64 // assigned by the store
	At          time.Time
	RequestID   string
	Operation   string
	Principal   string // the caller's ARN; "" when it was not authenticated
	AccessKeyID string
	SourceIP    string
	Resource    string
	// Outcome is "allowed" (it succeeded), "denied" (authentication or
	// authorization refused it) or "failed" (it was allowed and failed).
	Outcome string
	Status  int
	Error   string // the AWS error name of a failure
	// Denial is "explicit" when a policy statement denied the call,
	// "implicit" when none allowed it.
	Denial  string
	Changed []string // the top-level fields a changing call sent
	// DeniedBy names the policy statement that denied the call explicitly
	// (iam.Match.String, e.g. policies[1].Statement[0] (Sid "NoDeletes")),
	// "" otherwise.
	DeniedBy string
}

// AuditQuery selects audit entries, oldest first. Zero fields select any.
type AuditQuery struct {
	From, To  time.Time // From <= At < To
	Principal string
	Resource  string // exact, or a prefix ending in "*"
	Operation string
	AfterSeq  int64 // keyset: entries after this one
	Limit     int
}
