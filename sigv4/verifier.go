// Package sigv4 verifies AWS Signature Version 4 (AWS4-HMAC-SHA256) signed
// HTTP requests, so that AWS SDK clients and curl --aws-sigv4 can
// authenticate to the registry with access keys exactly as they would to
// the AWS Bedrock AgentCore registry API.
//
// The verifier rebuilds the canonical request from the client's own
// SignedHeaders rather than re-signing with an SDK signer, which would pick
// its own header set. Both the Authorization header form and the presigned
// query form are supported; payloads must be signed (no UNSIGNED-PAYLOAD).
package sigv4

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

const (
	amzDateLayout  = "20060102T150405Z"
	defaultMaxSkew = 5 * time.Minute
	maxExpires     = 7 * 24 * 60 * 60 // seconds, the AWS presign limit

	paramAlgorithm     = "X-Amz-Algorithm"
	paramCredential    = "X-Amz-Credential"
	paramDate          = "X-Amz-Date"
	paramSignedHeaders = "X-Amz-SignedHeaders"
	paramSignature     = "X-Amz-Signature"
	paramExpires       = "X-Amz-Expires"
)

// Verifier checks AWS SigV4 signed HTTP requests (header form:
// Authorization: AWS4-HMAC-SHA256 Credential=..., SignedHeaders=...,
// Signature=...; also the presigned query form X-Amz-Algorithm/
// X-Amz-Credential/X-Amz-Date/X-Amz-SignedHeaders/X-Amz-Signature/X-Amz-Expires).
type Verifier struct {
	Region   string   // required region in the credential scope, e.g. "us-east-1"
	Services []string // accepted service names in the scope, e.g. {"bedrock-agentcore", "agent-registry"}
	// Lookup finds a key's secret for Verify; callers of ParseCredential
	// and VerifySignature look keys up themselves.
	Lookup  func(accessKeyID string) (secretAccessKey string, ok bool)
	Now     func() time.Time // nil = time.Now
	MaxSkew time.Duration    // 0 = 5 minutes
	// Replay, when set, refuses write requests whose signature was already
	// accepted.
	Replay *ReplayGuard
}

// signed is what either auth form tells us about a request.
type signed struct {
	auth      Authorization
	amzDate   string
	at        time.Time
	query     url.Values
	presigned bool
	expires   time.Duration
}

// Verify checks r, whose complete body the caller has already read into body
// (size-limited by the caller). On success it returns the verified access
// key id; on failure the error is an *Error. Call it before anything rewrites
// r.URL (such as http.StripPrefix): the signature covers the path as sent.
//
// A server that must not read the bodies of requests it will refuse calls
// its two steps itself: ParseCredential before it reads the body, then
// VerifySignature.
func (v *Verifier) Verify(r *http.Request, body []byte) (accessKeyID string, err error) {
	c, err := v.ParseCredential(r)
	if err != nil {
		return "", err
	}
	if v.Lookup == nil {
		return "", errUnknownKey()
	}
	secret, ok := v.Lookup(c.AccessKeyID)
	if !ok {
		return "", errUnknownKey()
	}
	if err := v.VerifySignature(r, c, secret, body); err != nil {
		return "", err
	}
	return c.AccessKeyID, nil
}

// Credential is the SigV4 credential of a request whose form, scope and
// time are valid: everything that can be checked without the body or the
// key's secret.
type Credential struct {
	AccessKeyID string
	s           *signed
}

// Service is the service name of the credential's scope, such as
// "bedrock-agentcore" or "agent-registry": it tells apart APIs that share
// paths.
func (c *Credential) Service() string { return c.s.auth.Service }

// ParseCredential checks the credential of r (header or presigned form),
// its scope and its time, reading neither the body nor any key. The caller
// then looks the access key up, reads the body and calls VerifySignature.
// Errors are *Error; a request with no credential at all gets
// CodeMissingAuthenticationToken.
func (v *Verifier) ParseCredential(r *http.Request) (*Credential, error) {
	if r == nil || r.URL == nil {
		return nil, errMissingToken()
	}
	s, err := parseRequest(r)
	if err != nil {
		return nil, err
	}
	if err := v.checkScope(s); err != nil {
		return nil, err
	}
	if err := v.checkTime(s); err != nil {
		return nil, err
	}
	return &Credential{AccessKeyID: s.auth.AccessKeyID, s: s}, nil
}

// VerifySignature checks that c, parsed from r, signs r and its complete
// body with the access key's secret; errors are *Error.
func (v *Verifier) VerifySignature(r *http.Request, c *Credential, secret string, body []byte) error {
	s := c.s
	payloadHash, err := payloadHash(r, body)
	if err != nil {
		return err
	}
	if !signatureMatches(r, s, secret, payloadHash) {
		return errMismatch()
	}
	if v.Replay != nil && isWrite(r.Method) {
		now := v.now()
		if v.Replay.check(s.auth.Signature, now, s.at.Add(v.maxSkew()+s.expires)) {
			return &Error{Code: CodeInvalidSignature,
				Message: "This signed request was already received; sign each request anew (replay protection is on)."}
		}
	}
	return nil
}

// parseRequest picks the auth form and checks it is complete.
func parseRequest(r *http.Request) (*signed, error) {
	authz := r.Header.Values("Authorization")
	query, _ := url.ParseQuery(r.URL.RawQuery) // malformed pairs are dropped, as the SDK signer drops them
	presigned := query.Has(paramAlgorithm) || query.Has(paramCredential) || query.Has(paramSignature)
	switch {
	case len(authz) == 0 && !presigned:
		return nil, errMissingToken()
	case len(authz) > 0 && presigned:
		return nil, errBothAuthForms()
	case len(authz) > 1:
		return nil, incomplete("Only one Authorization header is allowed.")
	case presigned:
		return parsePresigned(query)
	}
	return parseHeaderForm(r, authz[0], query)
}

func parseHeaderForm(r *http.Request, header string, query url.Values) (*signed, error) {
	a, err := ParseAuthorization(header)
	if err != nil {
		return nil, err
	}
	dates := r.Header.Values(paramDate)
	if len(dates) != 1 {
		return nil, incomplete("Authorization header requires existence of exactly one 'X-Amz-Date' header.")
	}
	at, ok := parseAmzDate(dates[0])
	if !ok {
		return nil, incomplete("X-Amz-Date must be in ISO 8601 basic format, e.g. 20060102T150405Z.")
	}
	if !slices.Contains(a.SignedHeaders, "host") {
		return nil, incomplete("'Host' must be a 'SignedHeader' in the AWS Authorization.")
	}
	if !slices.Contains(a.SignedHeaders, "x-amz-date") {
		return nil, incomplete("'X-Amz-Date' must be a 'SignedHeader' in the AWS Authorization.")
	}
	return &signed{auth: a, amzDate: dates[0], at: at, query: query}, nil
}

func parsePresigned(query url.Values) (*signed, error) {
	names := [...]string{paramAlgorithm, paramCredential, paramDate, paramSignedHeaders, paramSignature, paramExpires}
	var vals [len(names)]string
	var missing []string
	for i, name := range names {
		switch vs := query[name]; len(vs) {
		case 0:
			missing = append(missing, "'"+name+"'")
		case 1:
			vals[i] = vs[0]
		default:
			return nil, incomplete("Query-string parameter '" + name + "' must appear only once.")
		}
	}
	if missing != nil {
		return nil, incomplete("AWS query-string parameters must include " + strings.Join(missing, ", ") + ". Re-examine the query-string parameters.")
	}
	if vals[0] != algorithm {
		return nil, incomplete("X-Amz-Algorithm only supports 'AWS4-HMAC-SHA256'.")
	}
	a, err := parseParts(vals[1], vals[3], vals[4])
	if err != nil {
		return nil, err
	}
	at, ok := parseAmzDate(vals[2])
	if !ok {
		return nil, incomplete("X-Amz-Date must be in ISO 8601 basic format, e.g. 20060102T150405Z.")
	}
	secs, err := strconv.Atoi(vals[5])
	if err != nil || secs < 1 || secs > maxExpires {
		return nil, incomplete("X-Amz-Expires must be an integer between 1 and 604800 seconds.")
	}
	if !slices.Contains(a.SignedHeaders, "host") {
		return nil, incomplete("'Host' must be a 'SignedHeader' in the AWS Authorization.")
	}
	return &signed{auth: a, amzDate: vals[2], at: at, query: query, presigned: true,
		expires: time.Duration(secs) * time.Second}, nil
}

// parseAmzDate accepts only the exact basic format, e.g. 20060102T150405Z.
func parseAmzDate(s string) (time.Time, bool) {
	if len(s) != len(amzDateLayout) {
		return time.Time{}, false
	}
	t, err := time.Parse(amzDateLayout, s)
	if err != nil || t.Format(amzDateLayout) != s {
		return time.Time{}, false
	}
	return t, true
}

func (v *Verifier) checkScope(s *signed) error {
	a, day := s.auth, s.amzDate[:8]
	if a.Date != day {
		return invalid(fmt.Sprintf("Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '%s' != '%s', from '%s'.",
			a.Date, day, s.amzDate))
	}
	if a.Region != v.Region {
		return invalid(fmt.Sprintf("Credential should be scoped to a valid region, not '%s'. Expected '%s'.", echo(a.Region), v.Region))
	}
	if !slices.Contains(v.Services, a.Service) {
		return invalid(fmt.Sprintf("Credential should be scoped to correct service: '%s', not '%s'.",
			strings.Join(v.Services, "' or '"), echo(a.Service)))
	}
	return nil
}

func (v *Verifier) now() time.Time {
	if v.Now != nil {
		return v.Now().UTC()
	}
	return time.Now().UTC()
}

func (v *Verifier) maxSkew() time.Duration {
	if v.MaxSkew <= 0 {
		return defaultMaxSkew
	}
	return v.MaxSkew
}

func (v *Verifier) checkTime(s *signed) error {
	now := v.now()
	skew := v.maxSkew()
	nowText := now.Format(amzDateLayout)
	if late := now.Add(skew); s.at.After(late) {
		return invalid(fmt.Sprintf("Signature not yet current: %s is still later than %s (%s + %s).",
			s.amzDate, late.Format(amzDateLayout), nowText, skewText(skew)))
	}
	if s.presigned {
		if end := s.at.Add(s.expires); now.After(end) {
			return invalid(fmt.Sprintf("Signature expired: %s + %ds (%s) is now earlier than %s.",
				s.amzDate, int(s.expires/time.Second), end.Format(amzDateLayout), nowText))
		}
		return nil
	}
	if early := now.Add(-skew); s.at.Before(early) {
		return invalid(fmt.Sprintf("Signature expired: %s is now earlier than %s (%s - %s).",
			s.amzDate, early.Format(amzDateLayout), nowText, skewText(skew)))
	}
	return nil
}

func skewText(d time.Duration) string {
	if d%time.Minute == 0 {
		return fmt.Sprintf("%d min.", d/time.Minute)
	}
	return d.String()
}

// payloadHash hashes the body ourselves; a client-sent x-amz-content-sha256
// must agree with it, which also refuses unsigned and streaming payloads.
func payloadHash(r *http.Request, body []byte) (string, error) {
	sum := sha256.Sum256(body)
	hash := hex.EncodeToString(sum[:])
	vs := r.Header.Values("X-Amz-Content-Sha256")
	switch {
	case len(vs) == 0:
		return hash, nil
	case len(vs) == 1 && (vs[0] == "UNSIGNED-PAYLOAD" || strings.HasPrefix(vs[0], "STREAMING-")):
		return "", errUnsignedBody()
	case len(vs) > 1 || vs[0] != hash:
		return "", errBodyHash()
	}
	return hash, nil
}

// signatureMatches recomputes the signature over each accepted canonical
// form of r and compares in constant time.
func signatureMatches(r *http.Request, s *signed, secret, payloadHash string) bool {
	a := s.auth
	want, err := hex.DecodeString(a.Signature)
	if err != nil {
		return false
	}
	headers, ok := canonicalHeaders(r, a.SignedHeaders)
	if !ok {
		return false
	}
	method := r.Method
	if method == "" {
		method = http.MethodGet
	}
	signedHeaders := strings.Join(a.SignedHeaders, ";")
	scope := a.Date + "/" + a.Region + "/" + a.Service + "/" + scopeTerminator
	key := signingKey(secret, a.Date, a.Region, a.Service)

	for _, path := range uriCandidates(r.URL) {
		for _, query := range queryCandidates(r.URL, s) {
			creq := canonicalRequest(method, path, query, headers, signedHeaders, payloadHash)
			if hmac.Equal(sign(key, stringToSign(s.amzDate, scope, creq)), want) {
				return true
			}
		}
	}
	return false
}

func uriCandidates(u *url.URL) []string {
	canonical, verbatim := canonicalPaths(u)
	if verbatim == "" {
		return []string{canonical}
	}
	return []string{canonical, verbatim}
}

// queryCandidates offers the sorted canonical query and, for the header form,
// the raw query as sent, which curl 7.x signs without sorting or re-encoding.
// A raw query equal to some request's canonical query parses to that
// request's parameters, so the extra form cannot redirect a signature.
func queryCandidates(u *url.URL, s *signed) []string {
	if s.presigned {
		return []string{canonicalQuery(s.query, paramSignature)}
	}
	canonical := canonicalQuery(s.query, "")
	if u.RawQuery == canonical {
		return []string{canonical}
	}
	return []string{canonical, u.RawQuery}
}

func stringToSign(amzDate, scope, canonicalRequest string) string {
	sum := sha256.Sum256([]byte(canonicalRequest))
	return algorithm + "\n" + amzDate + "\n" + scope + "\n" + hex.EncodeToString(sum[:])
}

func signingKey(secret, date, region, service string) []byte {
	k := sign([]byte("AWS4"+secret), date)
	k = sign(k, region)
	k = sign(k, service)
	return sign(k, scopeTerminator)
}

func sign(key []byte, data string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(data))
	return m.Sum(nil)
}
