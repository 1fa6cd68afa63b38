package iam

import (
	"strings"
	"unicode/utf8"
)

// pattern is a compiled IAM wildcard pattern: '*' matches any run of
// characters (including '/' and ':'), '?' exactly one. The common shapes
// get fast paths so evaluation rarely runs the general matcher.
type pattern struct {
	kind patternKind
	lit  string // exact text, prefix, or glob; lower-cased when folded
	fold bool   // ASCII case-insensitive
}

type patternKind uint8

const (
	patAny    patternKind = iota // "*"
	patExact                     // no wildcards
	patPrefix                    // "text*"
	patGlob                      // anything else
)

func compilePattern(s string, fold bool) pattern {
	if fold {
		s = asciiLower(s)
	}
	i := strings.IndexAny(s, "*?")
	switch {
	case s == "*":
		return pattern{kind: patAny, fold: fold}
	case i < 0:
		return pattern{kind: patExact, lit: s, fold: fold}
	case i == len(s)-1 && s[i] == '*':
		return pattern{kind: patPrefix, lit: s[:i], fold: fold}
	}
	return pattern{kind: patGlob, lit: s, fold: fold}
}

func (p *pattern) match(s string) bool {
	switch p.kind {
	case patAny:
		return true
	case patExact:
		return len(s) == len(p.lit) && hasPrefix(s, p.lit, p.fold)
	case patPrefix:
		return hasPrefix(s, p.lit, p.fold)
	}
	return glob(p.lit, s, p.fold)
}

// hasPrefix reports whether s starts with lit; lit is already lower-cased
// when fold is set.
func hasPrefix(s, lit string, fold bool) bool {
	if len(s) < len(lit) {
		return false
	}
	if !fold {
		return s[:len(lit)] == lit
	}
	for i := 0; i < len(lit); i++ {
		if lower(s[i]) != lit[i] {
			return false
		}
	}
	return true
}

// glob matches s against a pattern with '*' and '?'. It backtracks only to
// the most recent '*', which is enough for this pattern language and keeps
// the cost O(len(p)*len(s)) in the worst case, with no allocation.
func glob(p, s string, fold bool) bool {
	px, sx := 0, 0
	starPx, starSx := -1, 0
	for sx < len(s) {
		if px < len(p) {
			switch c := p[px]; c {
			case '*':
				starPx, starSx = px, sx
				px++
				continue
			case '?':
				_, n := utf8.DecodeRuneInString(s[sx:])
				px++
				sx += n
				continue
			default:
				b := s[sx]
				if fold {
					b = lower(b)
				}
				if b == c {
					px++
					sx++
					continue
				}
			}
		}
		if starPx < 0 {
			return false
		}
		// Let the last '*' swallow one more character and retry.
		_, n := utf8.DecodeRuneInString(s[starSx:])
		starSx += n
		px, sx = starPx+1, starSx
	}
	for px < len(p) && p[px] == '*' {
		px++
	}
	return px == len(p)
}

func lower(b byte) byte {
	if 'A' <= b && b <= 'Z' {
		return b + ('a' - 'A')
	}
	return b
}

// asciiLower folds ASCII letters only: action names are ASCII, and
// strings.ToLower could change byte lengths under the matcher's feet.
func asciiLower(s string) string {
	for i := 0; i < len(s); i++ {
		if 'A' <= s[i] && s[i] <= 'Z' {
			b := []byte(s)
			for j := i; j < len(b); j++ {
				b[j] = lower(b[j])
			}
			return string(b)
		}
	}
	return s
}

// Service prefixes. agent-registry is accepted as an alias of
// bedrock-agentcore in policies and in requested actions alike.
const (
	servicePrefix = "bedrock-agentcore"
	aliasPrefix   = "agent-registry"
)

// canonicalResource names an agent-registry ARN (the GA API's namespace)
// as the bedrock-agentcore ARN of the same resource: one registry has an
// ARN in each namespace, and a policy naming either covers both. Other
// strings are returned unchanged.
func canonicalResource(arn string) string {
	rest, ok := strings.CutPrefix(arn, "arn:")
	if !ok {
		return arn
	}
	partition, rest, ok := strings.Cut(rest, ":")
	if !ok {
		return arn
	}
	if svc, tail, ok := strings.Cut(rest, ":"); ok && svc == aliasPrefix {
		return "arn:" + partition + ":" + servicePrefix + ":" + tail
	}
	return arn
}

func isAgentCore(service string) bool {
	return strings.EqualFold(service, servicePrefix) || strings.EqualFold(service, aliasPrefix)
}

// actionPattern is a compiled Action/NotAction entry, split at the colon so
// the alias can be handled without rewriting (and allocating) per request.
type actionPattern struct {
	all       bool // "*"
	agentCore bool // literal service bedrock-agentcore or its alias
	service   pattern
	name      pattern
}

func compileAction(s string) actionPattern {
	if s == "*" {
		return actionPattern{all: true}
	}
	svc, name, _ := strings.Cut(s, ":")
	return actionPattern{
		agentCore: isAgentCore(svc),
		service:   compilePattern(svc, true),
		name:      compilePattern(name, true),
	}
}

func (a *actionPattern) match(r *reqCtx) bool {
	if a.all {
		return true
	}
	if !r.hasService {
		return false
	}
	switch {
	case a.agentCore:
		if !r.agentCore {
			return false
		}
	case a.service.kind == patExact:
		if !a.service.match(r.service) {
			return false
		}
	default:
		// A wildcard service such as "bedrock-*" or "agent-*" matches a
		// request made under either name.
		if !a.service.match(r.service) && !(r.agentCore && (a.service.match(servicePrefix) || a.service.match(aliasPrefix))) {
			return false
		}
	}
	return a.name.match(r.operation)
}
