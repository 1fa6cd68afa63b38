package mcpproxy

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

// SigV4Transport signs every request with AWS Signature Version 4 before
// handing it to Base.
type SigV4Transport struct {
	// Credentials are retrieved for every request, so that expiring
	// credentials (SSO, assumed roles, instance profiles) are refreshed.
	Credentials aws.CredentialsProvider
	Service     string
	Region      string
	// Base sends the signed request; nil means http.DefaultTransport.
	Base http.RoundTripper

	signer *v4.Signer // nil in a zero value: made per request
}

// NewSigV4Transport returns a transport signing for service in region. The
// provider is wrapped in an aws.CredentialsCache unless it already is one,
// so that credentials are fetched once and refreshed before they expire.
func NewSigV4Transport(base http.RoundTripper, creds aws.CredentialsProvider, service, region string) *SigV4Transport {
	if _, ok := creds.(*aws.CredentialsCache); !ok && creds != nil {
		creds = aws.NewCredentialsCache(creds)
	}
	return &SigV4Transport{Credentials: creds, Service: service, Region: region, Base: base, signer: v4.NewSigner()}
}

// RoundTrip signs a copy of r, with the payload hash computed from its body.
func (t *SigV4Transport) RoundTrip(r *http.Request) (*http.Response, error) {
	body, err := readBody(r)
	if err != nil {
		return nil, err
	}
	if t.Credentials == nil {
		return nil, errors.New("no AWS credentials provider")
	}
	creds, err := t.Credentials.Retrieve(r.Context())
	if err != nil {
		return nil, fmt.Errorf("retrieving AWS credentials: %w", err)
	}
	signed := withBody(r, body)
	// The signer adds these; stale copies would break the signature.
	for _, h := range []string{"Authorization", "X-Amz-Date", "X-Amz-Security-Token"} {
		signed.Header.Del(h)
	}
	sum := sha256.Sum256(body)
	signer := t.signer
	if signer == nil {
		signer = v4.NewSigner()
	}
	if err := signer.SignHTTP(r.Context(), creds, signed, hex.EncodeToString(sum[:]), t.Service, t.Region, time.Now()); err != nil {
		return nil, fmt.Errorf("signing request: %w", err)
	}
	return base(t.Base).RoundTrip(signed)
}

// BearerTransport adds "Authorization: Bearer <token>" to every request.
type BearerTransport struct {
	// Token is called for every request, so that the token can change.
	Token func() (string, error)
	// Base sends the request; nil means http.DefaultTransport.
	Base http.RoundTripper
}

// RoundTrip adds the token to a copy of r.
func (t *BearerTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	token, err := t.Token()
	if err != nil {
		if r.Body != nil {
			r.Body.Close()
		}
		return nil, err
	}
	r = r.Clone(r.Context())
	r.Header.Set("Authorization", "Bearer "+token)
	return base(t.Base).RoundTrip(r)
}

// EnvToken returns a token source reading the environment variable name at
// each call.
func EnvToken(name string) func() (string, error) {
	return func() (string, error) {
		token := os.Getenv(name)
		if token == "" {
			return "", fmt.Errorf("bearer token: environment variable %s is empty or unset", name)
		}
		return token, nil
	}
}

func base(rt http.RoundTripper) http.RoundTripper {
	if rt == nil {
		return http.DefaultTransport
	}
	return rt
}

// readBody returns the whole body of r and closes it, as a RoundTripper
// must.
func readBody(r *http.Request) ([]byte, error) {
	if r.Body == nil || r.Body == http.NoBody {
		return nil, nil
	}
	defer r.Body.Close()
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return nil, fmt.Errorf("reading request body: %w", err)
	}
	return body, nil
}

// withBody returns a copy of r carrying body, replayable on redirects and
// retries.
func withBody(r *http.Request, body []byte) *http.Request {
	c := r.Clone(r.Context())
	c.ContentLength = int64(len(body))
	if len(body) == 0 {
		c.Body, c.GetBody = http.NoBody, func() (io.ReadCloser, error) { return http.NoBody, nil }
		return c
	}
	c.Body = io.NopCloser(bytes.NewReader(body))
	c.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(body)), nil }
	return c
}
