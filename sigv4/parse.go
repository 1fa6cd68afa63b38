package sigv4

import (
	"encoding/hex"
	"strings"
)

const (
	algorithm        = "AWS4-HMAC-SHA256"
	scopeTerminator  = "aws4_request"
	maxAuthHeaderLen = 8 << 10
	maxSignedHeaders = 64
)

// Authorization is the parsed content of a SigV4 Authorization header
// (or of the equivalent presigned query parameters).
type Authorization struct {
	AccessKeyID   string
	Date          string // scope date, YYYYMMDD
	Region        string
	Service       string
	SignedHeaders []string // lowercase, strictly ascending
	Signature     string   // 64 lowercase hex digits, however the client spelled them
}

// ParseAuthorization parses an "AWS4-HMAC-SHA256 Credential=..., SignedHeaders=...,
// Signature=..." header value. Errors are *Error with Code IncompleteSignatureException.
func ParseAuthorization(header string) (Authorization, error) {
	var a Authorization
	if len(header) > maxAuthHeaderLen {
		return a, incomplete("Authorization header is too long.")
	}
	rest, ok := strings.CutPrefix(header, algorithm)
	if !ok || (rest != "" && rest[0] != ' ') {
		return a, incomplete("Authorization header must use the AWS4-HMAC-SHA256 algorithm.")
	}

	var cred, signed, sig string
	var seen [3]bool
	for more := rest != ""; more; {
		var part string
		part, rest, more = strings.Cut(rest, ",")
		name, value, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok {
			return a, incomplete("Authorization header parameters must be of the form Name=Value.")
		}
		var dst *string
		var i int
		switch name {
		case "Credential":
			dst, i = &cred, 0
		case "SignedHeaders":
			dst, i = &signed, 1
		case "Signature":
			dst, i = &sig, 2
		default:
			return a, incomplete("Authorization header contains an unrecognized parameter '" + echo(name) + "'.")
		}
		if seen[i] {
			return a, incomplete("Authorization header repeats the '" + name + "' parameter.")
		}
		seen[i], *dst = true, value
	}
	if msg := missingParams(seen); msg != "" {
		return a, incomplete(msg)
	}
	return parseParts(cred, signed, sig)
}

func missingParams(seen [3]bool) string {
	var b strings.Builder
	for i, name := range [3]string{"Credential", "SignedHeaders", "Signature"} {
		if !seen[i] {
			b.WriteString("Authorization header requires '" + name + "' parameter. ")
		}
	}
	return strings.TrimSpace(b.String())
}

// parseParts validates the three components shared by the header and presigned forms.
func parseParts(cred, signed, sig string) (Authorization, error) {
	a, err := parseCredential(cred)
	if err != nil {
		return Authorization{}, err
	}
	if a.SignedHeaders, err = parseSignedHeaders(signed); err != nil {
		return Authorization{}, err
	}
	if len(sig) != 64 {
		return Authorization{}, incomplete("Signature must be 64 hexadecimal characters.")
	}
	raw, err := hex.DecodeString(sig)
	if err != nil {
		return Authorization{}, incomplete("Signature must be 64 hexadecimal characters.")
	}
	// Hex digits may come in either case; one canonical spelling keeps the
	// replay guard from taking a re-spelled copy for a new signature.
	a.Signature = hex.EncodeToString(raw)
	return a, nil
}

// parseCredential splits "AKID/YYYYMMDD/region/service/aws4_request".
func parseCredential(cred string) (Authorization, error) {
	parts := strings.SplitN(cred, "/", 6)
	if len(parts) != 5 || parts[0] == "" || parts[2] == "" || parts[3] == "" {
		return Authorization{}, incomplete("Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/aws4_request.")
	}
	if !isDigits(parts[1], 8) {
		return Authorization{}, incomplete("Credential scope date must be in YYYYMMDD format.")
	}
	if parts[4] != scopeTerminator {
		return Authorization{}, incomplete("Credential should be scoped with a valid terminator: 'aws4_request'.")
	}
	return Authorization{AccessKeyID: parts[0], Date: parts[1], Region: parts[2], Service: parts[3]}, nil
}

// parseSignedHeaders requires lowercase header names in strictly ascending
// order, as every conforming signer emits them; this also rules out duplicates.
func parseSignedHeaders(s string) ([]string, error) {
	if s == "" {
		return nil, incomplete("SignedHeaders must not be empty.")
	}
	if strings.Count(s, ";") >= maxSignedHeaders {
		return nil, incomplete("SignedHeaders lists too many headers.")
	}
	names := strings.Split(s, ";")
	for i, name := range names {
		if !isLowerToken(name) {
			return nil, incomplete("SignedHeaders must be lowercase header names separated by ';'.")
		}
		if i > 0 && names[i-1] >= name {
			return nil, incomplete("SignedHeaders must be sorted and unique.")
		}
	}
	return names, nil
}

func isDigits(s string, n int) bool {
	if len(s) != n {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// isLowerToken reports whether s is a non-empty RFC 9110 token without uppercase letters.
func isLowerToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z', '0' <= c && c <= '9':
		case strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0:
		default:
			return false
		}
	}
	return true
}
