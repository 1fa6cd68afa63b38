package sigv4_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/smithy-go/logging"
)

// TestSDKSignerPathEncoding pins down what the SDK v2 signer puts on the
// canonical URI line: it takes URL.EscapedPath() and URI-encodes it again,
// so an ARN sent as "%3A" is signed as "%253A". The query line is decoded,
// re-encoded and sorted.
func TestSDKSignerPathEncoding(t *testing.T) {
	cases := map[string]string{ // target -> canonical URI and query lines
		arnPath:                        "/registries/arn%253Aaws%253Abedrock-agentcore%253Aus-east-1%253A000000000000%253Aregistry%252Fabc/records\n",
		arnRawPath:                     "/registries/arn%3Aaws%3Abedrock-agentcore%3Aus-east-1%3A000000000000%3Aregistry%252Fabc/records\n",
		"/registries/a%20b":            "/registries/a%2520b\n",
		"":                             "/\n",
		"/registries?b=2&a=1&c=x+y%2F": "/registries\na=1&b=2&c=x%20y%2F",
	}
	for target, want := range cases {
		var logged string
		signer := v4.NewSigner(func(o *v4.SignerOptions) {
			o.LogSigning = true
			o.Logger = logging.LoggerFunc(func(_ logging.Classification, format string, v ...any) {
				logged += fmt.Sprintf(format, v...)
			})
		})
		req := newClientRequest(t, http.MethodGet, target, "")
		creds := aws.Credentials{AccessKeyID: testAKID, SecretAccessKey: testSecret}
		if err := signer.SignHTTP(context.Background(), creds, req, hashHex(nil), "bedrock-agentcore", testRegion, testNow); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(logged, "\nGET\n"+want+"\n") {
			t.Errorf("%q: canonical request does not have URI %q:\n%s", target, want, logged)
		}
	}
}
