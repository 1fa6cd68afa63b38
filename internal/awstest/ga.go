package awstest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

// GASigningName is the SigV4 service name of both GA AWS Agent Registry
// clients (agentregistrycontrol and agentregistry).
const GASigningName = "agent-registry"

// GA is an HTTP client of the GA AWS Agent Registry API, whose SDK modules
// the module proxy does not serve: it speaks restJson1 itself and signs
// with the SDK's SigV4 signer. It never retries.
type GA struct {
	URL         string
	Credentials aws.Credentials
	// Service is the signing name; GASigningName when "".
	Service string
	HTTP    *http.Client
}

// NewGA returns a GA client of the server at url.
func NewGA(url, accessKeyID, secretAccessKey string) *GA {
	return &GA{URL: url, Credentials: aws.Credentials{AccessKeyID: accessKeyID, SecretAccessKey: secretAccessKey},
		HTTP: HTTPClient()}
}

// Response is an answer: its status, headers and body.
type Response struct {
	Status int
	Header http.Header
	Body   []byte
}

// ErrorType is the AWS error name of a failed answer
// (X-Amzn-Errortype), "" on success.
func (r *Response) ErrorType() string { return r.Header.Get("X-Amzn-Errortype") }

// JSON decodes the body into v.
func (r *Response) JSON(v any) error { return json.Unmarshal(r.Body, v) }

// Do sends a signed request. body is marshalled as JSON unless it is nil,
// a string or a []byte (sent as is). path may carry a query.
func (c *GA) Do(ctx context.Context, method, path string, body any) (*Response, error) {
	var raw []byte
	switch b := body.(type) {
	case nil:
	case []byte:
		raw = b
	case string:
		raw = []byte(b)
	default:
		var err error
		if raw, err = json.Marshal(body); err != nil {
			return nil, err
		}
	}
	req, err := http.NewRequestWithContext(ctx, method, c.URL+path, bytes.NewReader(raw))
	if err != nil {
		return nil, err
	}
	if raw != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	sum := sha256.Sum256(raw)
	service := c.Service
	if service == "" {
		service = GASigningName
	}
	if err := v4.NewSigner().SignHTTP(ctx, c.Credentials, req, hex.EncodeToString(sum[:]), service, Region, time.Now()); err != nil {
		return nil, err
	}
	resp, err := c.HTTP.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	return &Response{Status: resp.StatusCode, Header: resp.Header, Body: b}, nil
}
