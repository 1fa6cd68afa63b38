package httpapi

import (
	"bytes"
	"errors"
	"io"
	"net/http"

	"github.com/agentry/agentry/iam"
	"github.com/agentry/agentry/sigv4"
)

// SigV4 callers are authenticated in two steps, so that a request refused
// for its credential is refused before a byte of its body is read: signer
// checks the credential and finds its key's principal and secret in one
// lookup; verifiedBody then reads the body and verifies the signature over
// it. Every surface (the control plane, search and the MCP endpoint) goes
// through these two steps.

// signer is a SigV4 caller whose credential was checked before its body
// was read; its signature is not verified yet.
type signer struct {
	cred      *sigv4.Credential
	principal *iam.Principal
	secret    string
}

// signer checks r's SigV4 credential without reading the body: its form,
// scope and time, and that a principal owns its access key.
func (a *api) signer(r *http.Request) (*signer, error) {
	c, err := a.verifier.ParseCredential(r)
	if err != nil {
		return nil, err
	}
	if info := requestInfoFrom(r.Context()); info != nil {
		info.accessKeyID = c.AccessKeyID
	}
	p, secret, ok := a.credentials.Lookup(c.AccessKeyID)
	if !ok {
		return nil, unknownKeyError()
	}
	return &signer{cred: c, principal: p, secret: secret}, nil
}

// verifiedBody reads r's body, at most limit bytes and charged to the
// principal's share of the transfer budget, and verifies s's signature over
// it; the principal is then the caller.
func (a *api) verifiedBody(w http.ResponseWriter, r *http.Request, s *signer, limit int64) ([]byte, error) {
	body, err := a.readBody(w, r, limit, s.principal.ARN)
	if err != nil {
		return nil, err
	}
	if err := a.verifier.VerifySignature(r, s.cred, s.secret, body); err != nil {
		return nil, err
	}
	if info := requestInfoFrom(r.Context()); info != nil {
		info.principal = s.principal
	}
	return body, nil
}

// signedBody authenticates a SigV4 request (both steps) and returns its
// caller and body.
func (a *api) signedBody(w http.ResponseWriter, r *http.Request, limit int64) (*iam.Principal, []byte, error) {
	s, err := a.signer(r)
	if err != nil {
		return nil, nil, err
	}
	body, err := a.verifiedBody(w, r, s, limit)
	if err != nil {
		return nil, nil, err
	}
	return s.principal, body, nil
}

// noCredential reports whether err refuses a request that carries no SigV4
// credential at all.
func noCredential(err error) bool {
	var se *sigv4.Error
	return errors.As(err, &se) && se.Code == sigv4.CodeMissingAuthenticationToken
}

// authenticate passes on control plane requests of SigV4 callers, with the
// body read and restored; the caller's policies are checked per operation
// (authorize.go).
func (a *api) authenticate(maxBody int64, next http.Handler) http.Handler {
	return handlerFunc(func(w http.ResponseWriter, r *http.Request) error {
		a.expectBody(w, r, maxBody)
		_, body, err := a.signedBody(w, r, maxBody)
		if err != nil {
			return err
		}
		if a.observed && r.Method != http.MethodGet {
			noteChanged(r, body)
		}
		next.ServeHTTP(w, withBody(r, body))
		return nil
	})
}

// withBody is r with its body, already read, restored.
func withBody(r *http.Request, body []byte) *http.Request {
	r.Body = io.NopCloser(bytes.NewReader(body))
	r.ContentLength = int64(len(body))
	return r
}
