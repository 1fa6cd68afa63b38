package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/aws/aws-sdk-go-v2/aws"
	data "github.com/aws/aws-sdk-go-v2/service/bedrockagentcore"

	"github.com/agentry/agentry/internal/searcheval"
)

// searchEval scores a running registry's search on the user's own labelled
// queries, with the metrics of the project's evaluation harness.
func searchEval(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("agentry search-eval", flag.ContinueOnError)
	fs.SetOutput(stderr)
	endpoint := fs.String("endpoint", env("AGENTRY_ENDPOINT", "http://127.0.0.1:8080"), "base URL of the agentry server")
	registryID := fs.String("registry", "", "registry id or ARN to search (required)")
	queries := fs.String("queries", "", `JSON Lines file of labelled queries: {"id": "q1", "query": "...", "relevant": ["record name or id", ...]} (required)`)
	region := fs.String("region", "", "signing region (default: from the AWS configuration, else us-east-1)")
	profile := fs.String("profile", "", "AWS profile for the credentials")
	concurrency := fs.Int("concurrency", 4, "searches in flight at once")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "Usage: agentry search-eval --registry ID --queries FILE [flags]")
		fmt.Fprintln(stderr, "Runs each query through SearchRegistryRecords (maxResults 10) and reports nDCG@10, Recall@10, MRR@10 and P@1.")
		fmt.Fprintln(stderr, "Credentials come from the standard AWS chain (environment, shared files, --profile).")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *registryID == "" || *queries == "" {
		fs.Usage()
		return errors.New("--registry and --queries are required")
	}
	if *concurrency < 1 || *concurrency > 64 {
		return fmt.Errorf("--concurrency must be 1 to 64, got %d", *concurrency)
	}
	f, err := os.Open(*queries)
	if err != nil {
		return err
	}
	qs, err := searcheval.ReadQueries(f)
	f.Close()
	if err != nil {
		return fmt.Errorf("%s: %w", *queries, err)
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	cfg, err := loadAWSConfig(ctx, *region, *profile)
	if err != nil {
		return err
	}
	client := data.NewFromConfig(cfg, func(o *data.Options) { o.BaseEndpoint = aws.String(strings.TrimSuffix(*endpoint, "/")) })
	rank := func(ctx context.Context, text string) ([]searcheval.Ranked, error) {
		out, err := client.SearchRegistryRecords(ctx, &data.SearchRegistryRecordsInput{
			RegistryIds: []string{*registryID}, SearchQuery: aws.String(text), MaxResults: aws.Int32(searcheval.Cutoff)})
		if err != nil {
			return nil, err
		}
		ranked := make([]searcheval.Ranked, len(out.RegistryRecords))
		for i, r := range out.RegistryRecords {
			ranked[i] = searcheval.Ranked{ID: aws.ToString(r.RecordId), Name: aws.ToString(r.Name)}
		}
		return ranked, nil
	}
	res, err := searcheval.EvaluateRanking(ctx, qs, rank, *concurrency)
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, res)
	return nil
}

// env returns the environment variable name, or def when it is unset.
func env(name, def string) string {
	if v, ok := os.LookupEnv(name); ok {
		return v
	}
	return def
}
