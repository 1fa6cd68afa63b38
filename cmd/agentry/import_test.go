package main

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	ctl "github.com/aws/aws-sdk-go-v2/service/bedrockagentcorecontrol"
	"github.com/aws/aws-sdk-go-v2/service/bedrockagentcorecontrol/types"

	"github.com/agentry/agentry/credentials"
)

// TestImportCommand imports a directory of every kind of source into a
// running agentry with credentials from the AWS environment, then again:
// the second run changes nothing.
func TestImportCommand(t *testing.T) {
	key := credentials.Generate()
	p := startAgentry(t, t.TempDir(), keyEnv(key)...)
	ctx := context.Background()
	c := sdkClient(p.url, key)
	reg, err := c.CreateRegistry(ctx, &ctl.CreateRegistryInput{Name: aws.String("imported"), ApprovalConfiguration: &types.ApprovalConfiguration{AutoApproval: true}})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	files := map[string]string{
		"weather/server.json": `{"name": "io.example/weather", "description": "Weather forecasts", "version": "1.0.0"}`,
		"seed.json": `[{"id": "x", "name": "io.github.example/old", "description": "` + strings.Repeat("A long description of an old server. ", 5) + `",
			"version_detail": {"version": "0.0.1-seed", "release_date": "2025-05-16T18:56:49Z", "is_latest": true},
			"packages": [{"registry_name": "npm", "name": "@example/old", "version": "1.0.0",
				"environment_variables": [{"name": "API_KEY", "description": "the key"}]}]},
			{"id": "y", "name": "", "description": "nameless"}]`,
		"broken.json": `{"name": "io.example/broken", "description": "no version"}`,
	}
	for name, body := range files {
		os.MkdirAll(filepath.Dir(filepath.Join(dir, name)), 0o700)
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	for from, to := range map[string]string{"agent-card-1.0.json": "agents/recipes.json", "SKILL.md": "skills/pdf/SKILL.md"} {
		b, err := os.ReadFile(filepath.Join("..", "..", "descriptor", "testdata", from))
		if err != nil {
			t.Fatal(err)
		}
		os.MkdirAll(filepath.Dir(filepath.Join(dir, to)), 0o700)
		os.WriteFile(filepath.Join(dir, to), b, 0o600)
	}
	isolateAWS(t)
	t.Setenv("AWS_ACCESS_KEY_ID", key.AccessKeyID)
	t.Setenv("AWS_SECRET_ACCESS_KEY", key.SecretAccessKey)
	args := []string{"--endpoint", p.url, "--registry", aws.ToString(reg.RegistryArn), "--submit", "--state", "", dir}
	var out, lines bytes.Buffer
	if err := importCommand(args, &out, &lines); err != nil {
		t.Fatalf("%v\n%s\n%s", err, out.String(), lines.String())
	}
	for _, want := range []string{"4 created, 0 updated, 0 unchanged, 2 skipped, 0 failed", "the server has no version",
		"the server has no name", "registry_name -> registryType", "cut to"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("summary lacks %q:\n%s", want, out.String())
		}
	}
	if !strings.Contains(lines.String(), "created   io.github.example/old/0.0.1-seed") {
		t.Errorf("progress lines:\n%s", lines.String())
	}
	out.Reset()
	if err := importCommand(args, &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "0 created, 0 updated, 4 unchanged") {
		t.Errorf("second run:\n%s", out.String())
	}
	recs, err := c.ListRegistryRecords(ctx, &ctl.ListRegistryRecordsInput{RegistryId: reg.RegistryArn})
	if err != nil || len(recs.RegistryRecords) != 4 {
		t.Fatalf("%d records, %v", len(recs.RegistryRecords), err)
	}
	for _, r := range recs.RegistryRecords {
		if r.Status != types.RegistryRecordStatusApproved {
			t.Errorf("%s is %s", aws.ToString(r.Name), r.Status)
		}
	}
}
