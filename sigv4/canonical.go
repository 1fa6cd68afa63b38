package sigv4

import (
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
)

// uriEncode percent-encodes every byte outside the RFC 3986 unreserved set
// (A-Za-z0-9-_.~) with uppercase hex, keeping '/' when keepSlash is set.
func uriEncode(s string, keepSlash bool) string {
	n := 0
	for i := 0; i < len(s); i++ {
		if !unreserved(s[i]) && !(keepSlash && s[i] == '/') {
			n++
		}
	}
	if n == 0 {
		return s
	}
	const hexDigits = "0123456789ABCDEF"
	b := make([]byte, 0, len(s)+2*n)
	for i := 0; i < len(s); i++ {
		c := s[i]
		if unreserved(c) || (keepSlash && c == '/') {
			b = append(b, c)
		} else {
			b = append(b, '%', hexDigits[c>>4], hexDigits[c&15])
		}
	}
	return string(b)
}

func unreserved(c byte) bool {
	return 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' ||
		c == '-' || c == '_' || c == '.' || c == '~'
}

// canonicalPaths returns the canonical URI a conforming non-S3 signer uses
// (the escaped path escaped once more, as the SDK v2 signer does) and, when
// it differs, the verbatim escaped path that curl 7.x signs.
//
// The verbatim form is only offered when the decoded path holds no '%':
// otherwise "/a%253A" verbatim and "/a%3A" double-encoded would share one
// canonical URI while naming different resources.
func canonicalPaths(u *url.URL) (canonical, verbatim string) {
	escaped := u.EscapedPath()
	if escaped == "" {
		escaped = "/"
	}
	canonical = uriEncode(escaped, true)
	if canonical != escaped && !strings.Contains(u.Path, "%") {
		verbatim = escaped
	}
	return canonical, verbatim
}

// canonicalQuery encodes and sorts the parameters, leaving out skip
// (X-Amz-Signature in the presigned form). Parsing uses url.ParseQuery, the
// same view of the query that the SDK signer and the handlers get.
func canonicalQuery(q url.Values, skip string) string {
	type pair struct{ k, v string }
	pairs := make([]pair, 0, len(q))
	for k, vs := range q {
		if k == skip {
			continue
		}
		ek := uriEncode(k, false)
		for _, v := range vs {
			pairs = append(pairs, pair{ek, uriEncode(v, false)})
		}
	}
	slices.SortFunc(pairs, func(a, b pair) int {
		if c := strings.Compare(a.k, b.k); c != 0 {
			return c
		}
		return strings.Compare(a.v, b.v)
	})
	var b strings.Builder
	for i, p := range pairs {
		if i > 0 {
			b.WriteByte('&')
		}
		b.WriteString(p.k)
		b.WriteByte('=')
		b.WriteString(p.v)
	}
	return b.String()
}

// canonicalHeaders renders "name:value\n" for each signed header. ok is
// false when a signed header is absent from the request.
func canonicalHeaders(r *http.Request, names []string) (string, bool) {
	var b strings.Builder
	for _, name := range names {
		values, ok := headerValues(r, name)
		if !ok {
			return "", false
		}
		b.WriteString(name)
		b.WriteByte(':')
		for i, v := range values {
			if i > 0 {
				b.WriteByte(',')
			}
			writeTrimmed(&b, v)
		}
		b.WriteByte('\n')
	}
	return b.String(), true
}

// headerValues finds a header, including the ones net/http keeps outside r.Header.
func headerValues(r *http.Request, name string) ([]string, bool) {
	if name == "host" {
		host := r.Host
		if host == "" && r.URL != nil {
			host = r.URL.Host
		}
		return []string{host}, host != ""
	}
	if vs := r.Header.Values(name); len(vs) > 0 {
		return vs, true
	}
	if name == "content-length" && r.ContentLength > 0 {
		return []string{strconv.FormatInt(r.ContentLength, 10)}, true
	}
	return nil, false
}

// writeTrimmed writes v without surrounding whitespace and with runs of
// spaces collapsed to one, matching the SDK's header value canonicalization.
func writeTrimmed(b *strings.Builder, v string) {
	v = strings.TrimSpace(v)
	for i := 0; i < len(v); i++ {
		if v[i] == ' ' && i > 0 && v[i-1] == ' ' {
			continue
		}
		b.WriteByte(v[i])
	}
}

// canonicalRequest joins the six canonical request lines.
func canonicalRequest(method, uri, query, headers, signedHeaders, payloadHash string) string {
	var b strings.Builder
	b.Grow(len(method) + len(uri) + len(query) + len(headers) + len(signedHeaders) + len(payloadHash) + 5)
	for _, s := range [...]string{method, "\n", uri, "\n", query, "\n", headers, "\n", signedHeaders, "\n", payloadHash} {
		b.WriteString(s)
	}
	return b.String()
}
