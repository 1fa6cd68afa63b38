package iam

import (
	"fmt"
	"io"
	"log/slog"
	"regexp"
	"strings"
)

// Principal is an identity that signs requests with its access keys and is
// authorized by its policies.
//
// Its String, Format and LogValue methods never print secret keys; they use
// value receivers so that printing a Principal value is as safe as
// printing a pointer.
type Principal struct {
	Name     string
	ARN      string // arn:aws:iam::{account}:user/{name}, or :root
	Policies []Policy

	root bool
	keys []accessKey
}

type accessKey struct {
	id     string
	secret string
}

// Root returns the account's root principal, which may do everything,
// as in AWS. Its key comes from outside the principals file.
func Root(accessKeyID, secret, accountID string) *Principal {
	return &Principal{
		Name: "root",
		ARN:  "arn:aws:iam::" + accountID + ":root",
		root: true,
		keys: []accessKey{{accessKeyID, secret}},
	}
}

// IsRoot reports whether p is the root principal.
func (p *Principal) IsRoot() bool { return p != nil && p.root }

// AccessKeyIDs returns the principal's access key ids (never the secrets).
func (p *Principal) AccessKeyIDs() []string {
	ids := make([]string, len(p.keys))
	for i, k := range p.keys {
		ids[i] = k.id
	}
	return ids
}

// String returns the principal's ARN.
func (p Principal) String() string { return p.ARN }

// Format prints the ARN for %v and %s, and for %+v and %#v a summary with
// the access key ids; secrets are never printed, whatever the verb.
func (p Principal) Format(f fmt.State, verb rune) {
	switch {
	case verb == 'q':
		fmt.Fprintf(f, "%q", p.ARN)
	case verb == 'v' && (f.Flag('+') || f.Flag('#')):
		fmt.Fprintf(f, "iam.Principal{Name: %q, ARN: %q, AccessKeyIDs: %q, Policies: %d, SecretAccessKeys: redacted}",
			p.Name, p.ARN, p.AccessKeyIDs(), len(p.Policies))
	default:
		io.WriteString(f, p.ARN)
	}
}

// LogValue logs the name, ARN and access key ids.
func (p Principal) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("name", p.Name),
		slog.String("arn", p.ARN),
		slog.Any("accessKeyIds", p.AccessKeyIDs()),
	)
}

// Config is a parsed, validated principals file. It is immutable, so one
// may be shared by any number of goroutines.
type Config struct {
	accountID  string
	principals []*Principal
	byKey      map[string]accessKeyOwner
	warnings   []string
}

type accessKeyOwner struct {
	p      *Principal
	secret string
}

// Lookup finds the principal owning an access key, with its secret for
// signature verification. A nil Config has no principals.
func (c *Config) Lookup(accessKeyID string) (p *Principal, secret string, ok bool) {
	if c == nil {
		return nil, "", false
	}
	o, ok := c.byKey[accessKeyID]
	return o.p, o.secret, ok
}

// Principals returns the file's principals in file order.
func (c *Config) Principals() []*Principal {
	if c == nil {
		return nil
	}
	return append([]*Principal(nil), c.principals...)
}

// Principal returns the principal with the given name.
func (c *Config) Principal(name string) (*Principal, bool) {
	if c == nil {
		return nil, false
	}
	for _, p := range c.principals {
		if p.Name == name {
			return p, true
		}
	}
	return nil, false
}

// Warnings lists things that are valid but almost certainly mistakes, such
// as an Action matching no agentry operation or a Resource in another
// account. They name the principal and path like errors do.
func (c *Config) Warnings() []string {
	if c == nil {
		return nil
	}
	return append([]string(nil), c.warnings...)
}

// String summarises the config without any key material. Like Format it
// has a value receiver, so a copied Config prints as safely as a pointer.
func (c Config) String() string {
	return fmt.Sprintf("iam.Config{Account: %s, Principals: %d, AccessKeys: %d}", c.accountID, len(c.principals), len(c.byKey))
}

// Format keeps fmt from dumping the key map, whatever the verb.
func (c Config) Format(f fmt.State, verb rune) { io.WriteString(f, c.String()) }

var (
	namePattern      = regexp.MustCompile(`^[A-Za-z0-9+=,.@_-]{1,64}$`)
	accountPattern   = regexp.MustCompile(`^[0-9]{12}$`)
	accessKeyPattern = regexp.MustCompile(`^[A-Z0-9]{16,128}$`)
)

// minSecretLen matches the root credentials' rule.
const minSecretLen = 16

// Parse decodes and validates a principals file for the given 12-digit
// account id, compiling every policy. Unknown fields are rejected; the
// error is a *ParseError listing every problem, and never quotes a secret.
func Parse(data []byte, accountID string) (*Config, error) {
	if !accountPattern.MatchString(accountID) {
		return nil, &ParseError{Problems: []string{fmt.Sprintf("account id %q must be 12 digits", accountID)}}
	}
	v, err := decodeJSON(data)
	if err != nil {
		return nil, &ParseError{Problems: []string{err.Error()}}
	}
	c := &checker{accountID: accountID}
	cfg := &Config{accountID: accountID, byKey: map[string]accessKeyOwner{}}
	m := c.object(v, "", "principals")
	if m == nil {
		return nil, c.err()
	}
	pv := m["principals"]
	switch {
	case pv == nil:
		c.errorf("document", "missing required field \"principals\"")
	case pv.kind != kindArray:
		c.errorf("principals", "must be an array, got %s", pv.kind)
	default:
		keyOwner := map[string]string{} // access key id -> principal name (or path)
		names := map[string]bool{}
		for i, e := range pv.elems {
			if p := c.principal(e, index("principals", i), accountID, keyOwner, names); p != nil {
				cfg.principals = append(cfg.principals, p)
				for _, k := range p.keys {
					cfg.byKey[k.id] = accessKeyOwner{p, k.secret}
				}
			}
		}
	}
	if err := c.err(); err != nil {
		return nil, err
	}
	cfg.warnings = c.warnings
	return cfg, nil
}

func (c *checker) principal(v *value, path, accountID string, keyOwner map[string]string, names map[string]bool) *Principal {
	c.who = ""
	defer func() { c.who = "" }()
	// Name the principal before anything else is checked, so every
	// problem, even an unknown field, says whose it is.
	if v.kind == kindObject {
		for _, mem := range v.members {
			if mem.key == "name" && mem.val.kind == kindString && namePattern.MatchString(mem.val.str) {
				c.who = fmt.Sprintf("principal %q", mem.val.str)
			}
		}
	}
	m := c.object(v, path, "name", "accessKeys", "policies")
	if m == nil {
		return nil
	}
	before := len(c.problems)
	p := &Principal{}
	if nv := m["name"]; nv == nil {
		c.errorf(path, "missing required field \"name\"")
	} else if name, ok := c.str(nv, path+".name"); ok {
		if !namePattern.MatchString(name) {
			c.errorf(path+".name", "%q must be 1 to 64 characters from A-Z a-z 0-9 + = , . @ _ -", name)
		} else {
			if names[name] {
				c.errorf(path+".name", "duplicate principal name")
			}
			names[name] = true
			p.Name = name
			p.ARN = "arn:aws:iam::" + accountID + ":user/" + name
		}
	}

	owner := p.Name
	if owner == "" {
		owner = path
	}
	if kv := m["accessKeys"]; kv != nil {
		kp := path + ".accessKeys"
		if kv.kind != kindArray {
			c.errorf(kp, "must be an array, got %s", kv.kind)
		}
		for i, e := range kv.elems {
			if k, ok := c.accessKey(e, index(kp, i), owner, keyOwner); ok {
				p.keys = append(p.keys, k)
			}
		}
	}
	if len(p.keys) == 0 && len(c.problems) == before {
		c.warnf(path, "has no access keys, so it cannot sign requests")
	}

	if pv := m["policies"]; pv != nil {
		pp := path + ".policies"
		if pv.kind != kindArray {
			c.errorf(pp, "must be an array of policy documents, got %s", pv.kind)
		}
		for i, e := range pv.elems {
			p.Policies = append(p.Policies, c.policy(e, index(pp, i)))
		}
	}
	if len(c.problems) != before {
		return nil
	}
	return p
}

// accessKey validates one key. Neither value is ever quoted in a problem:
// a secret pasted into the wrong field must not end up in a log.
func (c *checker) accessKey(v *value, path, owner string, keyOwner map[string]string) (accessKey, bool) {
	m := c.object(v, path, "accessKeyId", "secretAccessKey")
	if m == nil {
		return accessKey{}, false
	}
	var k accessKey
	ok := true
	if iv := m["accessKeyId"]; iv == nil {
		c.errorf(path, "missing required field \"accessKeyId\"")
		ok = false
	} else if iv.kind != kindString || !accessKeyPattern.MatchString(iv.str) {
		c.errorf(path+".accessKeyId", "must be 16 to 128 upper-case letters and digits")
		ok = false
	} else {
		k.id = iv.str
		if prev, dup := keyOwner[k.id]; dup {
			if prev == owner {
				c.errorf(path+".accessKeyId", "access key id %s is listed twice for this principal", k.id)
			} else {
				c.errorf(path+".accessKeyId", "access key id %s is already used by principal %q", k.id, prev)
			}
			ok = false
		}
		keyOwner[k.id] = owner
	}
	if sv := m["secretAccessKey"]; sv == nil {
		c.errorf(path, "missing required field \"secretAccessKey\"")
		ok = false
	} else if sv.kind != kindString || len(sv.str) < minSecretLen || strings.TrimSpace(sv.str) != sv.str {
		c.errorf(path+".secretAccessKey", "must be a string of at least %d characters without surrounding spaces", minSecretLen)
		ok = false
	} else {
		k.secret = sv.str
	}
	return k, ok
}
