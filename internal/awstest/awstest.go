// Package awstest builds AWS SDK clients for the project's tests and
// benchmarks, so that any failure they see is a real one:
//
//   - retries are off (aws.NopRetryer), so that no failure is hidden;
//   - the request body reaches the HTTP transport as its own in-memory copy
//     (BufferedBody), which avoids a bug of smithy-go v1.28 that otherwise
//     fails a few percent of answers larger than 4 KB on the client side
//     (docs/upstream-smithy-go-body.md).
package awstest

import (
	"bytes"
	"io"
	"net/http"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	awscreds "github.com/aws/aws-sdk-go-v2/credentials"
	data "github.com/aws/aws-sdk-go-v2/service/bedrockagentcore"
	ctl "github.com/aws/aws-sdk-go-v2/service/bedrockagentcorecontrol"
)

// Region is the region the clients sign for.
const Region = "us-east-1"

// BufferedBody is an http.RoundTripper that hands Base its own in-memory
// copy of the request body. smithy-go closes the body it gave the transport
// as soon as the response headers arrive; net/http may still be checking
// that body for extra bytes then, and takes the io.EOF the closed body
// answers for a write failure that closes the connection under the response
// being read. A copy the transport owns is never closed by anyone else.
type BufferedBody struct {
	Base http.RoundTripper
}

func (t BufferedBody) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Body == nil || r.Body == http.NoBody {
		return t.Base.RoundTrip(r)
	}
	body, err := io.ReadAll(r.Body)
	r.Body.Close()
	if err != nil {
		return nil, err
	}
	r = r.Clone(r.Context())
	r.Body = io.NopCloser(bytes.NewReader(body))
	r.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(body)), nil }
	return t.Base.RoundTrip(r)
}

// HTTPClient is the SDK's default HTTP client with BufferedBody in front
// of its transport.
func HTTPClient() *http.Client {
	return &http.Client{Transport: BufferedBody{Base: awshttp.NewBuildableClient().GetTransport()}}
}

// Config is an aws.Config with static credentials, no retries and
// HTTPClient.
func Config(accessKeyID, secretAccessKey string) aws.Config {
	return aws.Config{
		Region:      Region,
		Credentials: awscreds.NewStaticCredentialsProvider(accessKeyID, secretAccessKey, ""),
		Retryer:     func() aws.Retryer { return aws.NopRetryer{} },
		HTTPClient:  HTTPClient(),
	}
}

// Control is a control-plane client of the server at url.
func Control(url, accessKeyID, secretAccessKey string) *ctl.Client {
	return ctl.NewFromConfig(Config(accessKeyID, secretAccessKey), func(o *ctl.Options) { o.BaseEndpoint = aws.String(url) })
}

// Data is a data-plane client of the server at url.
func Data(url, accessKeyID, secretAccessKey string) *data.Client {
	return data.NewFromConfig(Config(accessKeyID, secretAccessKey), func(o *data.Options) { o.BaseEndpoint = aws.String(url) })
}
