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
	"github.com/aws/aws-sdk-go-v2/config"
	awscreds "github.com/aws/aws-sdk-go-v2/credentials"
	ctl "github.com/aws/aws-sdk-go-v2/service/bedrockagentcorecontrol"

	"github.com/agentry/agentry/awsimport"
)

const importUsage = `Usage: agentry import-aws --to URL [flags]

Copies registries and records from an AWS account's registry (the Amazon
Bedrock AgentCore registry API, bedrock-agentcore) into the agentry at URL:
each registry with its authorizer and approval setting, and each record's
latest revision with its status. Ids are new; what already exists at the
destination under the same name is kept, so the command can be run again.

The source is read with the credentials and region of the standard AWS chain
(AWS_PROFILE, AWS_REGION ...). The destination is written with the key in
AGENTRY_ACCESS_KEY_ID and AGENTRY_SECRET_ACCESS_KEY.

Flags:
`

// registryFlags collects repeated --registry flags.
type registryFlags []string

func (r *registryFlags) String() string     { return strings.Join(*r, ", ") }
func (r *registryFlags) Set(v string) error { *r = append(*r, v); return nil }

func importAWS(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("agentry import-aws", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, importUsage); fs.PrintDefaults() }
	to := fs.String("to", "", "the agentry to copy into, such as http://127.0.0.1:8080 (required)")
	from := fs.String("from-endpoint", "", "the source's endpoint; default: the AWS endpoint of the region")
	region := fs.String("region", "", "the source's region; default: the AWS chain's")
	var registries registryFlags
	fs.Var(&registries, "registry", "copy only this source registry (id or name); repeat for more")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *to == "" || fs.NArg() > 0 {
		fs.Usage()
		return errors.New("import-aws: --to is required, and there are no arguments")
	}
	id, secret := os.Getenv("AGENTRY_ACCESS_KEY_ID"), os.Getenv("AGENTRY_SECRET_ACCESS_KEY")
	if id == "" || secret == "" {
		return errors.New("import-aws: set AGENTRY_ACCESS_KEY_ID and AGENTRY_SECRET_ACCESS_KEY to the destination's key")
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	var opts []func(*config.LoadOptions) error
	if *region != "" {
		opts = append(opts, config.WithRegion(*region))
	}
	srcCfg, err := config.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return fmt.Errorf("import-aws: the source's AWS configuration: %w", err)
	}
	src := ctl.NewFromConfig(srcCfg, func(o *ctl.Options) {
		if *from != "" {
			o.BaseEndpoint = aws.String(*from)
		}
	})
	dstCfg := srcCfg.Copy()
	dstCfg.Credentials = awscreds.NewStaticCredentialsProvider(id, secret, "")
	if dstCfg.Region == "" {
		dstCfg.Region = "us-east-1"
	}
	dst := ctl.NewFromConfig(dstCfg, func(o *ctl.Options) { o.BaseEndpoint = aws.String(*to) })
	sum, err := (&awsimport.Copier{From: src, To: dst, Registries: registries, Log: stdout}).Run(ctx)
	fmt.Fprintf(stdout, "copied %d registries and %d records; %d kept as they were, %d failed\n", sum.Registries, sum.Records, sum.Skipped, sum.Failed)
	if err == nil && sum.Failed > 0 {
		err = fmt.Errorf("import-aws: %d failed (see above)", sum.Failed)
	}
	return err
}
