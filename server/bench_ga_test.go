package server_test

import (
	"context"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	data "github.com/aws/aws-sdk-go-v2/service/bedrockagentcore"
	ctl "github.com/aws/aws-sdk-go-v2/service/bedrockagentcorecontrol"

	"github.com/agentry/agentry/internal/awstest"
)

// BenchmarkGAvsPreview compares the GA API's search and get with their
// preview counterparts in one run, on one server and one registry of
// 2,000 approved records, from 8 concurrent clients. "sdk" is the preview
// through the AWS SDK; "raw" is the same client for both APIs (awstest.GA,
// SigV4 signed for bedrock-agentcore or agent-registry), so that the
// difference between preview/raw and ga/raw is the server's.
func BenchmarkGAvsPreview(b *testing.B) {
	ts := startServer(b)
	reg := ts.createRegistry(b, "bench", true)
	populate(b, ts, reg, 2_000)
	queries := seedQueries(b, 1000)
	page := must[*ctl.ListRegistryRecordsOutput](b)(ts.Client.ListRegistryRecords(context.Background(),
		&ctl.ListRegistryRecordsInput{RegistryId: aws.String(reg), MaxResults: aws.Int32(100)}))
	var ids []string
	for _, r := range page.RegistryRecords {
		ids = append(ids, aws.ToString(r.RecordId))
	}
	dc := ts.dataClient(ts.Key.AccessKeyID, ts.Key.SecretAccessKey)
	previewRaw := awstest.NewGA(ts.URL, ts.Key.AccessKeyID, ts.Key.SecretAccessKey)
	previewRaw.Service = "bedrock-agentcore"
	gaRaw := ts.gaClient()

	run := func(b *testing.B, call func(ctx context.Context, i int64) error) {
		var n, errs atomic.Int64
		parallel8(b)
		b.ResetTimer()
		b.RunParallel(func(pb *testing.PB) {
			ctx := context.Background()
			for pb.Next() {
				if err := call(ctx, n.Add(1)); err != nil {
					if errs.Add(1) == 1 {
						b.Error(err)
					}
				}
			}
		})
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "req/s")
		b.ReportMetric(float64(errs.Load()), "errors")
	}
	// raw checks a raw answer's status.
	raw := func(c *awstest.GA, method, path string, body any) error {
		resp, err := c.Do(context.Background(), method, path, body)
		if err == nil && resp.Status != 200 {
			return &statusError{resp.Status, string(resp.Body)}
		}
		return err
	}
	query := func(i int64) string { return queries[i%int64(len(queries))] }
	id := func(i int64) string { return ids[i%int64(len(ids))] }

	b.Run("search/preview/sdk", func(b *testing.B) {
		run(b, func(ctx context.Context, i int64) error {
			_, err := dc.SearchRegistryRecords(ctx, &data.SearchRegistryRecordsInput{RegistryIds: []string{reg}, SearchQuery: aws.String(query(i))})
			return err
		})
	})
	b.Run("search/preview/raw", func(b *testing.B) {
		run(b, func(ctx context.Context, i int64) error {
			return raw(previewRaw, "POST", "/registry-records/search", map[string]any{"searchQuery": query(i), "registryIds": []string{reg}})
		})
	})
	b.Run("search/ga/raw", func(b *testing.B) {
		run(b, func(ctx context.Context, i int64) error {
			return raw(gaRaw, "POST", "/discoverable-records-search", map[string]any{"searchQuery": query(i), "registryIds": []string{reg}})
		})
	})
	b.Run("get/preview/sdk", func(b *testing.B) {
		run(b, func(ctx context.Context, i int64) error {
			_, err := ts.Client.GetRegistryRecord(ctx, &ctl.GetRegistryRecordInput{RegistryId: aws.String(reg), RecordId: aws.String(id(i))})
			return err
		})
	})
	b.Run("get/preview/raw", func(b *testing.B) {
		run(b, func(ctx context.Context, i int64) error {
			return raw(previewRaw, "GET", "/registries/"+reg+"/records/"+id(i), nil)
		})
	})
	b.Run("get/ga/raw", func(b *testing.B) {
		run(b, func(ctx context.Context, i int64) error {
			return raw(gaRaw, "GET", "/registries/"+reg+"/records/"+id(i), nil)
		})
	})
	b.Run("batchget10/ga/raw", func(b *testing.B) {
		run(b, func(ctx context.Context, i int64) error {
			rec := make([]string, 10)
			for j := range rec {
				rec[j] = id(i*10 + int64(j))
			}
			return raw(gaRaw, "POST", "/discoverable-records-batch", map[string]any{"entries": []any{map[string]any{"registryId": reg, "recordIds": rec}}})
		})
	})
}

type statusError struct {
	status int
	body   string
}

func (e *statusError) Error() string { return "status " + itoa(int64(e.status)) + ": " + e.body }
