package iam

import "strings"

// Policy is a compiled identity-based policy document. Build one with
// ParsePolicy (or through Parse); the zero Policy grants nothing.
type Policy struct {
	id    string
	deny  []statement // checked first: any match is final
	allow []statement
}

// ID returns the document's optional Id element.
func (p Policy) ID() string { return p.id }

// statement is one compiled Statement.
type statement struct {
	sid         string
	index       int // in the document's Statement array
	notAction   bool
	actions     []actionPattern
	notResource bool
	resources   []pattern
	conds       []condition
}

// applies reports whether the statement covers the request: its action,
// its resource and every condition.
func (s *statement) applies(r *reqCtx) bool {
	hit := false
	for i := range s.actions {
		if s.actions[i].match(r) {
			hit = true
			break
		}
	}
	if hit == s.notAction {
		return false
	}
	hit = false
	for i := range s.resources {
		if s.resources[i].match(r.resource) {
			hit = true
			break
		}
	}
	if hit == s.notResource {
		return false
	}
	for i := range s.conds {
		if !s.conds[i].eval(r) {
			return false
		}
	}
	return true
}

// ParsePolicy parses and compiles one IAM policy document, rejecting
// unknown fields and anything this evaluator would not honour exactly.
func ParsePolicy(data []byte) (Policy, error) {
	v, err := decodeJSON(data)
	if err != nil {
		return Policy{}, &ParseError{Problems: []string{err.Error()}}
	}
	c := &checker{}
	p := c.policy(v, "")
	if err := c.err(); err != nil {
		return Policy{}, err
	}
	return p, nil
}

const (
	version2012 = "2012-10-17"
	version2008 = "2008-10-17"
)

func (c *checker) policy(v *value, path string) Policy {
	var p Policy
	m := c.object(v, path, "Version", "Id", "Statement")
	if m == nil {
		return p
	}
	// Without a Version AWS applies 2008-10-17, in which "${" is literal.
	vars := false
	if vv := m["Version"]; vv != nil {
		if s, ok := c.str(vv, field(path, "Version")); ok {
			switch s {
			case version2012:
				vars = true
			case version2008:
			default:
				c.errorf(field(path, "Version"), "must be %q or %q, got %q", version2012, version2008, s)
			}
		}
	}
	if iv := m["Id"]; iv != nil {
		p.id, _ = c.str(iv, field(path, "Id"))
	}
	sv := m["Statement"]
	stPath := field(path, "Statement")
	var stmts []*value
	var paths []string
	switch {
	case sv == nil:
		c.errorf(orRoot(path), "missing required field \"Statement\"")
	case sv.kind == kindObject:
		stmts, paths = []*value{sv}, []string{stPath}
	case sv.kind == kindArray && len(sv.elems) == 0:
		c.errorf(stPath, "must not be empty")
	case sv.kind == kindArray:
		stmts = sv.elems
		for i := range stmts {
			paths = append(paths, index(stPath, i))
		}
	default:
		c.errorf(stPath, "must be an object or an array of objects, got %s", sv.kind)
	}
	sids := map[string]string{}
	for i, sv := range stmts {
		s, deny, ok := c.statement(sv, paths[i], vars)
		if !ok {
			continue
		}
		s.index = i
		if s.sid != "" {
			if prev, dup := sids[s.sid]; dup {
				c.errorf(paths[i], "Sid %q is already used by %s; Sids must be unique within a policy", s.sid, prev)
			}
			sids[s.sid] = paths[i]
		}
		if deny {
			p.deny = append(p.deny, s)
		} else {
			p.allow = append(p.allow, s)
		}
	}
	return p
}

func (c *checker) statement(v *value, path string, vars bool) (s statement, deny, ok bool) {
	m := c.object(v, path, "Sid", "Effect", "Action", "NotAction", "Resource", "NotResource", "Condition", "Principal", "NotPrincipal")
	if m == nil {
		return s, false, false
	}
	before := len(c.problems)
	if sv := m["Sid"]; sv != nil {
		if sid, ok := c.str(sv, field(path, "Sid")); ok {
			if !validSid(sid) {
				c.errorf(field(path, "Sid"), "%q must contain only letters and digits", sid)
			}
			s.sid = sid
		}
	}
	for _, k := range []string{"Principal", "NotPrincipal"} {
		if m[k] != nil {
			c.errorf(field(path, k), "not allowed in an identity-based policy; the policy applies to the principal it is attached to")
		}
	}
	switch ev := m["Effect"]; {
	case ev == nil:
		c.errorf(path, "missing required field \"Effect\"")
	default:
		if e, ok := c.str(ev, field(path, "Effect")); ok {
			switch e {
			case "Allow":
			case "Deny":
				deny = true
			default:
				c.errorf(field(path, "Effect"), "must be \"Allow\" or \"Deny\", got %q", e)
			}
		}
	}

	key, list := c.exactlyOne(m, path, "Action", "NotAction")
	s.notAction = key == "NotAction"
	for i, a := range list {
		p := elemPath(field(path, key), m[key], i)
		if !validAction(a) {
			c.errorf(p, "%q is not an action: want \"*\" or \"service:Operation\", e.g. \"bedrock-agentcore:GetRegistry\"", a)
			continue
		}
		ap := compileAction(a)
		if !s.notAction && !ap.matchesAnyOperation() {
			c.warnf(p, "%q matches no agentry operation, so it has no effect here", a)
		}
		s.actions = append(s.actions, ap)
	}

	key, list = c.exactlyOne(m, path, "Resource", "NotResource")
	s.notResource = key == "NotResource"
	for i, r := range list {
		p := elemPath(field(path, key), m[key], i)
		switch {
		case vars && strings.Contains(r, "${"):
			c.errorf(p, "policy variables such as %q are not supported", r)
		case r != "*" && !validARN(r):
			c.errorf(p, "%q is not an ARN (arn:partition:service:region:account-id:resource) or \"*\"", r)
		default:
			c.resourceWarnings(p, r)
			s.resources = append(s.resources, compilePattern(canonicalResource(r), false))
		}
	}

	if cv := m["Condition"]; cv != nil {
		s.conds = c.conditions(cv, field(path, "Condition"), vars)
	}
	return s, deny, len(c.problems) == before
}

// exactly one of the two elements must be present, as IAM requires.
func (c *checker) exactlyOne(m map[string]*value, path, a, notA string) (string, []string) {
	switch {
	case m[a] != nil && m[notA] != nil:
		c.errorf(path, "has both %q and %q; use one", a, notA)
		return a, nil
	case m[a] != nil:
		return a, c.nonEmpty(c.strings(m[a], field(path, a)), field(path, a))
	case m[notA] != nil:
		return notA, c.nonEmpty(c.strings(m[notA], field(path, notA)), field(path, notA))
	}
	c.errorf(path, "missing required field %q (or %q)", a, notA)
	return a, nil
}

func (c *checker) nonEmpty(list []string, path string) []string {
	for _, s := range list {
		if s == "" {
			c.errorf(path, "must not contain an empty string")
			return nil
		}
	}
	return list
}

func elemPath(path string, v *value, i int) string {
	if v != nil && v.kind == kindArray {
		return index(path, i)
	}
	return path
}

// resourceWarnings flags resources that can never match in this registry:
// another service's ARN or another account's.
func (c *checker) resourceWarnings(path, r string) {
	if r == "*" {
		return
	}
	parts := strings.SplitN(r, ":", 6)
	if svc := parts[2]; !strings.ContainsAny(svc, "*?") && svc != servicePrefix && svc != aliasPrefix {
		c.warnf(path, "%q names service %q; agentry resources are %s ARNs, so it matches nothing here", r, svc, servicePrefix)
		return
	}
	if acct := parts[4]; c.accountID != "" && !strings.ContainsAny(acct, "*?") && acct != c.accountID {
		c.warnf(path, "%q names account %s, not this registry's account %s, so it matches nothing here", r, acct, c.accountID)
	}
}

// validARN checks the ARN shape arn:partition:service:region:account:resource.
// Wildcards are allowed in every segment; the resource may contain colons.
func validARN(s string) bool {
	parts := strings.SplitN(s, ":", 6)
	if len(parts) != 6 || parts[0] != "arn" || parts[1] == "" || parts[2] == "" || parts[5] == "" {
		return false
	}
	for _, seg := range parts[1:5] {
		for i := 0; i < len(seg); i++ {
			c := seg[i]
			if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '*' || c == '?') {
				return false
			}
		}
	}
	return true
}

// validAction accepts "*" and service:operation with IAM's character set
// plus wildcards.
func validAction(s string) bool {
	if s == "*" {
		return true
	}
	svc, op, ok := strings.Cut(s, ":")
	if !ok || svc == "" || op == "" {
		return false
	}
	for _, part := range []string{svc, op} {
		for i := 0; i < len(part); i++ {
			c := part[i]
			if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '*' || c == '?') {
				return false
			}
		}
	}
	return true
}

func validSid(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

// operations lists the actions agentry authorizes, without the service
// prefix; a policy Action that matches none of them is reported as a
// warning since it can only be a typo or another service's action.
var operations = []string{
	"CreateRegistry", "GetRegistry", "ListRegistries", "UpdateRegistry", "DeleteRegistry",
	"CreateRegistryRecord", "GetRegistryRecord", "ListRegistryRecords", "UpdateRegistryRecord",
	"DeleteRegistryRecord", "SubmitRegistryRecordForApproval", "UpdateRegistryRecordStatus",
	"SearchRegistryRecords", "InvokeRegistryMcp", "ListRegistryMcpServers",
}

func (a *actionPattern) matchesAnyOperation() bool {
	for _, op := range operations {
		r := newActionCtx(servicePrefix + ":" + op)
		if a.match(&r) {
			return true
		}
	}
	return false
}
