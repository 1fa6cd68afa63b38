package awsimport_test

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	ctl "github.com/aws/aws-sdk-go-v2/service/bedrockagentcorecontrol"
	"github.com/aws/aws-sdk-go-v2/service/bedrockagentcorecontrol/types"

	"github.com/agentry/agentry/awsimport"
	"github.com/agentry/agentry/credentials"
	"github.com/agentry/agentry/internal/awstest"
	"github.com/agentry/agentry/server"
)

// registryServer is a real agentry on a loopback port and a preview SDK
// client of it (retries off). The source of the copy is one too: it speaks
// the API of the AWS account a user leaves.
func registryServer(t *testing.T) *ctl.Client {
	t.Helper()
	key := credentials.Generate()
	hs := httptest.NewUnstartedServer(nil)
	srv, err := server.New(context.Background(), server.Config{DataDir: t.TempDir(), Region: "us-east-1", AccountID: "123456789012",
		Root: key, PublicURL: "http://" + hs.Listener.Addr().String(), Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	hs.Config.Handler = srv.Handler()
	hs.Start()
	t.Cleanup(func() { hs.Close(); srv.Close() })
	return awstest.Control(hs.URL, key.AccessKeyID, key.SecretAccessKey)
}

func idOf(arn *string) string { s := aws.ToString(arn); return s[strings.LastIndex(s, "/")+1:] }

func TestCopy(t *testing.T) {
	ctx := context.Background()
	from, to := registryServer(t), registryServer(t)
	reg := must(from.CreateRegistry(ctx, &ctl.CreateRegistryInput{Name: aws.String("team"), Description: aws.String("Team tools")}))
	server := func(name, version string) *types.Descriptors {
		return &types.Descriptors{Mcp: &types.McpDescriptor{Server: &types.ServerDefinition{
			InlineContent: aws.String(`{"name":"io.example/` + name + `","description":"` + name + ` tools","version":"` + version + `"}`)}}}
	}
	statuses := map[string]types.RegistryRecordStatus{"draft": "", "pending": types.RegistryRecordStatusPendingApproval,
		"approved": types.RegistryRecordStatusApproved, "rejected": types.RegistryRecordStatusRejected, "deprecated": types.RegistryRecordStatusDeprecated}
	for name, status := range statuses {
		out := must(from.CreateRegistryRecord(ctx, &ctl.CreateRegistryRecordInput{RegistryId: aws.String(idOf(reg.RegistryArn)),
			Name: aws.String(name), DescriptorType: types.DescriptorTypeMcp, Descriptors: server(name, "1.2.3")}))
		if status == "" {
			continue
		}
		must(from.SubmitRegistryRecordForApproval(ctx, &ctl.SubmitRegistryRecordForApprovalInput{RegistryId: aws.String(idOf(reg.RegistryArn)), RecordId: aws.String(idOf(out.RecordArn))}))
		if status != types.RegistryRecordStatusPendingApproval {
			must(from.UpdateRegistryRecordStatus(ctx, &ctl.UpdateRegistryRecordStatusInput{RegistryId: aws.String(idOf(reg.RegistryArn)),
				RecordId: aws.String(idOf(out.RecordArn)), Status: status, StatusReason: aws.String("by the curator")}))
		}
	}
	must(from.CreateRegistry(ctx, &ctl.CreateRegistryInput{Name: aws.String("other")}))

	var log bytes.Buffer
	c := &awsimport.Copier{From: from, To: to, Registries: []string{"team"}, Log: &log}
	sum, err := c.Run(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if sum != (awsimport.Summary{Registries: 1, Records: 5}) {
		t.Fatalf("summary = %+v\n%s", sum, log.String())
	}
	regs := must(to.ListRegistries(ctx, &ctl.ListRegistriesInput{}))
	if len(regs.Registries) != 1 || aws.ToString(regs.Registries[0].Name) != "team" || aws.ToString(regs.Registries[0].Description) != "Team tools" {
		t.Fatalf("destination registries = %+v", regs.Registries)
	}
	dst := aws.ToString(regs.Registries[0].RegistryId)
	recs := must(to.ListRegistryRecords(ctx, &ctl.ListRegistryRecordsInput{RegistryId: aws.String(dst)}))
	got := map[string]types.RegistryRecordStatus{}
	for _, r := range recs.RegistryRecords {
		got[aws.ToString(r.Name)] = r.Status
		if aws.ToString(r.RecordVersion) != "1.2.3" {
			t.Fatalf("record %s version %q", aws.ToString(r.Name), aws.ToString(r.RecordVersion))
		}
	}
	for name, want := range statuses {
		if want == "" {
			want = types.RegistryRecordStatusDraft
		}
		if got[name] != want {
			t.Fatalf("record %s: %s, want %s (%v)", name, got[name], want, got)
		}
	}
	// A second run copies nothing new.
	sum, err = c.Run(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if sum != (awsimport.Summary{Skipped: 6}) {
		t.Fatalf("second run = %+v\n%s", sum, log.String())
	}
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}
