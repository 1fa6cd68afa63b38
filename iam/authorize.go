package iam

import (
	"net/netip"
	"strconv"
	"strings"
	"time"
)

// Request is what a principal asks to do, with the context that condition
// keys read.
type Request struct {
	// Action is "bedrock-agentcore:<Operation>"; the "agent-registry:"
	// prefix is accepted as an alias.
	Action string
	// Resource is the ARN acted on, e.g.
	// arn:aws:bedrock-agentcore:us-east-1:000000000000:registry/r-1.
	Resource string

	SourceIP        netip.Addr // aws:SourceIp; the zero Addr means absent
	SecureTransport bool       // aws:SecureTransport; always present
	CurrentTime     time.Time  // aws:CurrentTime; zero means time.Now()
	PrincipalARN    string     // aws:PrincipalArn; "" means the principal's own ARN
	Region          string     // aws:RequestedRegion; "" means absent
}

// Decision is the outcome of evaluating a request. The zero value denies.
type Decision int

const (
	// ImplicitDeny: no statement allowed the request.
	ImplicitDeny Decision = iota
	// Allow: a statement allowed it and none denied it.
	Allow
	// ExplicitDeny: a Deny statement matched; no Allow can override it.
	ExplicitDeny
)

func (d Decision) String() string {
	switch d {
	case Allow:
		return "Allow"
	case ImplicitDeny:
		return "ImplicitDeny"
	case ExplicitDeny:
		return "ExplicitDeny"
	}
	return "Decision(?)"
}

// Allowed reports whether d is Allow.
func (d Decision) Allowed() bool { return d == Allow }

// Authorize evaluates req against the principal's policies with IAM
// semantics: an explicit Deny wins, otherwise any Allow allows, otherwise
// the request is implicitly denied. The root principal is always allowed.
// A nil principal is denied. Authorize does not allocate.
func (p *Principal) Authorize(req Request) Decision {
	d, _, _ := p.AuthorizeMatch(req)
	return d
}

// Match names the statement that decided a request: for the audit trail,
// which says which statement denied a call.
type Match struct {
	Policy    int    // the policy's index in Principal.Policies
	PolicyID  string // the policy document's Id, "" when it has none
	Statement int    // the statement's index in the document's Statement array
	Sid       string // the statement's Sid, "" when it has none
}

// String names the statement as a path in the principal's policies, and
// its Sid and the policy's Id when they have them, e.g.
// policies[1].Statement[0] (Sid "NoDeletes").
func (m Match) String() string {
	s := "policies[" + strconv.Itoa(m.Policy) + "].Statement[" + strconv.Itoa(m.Statement) + "]"
	switch {
	case m.Sid != "" && m.PolicyID != "":
		s += " (Sid " + strconv.Quote(m.Sid) + " of policy Id " + strconv.Quote(m.PolicyID) + ")"
	case m.Sid != "":
		s += " (Sid " + strconv.Quote(m.Sid) + ")"
	case m.PolicyID != "":
		s += " (of policy Id " + strconv.Quote(m.PolicyID) + ")"
	}
	return s
}

// AuthorizeMatch is Authorize, and for Allow or ExplicitDeny the statement
// that decided (ok false for an implicit deny, and for the root
// principal, which no statement allows). It does not allocate.
func (p *Principal) AuthorizeMatch(req Request) (d Decision, m Match, ok bool) {
	if p == nil {
		return ImplicitDeny, Match{}, false
	}
	if p.root {
		return Allow, Match{}, false
	}
	r := newReqCtx(&req, p.ARN)
	return p.decide(&r)
}

func (p *Principal) decide(r *reqCtx) (Decision, Match, bool) {
	// Deny statements first, across all policies, so that the first match
	// of either kind is final.
	for i := range p.Policies {
		pol := &p.Policies[i]
		for j := range pol.deny {
			if pol.deny[j].applies(r) {
				return ExplicitDeny, Match{Policy: i, PolicyID: pol.id, Statement: pol.deny[j].index, Sid: pol.deny[j].sid}, true
			}
		}
	}
	for i := range p.Policies {
		pol := &p.Policies[i]
		for j := range pol.allow {
			if pol.allow[j].applies(r) {
				return Allow, Match{Policy: i, PolicyID: pol.id, Statement: pol.allow[j].index, Sid: pol.allow[j].sid}, true
			}
		}
	}
	return ImplicitDeny, Match{}, false
}

// DenyMessage is the AccessDeniedException message AWS gives when no
// policy allows the request (an implicit deny).
func DenyMessage(principalARN, action, resource string) string {
	return "User: " + principalARN + " is not authorized to perform: " + action + " on resource: " + resource
}

// ExplicitDenyMessage is the AccessDeniedException message AWS gives when
// a Deny statement matched.
func ExplicitDenyMessage(principalARN, action, resource string) string {
	return DenyMessage(principalARN, action, resource) + " with an explicit deny in an identity-based policy"
}

// reqCtx is a Request prepared once per evaluation: the action split at
// its colon, the address unmapped, defaults filled in.
type reqCtx struct {
	service    string
	operation  string
	hasService bool
	agentCore  bool // service is bedrock-agentcore or its alias
	resource   string

	ip           netip.Addr
	hasIP        bool
	secure       bool
	now          time.Time
	hasTime      bool
	principalARN string
	region       string
}

func newActionCtx(action string) reqCtx {
	var r reqCtx
	r.service, r.operation, r.hasService = strings.Cut(action, ":")
	r.agentCore = r.hasService && isAgentCore(r.service)
	return r
}

func newReqCtx(req *Request, principalARN string) reqCtx {
	r := newActionCtx(req.Action)
	r.resource = canonicalResource(req.Resource)
	if req.SourceIP.IsValid() {
		// A dual-stack listener reports IPv4 clients as ::ffff:a.b.c.d.
		r.ip, r.hasIP = req.SourceIP.Unmap().WithZone(""), true
	}
	r.secure = req.SecureTransport
	r.now, r.hasTime = req.CurrentTime, true
	if r.now.IsZero() {
		r.now = time.Now()
	}
	r.principalARN = req.PrincipalARN
	if r.principalARN == "" {
		r.principalARN = principalARN
	}
	r.region = req.Region
	return r
}

func (r *reqCtx) has(k condKey) bool {
	switch k {
	case keySourceIP:
		return r.hasIP
	case keySecureTransport:
		return true
	case keyCurrentTime:
		return r.hasTime
	case keyPrincipalARN:
		return r.principalARN != ""
	case keyRequestedRegion:
		return r.region != ""
	}
	return false
}

// str is the value of a string-typed key.
func (r *reqCtx) str(k condKey) string {
	if k == keyPrincipalARN {
		return r.principalARN
	}
	return r.region
}
