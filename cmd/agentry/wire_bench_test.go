package main

import (
	"context"
	"errors"
	"net"
	"net/http"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	awscreds "github.com/aws/aws-sdk-go-v2/credentials"
	data "github.com/aws/aws-sdk-go-v2/service/bedrockagentcore"
	ctl "github.com/aws/aws-sdk-go-v2/service/bedrockagentcorecontrol"

	"github.com/agentry/agentry/credentials"
	"github.com/agentry/agentry/internal/awstest"
	"github.com/agentry/agentry/internal/testcatalog"
)

// BenchmarkStockSDKWire measures, against the real binary, how often the
// AWS SDK client as users get it (retries off, without the workaround of
// internal/awstest) fails to read an answer, with compression (the SDK's
// transport asks for gzip by itself) and without (the transport told not
// to ask, which is what every answer was before agentry compressed), and
// what each call costs: bytes read from the connection and time. Calls are
// sequential, as in the report of the fault (issue 11).
//
//	go test -run '^$' -bench BenchmarkStockSDKWire -benchtime 1000x ./cmd/agentry/
func BenchmarkStockSDKWire(b *testing.B) {
	key := credentials.Generate()
	p := startAgentry(b, b.TempDir(), keyEnv(key)...)
	w := testcatalog.PublishWire(b, awstest.Control(p.url, key.AccessKeyID, key.SecretAccessKey), "../../testdata")
	for i := range w.Calls(nil, nil) {
		for _, compress := range []bool{false, true} {
			var read atomic.Int64
			cfg := aws.Config{
				Region:      awstest.Region,
				Credentials: awscreds.NewStaticCredentialsProvider(key.AccessKeyID, key.SecretAccessKey, ""),
				Retryer:     func() aws.Retryer { return aws.NopRetryer{} },
				HTTPClient:  stockHTTPClient(compress, &read),
			}
			c := ctl.NewFromConfig(cfg, func(o *ctl.Options) { o.BaseEndpoint = aws.String(p.url) })
			d := data.NewFromConfig(cfg, func(o *data.Options) { o.BaseEndpoint = aws.String(p.url) })
			call := w.Calls(c, d)[i]
			name := call.Name + "/identity"
			if compress {
				name = call.Name + "/gzip"
			}
			b.Run(name, func(b *testing.B) {
				ctx := context.Background()
				failed := 0
				read.Store(0)
				b.ResetTimer()
				for range b.N {
					err := call.Do(ctx)
					if err == nil {
						continue
					}
					if !errors.Is(err, net.ErrClosed) {
						b.Fatal(err) // not the client's fault
					}
					if failed++; failed == 1 {
						b.Logf("first failure: %v", err)
					}
				}
				b.ReportMetric(float64(read.Load())/float64(b.N), "read-B/op")
				b.ReportMetric(float64(failed)*1000/float64(b.N), "failed/1000")
			})
		}
	}
}

// stockHTTPClient is the SDK's default HTTP client, asking for gzip or
// not, counting the bytes read from its connections in read.
func stockHTTPClient(compress bool, read *atomic.Int64) aws.HTTPClient {
	return awshttp.NewBuildableClient().WithTransportOptions(func(t *http.Transport) {
		t.DisableCompression = !compress
		dial := t.DialContext
		t.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
			conn, err := dial(ctx, network, addr)
			if err != nil {
				return nil, err
			}
			return countingConn{conn, read}, nil
		}
	})
}

// countingConn counts the bytes read from a connection.
type countingConn struct {
	net.Conn
	read *atomic.Int64
}

func (c countingConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	c.read.Add(int64(n))
	return n, err
}
