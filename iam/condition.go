package iam

import (
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"time"
)

// condKey is a supported global condition key.
type condKey uint8

const (
	keySourceIP condKey = iota
	keySecureTransport
	keyCurrentTime
	keyPrincipalARN
	keyRequestedRegion
)

// keyType is the value type of a condition key, which decides the
// operators it may be used with.
type keyType uint8

const (
	typeString keyType = iota
	typeARN
	typeIP
	typeBool
	typeDate
)

var keyInfo = [...]struct {
	name string
	typ  keyType
}{
	keySourceIP:        {"aws:SourceIp", typeIP},
	keySecureTransport: {"aws:SecureTransport", typeBool},
	keyCurrentTime:     {"aws:CurrentTime", typeDate},
	keyPrincipalARN:    {"aws:PrincipalArn", typeARN},
	keyRequestedRegion: {"aws:RequestedRegion", typeString},
}

// condKeys maps lower-cased key names: IAM condition key names are
// case-insensitive.
var condKeys = func() map[string]condKey {
	m := make(map[string]condKey, len(keyInfo))
	for k, info := range keyInfo {
		m[strings.ToLower(info.name)] = condKey(k)
	}
	return m
}()

const supportedKeys = "aws:CurrentTime, aws:PrincipalArn, aws:RequestedRegion, aws:SecureTransport, aws:SourceIp"

type opKind uint8

const (
	opStringEquals opKind = iota
	opStringEqualsIgnoreCase
	opStringLike
	opArnLike // ArnEquals and ArnLike behave identically in IAM
	opBool
	opIPAddress
	opDateEquals
	opDateLessThan
	opDateLessThanEquals
	opDateGreaterThan
	opDateGreaterThanEquals
	opNull
)

type opSpec struct {
	op     opKind
	negate bool
	types  []keyType // key types the operator applies to
}

var (
	stringTypes = []keyType{typeString, typeARN}
	arnTypes    = []keyType{typeARN}
	ipTypes     = []keyType{typeIP}
	boolTypes   = []keyType{typeBool}
	dateTypes   = []keyType{typeDate}
)

// operators maps lower-cased operator names; matching them
// case-insensitively costs nothing and forgives a typo's capitalisation.
var operators = map[string]opSpec{
	"stringequals":              {opStringEquals, false, stringTypes},
	"stringnotequals":           {opStringEquals, true, stringTypes},
	"stringequalsignorecase":    {opStringEqualsIgnoreCase, false, stringTypes},
	"stringnotequalsignorecase": {opStringEqualsIgnoreCase, true, stringTypes},
	"stringlike":                {opStringLike, false, stringTypes},
	"stringnotlike":             {opStringLike, true, stringTypes},
	"arnequals":                 {opArnLike, false, arnTypes},
	"arnnotequals":              {opArnLike, true, arnTypes},
	"arnlike":                   {opArnLike, false, arnTypes},
	"arnnotlike":                {opArnLike, true, arnTypes},
	"bool":                      {opBool, false, boolTypes},
	"ipaddress":                 {opIPAddress, false, ipTypes},
	"notipaddress":              {opIPAddress, true, ipTypes},
	"dateequals":                {opDateEquals, false, dateTypes},
	"datenotequals":             {opDateEquals, true, dateTypes},
	"datelessthan":              {opDateLessThan, false, dateTypes},
	"datelessthanequals":        {opDateLessThanEquals, false, dateTypes},
	"dategreaterthan":           {opDateGreaterThan, false, dateTypes},
	"dategreaterthanequals":     {opDateGreaterThanEquals, false, dateTypes},
	"null":                      {opNull, false, nil},
}

// awsOnly lists AWS operator families agentry does not implement, so a
// policy using one gets a precise message rather than "unknown".
var awsOnly = []string{"numeric", "binaryequals"}

// condition is one key of one operator block, compiled.
type condition struct {
	op       opKind
	key      condKey
	negate   bool // the Not form: true when no value matches
	ifExists bool // ...IfExists: true when the key is absent
	forAll   bool // ForAllValues: true when the key is absent
	forAny   bool // ForAnyValue: false when the key is absent, even negated
	strs     []string
	pats     []pattern
	prefixes []netip.Prefix
	times    []time.Time
	wantT    bool // Bool/Null: "true" is among the values
	wantF    bool // Bool/Null: "false" is among the values
}

// eval applies IAM's rules: values of one key OR together; an absent key
// makes the condition false, except that negated operators, ...IfExists
// and ForAllValues are then true and Null tests presence itself.
func (c *condition) eval(r *reqCtx) bool {
	present := r.has(c.key)
	if c.op == opNull {
		return present && c.wantF || !present && c.wantT
	}
	if !present {
		switch {
		case c.ifExists, c.forAll:
			return true
		case c.forAny:
			return false
		}
		return c.negate
	}
	return c.matchAny(r) != c.negate
}

func (c *condition) matchAny(r *reqCtx) bool {
	switch c.op {
	case opStringEquals:
		return slices.Contains(c.strs, r.str(c.key))
	case opStringEqualsIgnoreCase:
		s := r.str(c.key)
		return slices.ContainsFunc(c.strs, func(v string) bool { return strings.EqualFold(v, s) })
	case opStringLike, opArnLike:
		s := r.str(c.key)
		for i := range c.pats {
			if c.pats[i].match(s) {
				return true
			}
		}
		return false
	case opBool:
		if r.secure {
			return c.wantT
		}
		return c.wantF
	case opIPAddress:
		for _, p := range c.prefixes {
			if p.Contains(r.ip) {
				return true
			}
		}
		return false
	}
	for _, t := range c.times {
		if compareTime(c.op, r.now, t) {
			return true
		}
	}
	return false
}

func compareTime(op opKind, now, t time.Time) bool {
	switch op {
	case opDateEquals:
		return now.Equal(t)
	case opDateLessThan:
		return now.Before(t)
	case opDateLessThanEquals:
		return !now.After(t)
	case opDateGreaterThan:
		return now.After(t)
	case opDateGreaterThanEquals:
		return !now.Before(t)
	}
	return false
}

// conditions compiles a Condition element. Operator blocks AND together,
// as do the keys within one block; all of that is a flat AND.
func (c *checker) conditions(v *value, path string, vars bool) []condition {
	if v.kind != kindObject {
		c.errorf(path, "must be an object, got %s", v.kind)
		return nil
	}
	var out []condition
	for _, opm := range v.members {
		opPath := field(path, opm.key)
		proto, types, ok := c.operator(opm.key, opPath)
		if !ok {
			continue
		}
		if opm.val.kind != kindObject {
			c.errorf(opPath, "must be an object of condition keys to values, got %s", opm.val.kind)
			continue
		}
		if len(opm.val.members) == 0 {
			c.errorf(opPath, "must name at least one condition key")
			continue
		}
		for _, km := range opm.val.members {
			keyPath := field(opPath, km.key)
			key, ok := condKeys[strings.ToLower(km.key)]
			if !ok {
				c.errorf(keyPath, "unknown condition key %q (supported: %s)", km.key, supportedKeys)
				continue
			}
			if info := keyInfo[key]; types != nil && !slices.Contains(types, info.typ) {
				c.errorf(keyPath, "operator %q does not apply to %s, which takes %s", opm.key, info.name, operatorsFor(info.typ))
				continue
			}
			if cond, ok := c.condition(proto, key, km.val, keyPath, vars); ok {
				out = append(out, cond)
			}
		}
	}
	return out
}

// operator parses an operator name with its optional ForAnyValue: or
// ForAllValues: qualifier and IfExists suffix, returning the condition
// prototype and the key types the operator applies to.
func (c *checker) operator(name, path string) (condition, []keyType, bool) {
	var cond condition
	s := strings.ToLower(name)
	if rest, ok := strings.CutPrefix(s, "foranyvalue:"); ok {
		cond.forAny, s = true, rest
	} else if rest, ok := strings.CutPrefix(s, "forallvalues:"); ok {
		cond.forAll, s = true, rest
	}
	if rest, ok := strings.CutSuffix(s, "ifexists"); ok && rest != "" {
		cond.ifExists, s = true, rest
	}
	spec, ok := operators[s]
	if !ok {
		for _, fam := range awsOnly {
			if strings.HasPrefix(s, fam) {
				c.errorf(path, "condition operator %q is not supported by agentry (no condition key takes it)", name)
				return cond, nil, false
			}
		}
		c.errorf(path, "unknown condition operator %q", name)
		return cond, nil, false
	}
	if spec.op == opNull && (cond.ifExists || cond.forAll || cond.forAny) {
		c.errorf(path, "condition operator %q: Null cannot take IfExists, ForAnyValue or ForAllValues", name)
		return cond, nil, false
	}
	cond.op, cond.negate = spec.op, spec.negate
	return cond, spec.types, true
}

// condition compiles the values of one key, so evaluation never parses.
func (c *checker) condition(cond condition, key condKey, v *value, path string, vars bool) (condition, bool) {
	cond.key = key
	vals := c.scalars(v, path)
	if len(vals) == 0 {
		return cond, false
	}
	ok := true
	bad := func(i int, format string, args ...any) {
		p := path
		if v.kind == kindArray {
			p = index(path, i)
		}
		c.errorf(p, format, args...)
		ok = false
	}
	for i, s := range vals {
		if vars && strings.Contains(s, "${") && cond.op != opBool && cond.op != opNull {
			bad(i, "policy variables such as %q are not supported", s)
			continue
		}
		switch cond.op {
		case opStringEquals, opStringEqualsIgnoreCase:
			cond.strs = append(cond.strs, s)
		case opStringLike:
			cond.pats = append(cond.pats, compilePattern(s, false))
		case opArnLike:
			if s != "*" && !validARN(s) {
				bad(i, "%q is not an ARN (arn:partition:service:region:account-id:resource)", s)
				continue
			}
			cond.pats = append(cond.pats, compilePattern(s, false))
		case opBool, opNull:
			switch strings.ToLower(s) {
			case "true":
				cond.wantT = true
			case "false":
				cond.wantF = true
			default:
				bad(i, "must be true or false, got %q", s)
			}
		case opIPAddress:
			p, err := parsePrefix(s)
			if err != nil {
				bad(i, "%q is not an IP address or CIDR block", s)
				continue
			}
			cond.prefixes = append(cond.prefixes, p)
		default:
			t, err := parseDate(s)
			if err != nil {
				bad(i, "%q is not an ISO 8601 date-time or epoch seconds", s)
				continue
			}
			cond.times = append(cond.times, t)
		}
	}
	return cond, ok
}

func operatorsFor(t keyType) string {
	switch t {
	case typeIP:
		return "IpAddress or NotIpAddress"
	case typeBool:
		return "Bool"
	case typeDate:
		return "the Date operators"
	case typeARN:
		return "the Arn or String operators"
	}
	return "the String operators"
}

// parsePrefix accepts a CIDR block or a bare address (a /32 or /128).
// IPv4-mapped IPv6 forms are unmapped to match how requests are compared.
func parsePrefix(s string) (netip.Prefix, error) {
	if !strings.Contains(s, "/") {
		a, err := netip.ParseAddr(s)
		if err != nil {
			return netip.Prefix{}, err
		}
		a = a.Unmap().WithZone("")
		return netip.PrefixFrom(a, a.BitLen()), nil
	}
	p, err := netip.ParsePrefix(s)
	if err != nil {
		return netip.Prefix{}, err
	}
	if a := p.Addr(); a.Is4In6() && p.Bits() >= 96 {
		p = netip.PrefixFrom(a.Unmap(), p.Bits()-96)
	}
	return p.Masked(), nil
}

// dateLayouts are the ISO 8601 forms AWS accepts in Date conditions.
var dateLayouts = []string{
	time.RFC3339Nano,
	"2006-01-02T15:04Z07:00",
	"2006-01-02T15:04:05",
	"2006-01-02T15:04",
	"2006-01-02",
	"20060102T150405Z0700",
	"20060102T150405Z",
}

// parseDate reads epoch seconds or ISO 8601. All-digit input is always
// epoch seconds, which is why the basic date form 20060102 is not offered.
func parseDate(s string) (time.Time, error) {
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		return time.Unix(n, 0).UTC(), nil
	}
	var err error
	for _, layout := range dateLayouts {
		var t time.Time
		if t, err = time.Parse(layout, s); err == nil {
			return t, nil
		}
	}
	return time.Time{}, err
}
