package server_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	ctl "github.com/aws/aws-sdk-go-v2/service/bedrockagentcorecontrol"
	"github.com/aws/aws-sdk-go-v2/service/bedrockagentcorecontrol/types"

	"github.com/agentry/agentry/server"
)

// The principals file of these tests: a publisher who may publish into the
// registry "team" only, a curator who approves everywhere but may never
// delete, and a consumer who may only read, and only from loopback.
const iamFileTemplate = `{"principals": [
 {"name": "publisher", "accessKeys": [{"accessKeyId": "AKIAPUBLISHER0000001", "secretAccessKey": "publisher-secret-0001"}],
  "policies": [{"Version": "2012-10-17", "Statement": [
   {"Effect": "Allow", "Action": ["bedrock-agentcore:ListRegistries", "bedrock-agentcore:GetRegistry"],
    "Resource": "arn:aws:bedrock-agentcore:us-east-1:123456789012:registry/*"},
   {"Effect": "Allow", "Action": ["bedrock-agentcore:CreateRegistryRecord", "bedrock-agentcore:ListRegistryRecords"],
    "Resource": "arn:aws:bedrock-agentcore:us-east-1:123456789012:registry/TEAM"},
   {"Effect": "Allow", "Action": ["bedrock-agentcore:GetRegistryRecord", "bedrock-agentcore:UpdateRegistryRecord",
      "bedrock-agentcore:SubmitRegistryRecordForApproval"],
    "Resource": "arn:aws:bedrock-agentcore:us-east-1:123456789012:registry/TEAM/record/*"}]}]},
 {"name": "curator", "accessKeys": [{"accessKeyId": "AKIACURATOR000000001", "secretAccessKey": "curator-secret-00001"}],
  "policies": [{"Version": "2012-10-17", "Statement": [
   {"Effect": "Allow", "Action": "bedrock-agentcore:*", "Resource": "*"},
   {"Effect": "Deny", "Action": ["bedrock-agentcore:Delete*"], "Resource": "*"}]}]},
 {"name": "consumer", "accessKeys": [{"accessKeyId": "AKIACONSUMER00000001", "secretAccessKey": "consumer-secret-0001"}],
  "policies": [{"Version": "2012-10-17", "Statement": [
   {"Effect": "Allow", "Action": ["bedrock-agentcore:Get*", "bedrock-agentcore:List*"], "Resource": "*",
    "Condition": {"IpAddress": {"aws:SourceIp": "CONSUMER_NET"}}}]}]}
]}`

func writeIAMFile(t *testing.T, path, team, consumerNet string) {
	t.Helper()
	body := strings.ReplaceAll(iamFileTemplate, "TEAM", team)
	body = strings.ReplaceAll(body, "CONSUMER_NET", consumerNet)
	if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
}

func wantAccessDenied(t *testing.T, err error, substrs ...string) {
	t.Helper()
	var ad *types.AccessDeniedException
	if !errors.As(err, &ad) {
		t.Fatalf("want *types.AccessDeniedException, got %T: %v", err, err)
	}
	for _, s := range substrs {
		if !strings.Contains(aws.ToString(ad.Message), s) {
			t.Fatalf("message %q does not contain %q", aws.ToString(ad.Message), s)
		}
	}
}

func TestIAMPrincipals(t *testing.T) {
	path := filepath.Join(t.TempDir(), "iam.json")
	writeIAMFile(t, path, "placeholder0", "127.0.0.0/8")
	ts := startServerWith(t, func(c *server.Config) { c.IAMFile = path })
	srv := ts.srv
	ctx := context.Background()

	team := ts.createRegistry(t, "team", false)
	other := ts.createRegistry(t, "other", false)
	writeIAMFile(t, path, team, "127.0.0.0/8")
	if err := srv.ReloadIAM(); err != nil {
		t.Fatal(err)
	}

	publisher := ts.clientWith("AKIAPUBLISHER0000001", "publisher-secret-0001")
	curator := ts.clientWith("AKIACURATOR000000001", "curator-secret-00001")
	consumer := ts.clientWith("AKIACONSUMER00000001", "consumer-secret-0001")
	pubARN := "arn:aws:iam::123456789012:user/publisher"

	// The publisher publishes into its team's registry and submits.
	out, err := publisher.CreateRegistryRecord(ctx, &ctl.CreateRegistryRecordInput{RegistryId: aws.String(team),
		Name: aws.String("weather"), DescriptorType: types.DescriptorTypeMcp, Descriptors: mcpDescriptors(minimalServer)})
	if err != nil {
		t.Fatal(err)
	}
	rec := aws.ToString(out.RecordArn)
	if _, err := publisher.SubmitRegistryRecordForApproval(ctx, &ctl.SubmitRegistryRecordForApprovalInput{RegistryId: aws.String(team), RecordId: aws.String(rec)}); err != nil {
		t.Fatal(err)
	}
	if _, err := publisher.ListRegistries(ctx, &ctl.ListRegistriesInput{}); err != nil {
		t.Fatal(err)
	}
	// ... but not into another registry, and it cannot approve or create registries.
	_, err = publisher.CreateRegistryRecord(ctx, &ctl.CreateRegistryRecordInput{RegistryId: aws.String(other),
		Name: aws.String("weather"), DescriptorType: types.DescriptorTypeMcp, Descriptors: mcpDescriptors(minimalServer)})
	wantAccessDenied(t, err, "User: "+pubARN+" is not authorized to perform: bedrock-agentcore:CreateRegistryRecord on resource: arn:aws:bedrock-agentcore:us-east-1:123456789012:registry/"+other)
	_, err = publisher.UpdateRegistryRecordStatus(ctx, &ctl.UpdateRegistryRecordStatusInput{RegistryId: aws.String(team), RecordId: aws.String(rec),
		Status: types.RegistryRecordStatusApproved, StatusReason: aws.String("self-approval")})
	wantAccessDenied(t, err, "UpdateRegistryRecordStatus", rec)
	_, err = publisher.CreateRegistry(ctx, &ctl.CreateRegistryInput{Name: aws.String("mine")})
	wantAccessDenied(t, err, "CreateRegistry", "registry/*")

	// The curator approves; its explicit Deny beats its Allow of everything.
	if _, err := curator.UpdateRegistryRecordStatus(ctx, &ctl.UpdateRegistryRecordStatusInput{RegistryId: aws.String(team), RecordId: aws.String(rec),
		Status: types.RegistryRecordStatusApproved, StatusReason: aws.String("reviewed")}); err != nil {
		t.Fatal(err)
	}
	_, err = curator.DeleteRegistryRecord(ctx, &ctl.DeleteRegistryRecordInput{RegistryId: aws.String(team), RecordId: aws.String(rec)})
	wantAccessDenied(t, err, "DeleteRegistryRecord", "explicit deny")

	// The consumer reads from loopback, and may not write.
	got, err := consumer.GetRegistryRecord(ctx, &ctl.GetRegistryRecordInput{RegistryId: aws.String(team), RecordId: aws.String(rec)})
	if err != nil || got.Status != types.RegistryRecordStatusApproved {
		t.Fatalf("consumer read: %v, %v", got, err)
	}
	_, err = consumer.UpdateRegistry(ctx, &ctl.UpdateRegistryInput{RegistryId: aws.String(team), Name: aws.String("mine")})
	wantAccessDenied(t, err, "UpdateRegistry")

	// A changed file takes effect on reload: the consumer's network moves away.
	writeIAMFile(t, path, team, "10.0.0.0/8")
	if err := srv.ReloadIAM(); err != nil {
		t.Fatal(err)
	}
	_, err = consumer.GetRegistryRecord(ctx, &ctl.GetRegistryRecordInput{RegistryId: aws.String(team), RecordId: aws.String(rec)})
	wantAccessDenied(t, err, "GetRegistryRecord")

	// A broken file is refused and the previous one stays in force.
	os.WriteFile(path, []byte(`{"principals": [{"name": "x"`), 0o600)
	if err := srv.ReloadIAM(); err == nil {
		t.Fatal("a broken IAM file was accepted")
	}
	if _, err := curator.ListRegistries(ctx, &ctl.ListRegistriesInput{}); err != nil {
		t.Fatalf("curator after a broken reload: %v", err)
	}

	// Nothing a denied call attempted happened.
	recs := must[*ctl.ListRegistryRecordsOutput](t)(ts.Client.ListRegistryRecords(ctx, &ctl.ListRegistryRecordsInput{RegistryId: aws.String(other)}))
	regs := must[*ctl.ListRegistriesOutput](t)(ts.Client.ListRegistries(ctx, &ctl.ListRegistriesInput{}))
	if len(recs.RegistryRecords) != 0 || len(regs.Registries) != 2 {
		t.Fatalf("denied calls changed state: %d records in other, %d registries", len(recs.RegistryRecords), len(regs.Registries))
	}
}

// TestIAMOperationMatrix checks every control-plane operation for each of
// the three principals: a call is allowed when it gets anything but
// AccessDeniedException (the calls are built to change nothing that
// matters: unknown record ids, no-op updates).
func TestIAMOperationMatrix(t *testing.T) {
	path := filepath.Join(t.TempDir(), "iam.json")
	writeIAMFile(t, path, "placeholder0", "127.0.0.0/8")
	ts := startServerWith(t, func(c *server.Config) { c.IAMFile = path })
	team := ts.createRegistry(t, "team", false)
	writeIAMFile(t, path, team, "127.0.0.0/8")
	if err := ts.srv.ReloadIAM(); err != nil {
		t.Fatal(err)
	}
	rec := ts.createRecord(t, team, "weather")
	ctx := context.Background()
	missing := "zzzzzzzzzzzz" // a record id that does not exist
	ops := map[string]func(c *ctl.Client) error{
		"CreateRegistry": func(c *ctl.Client) error {
			_, err := c.CreateRegistry(ctx, &ctl.CreateRegistryInput{Name: aws.String("team")}) // a duplicate: conflict if allowed
			return err
		},
		"GetRegistry": func(c *ctl.Client) error {
			_, err := c.GetRegistry(ctx, &ctl.GetRegistryInput{RegistryId: aws.String(team)})
			return err
		},
		"ListRegistries": func(c *ctl.Client) error {
			_, err := c.ListRegistries(ctx, &ctl.ListRegistriesInput{})
			return err
		},
		"UpdateRegistry": func(c *ctl.Client) error {
			_, err := c.UpdateRegistry(ctx, &ctl.UpdateRegistryInput{RegistryId: aws.String(team), Name: aws.String("team")})
			return err
		},
		"DeleteRegistry": func(c *ctl.Client) error {
			_, err := c.DeleteRegistry(ctx, &ctl.DeleteRegistryInput{RegistryId: aws.String(team)}) // has records: conflict if allowed
			return err
		},
		"CreateRegistryRecord": func(c *ctl.Client) error {
			_, err := c.CreateRegistryRecord(ctx, &ctl.CreateRegistryRecordInput{RegistryId: aws.String(team), Name: aws.String("weather"),
				DescriptorType: types.DescriptorTypeMcp, Descriptors: mcpDescriptors(minimalServer)}) // duplicate name
			return err
		},
		"GetRegistryRecord": func(c *ctl.Client) error {
			_, err := c.GetRegistryRecord(ctx, &ctl.GetRegistryRecordInput{RegistryId: aws.String(team), RecordId: aws.String(rec)})
			return err
		},
		"ListRegistryRecords": func(c *ctl.Client) error {
			_, err := c.ListRegistryRecords(ctx, &ctl.ListRegistryRecordsInput{RegistryId: aws.String(team)})
			return err
		},
		"UpdateRegistryRecord": func(c *ctl.Client) error {
			_, err := c.UpdateRegistryRecord(ctx, &ctl.UpdateRegistryRecordInput{RegistryId: aws.String(team), RecordId: aws.String(missing)})
			return err
		},
		"DeleteRegistryRecord": func(c *ctl.Client) error {
			_, err := c.DeleteRegistryRecord(ctx, &ctl.DeleteRegistryRecordInput{RegistryId: aws.String(team), RecordId: aws.String(missing)})
			return err
		},
		"SubmitRegistryRecordForApproval": func(c *ctl.Client) error {
			_, err := c.SubmitRegistryRecordForApproval(ctx, &ctl.SubmitRegistryRecordForApprovalInput{RegistryId: aws.String(team), RecordId: aws.String(missing)})
			return err
		},
		"UpdateRegistryRecordStatus": func(c *ctl.Client) error {
			_, err := c.UpdateRegistryRecordStatus(ctx, &ctl.UpdateRegistryRecordStatusInput{RegistryId: aws.String(team), RecordId: aws.String(missing),
				Status: types.RegistryRecordStatusApproved, StatusReason: aws.String("x")})
			return err
		},
	}
	allowed := map[string][]string{
		"publisher": {"GetRegistry", "ListRegistries", "CreateRegistryRecord", "ListRegistryRecords", "GetRegistryRecord",
			"UpdateRegistryRecord", "SubmitRegistryRecordForApproval"},
		"curator": {"CreateRegistry", "GetRegistry", "ListRegistries", "UpdateRegistry", "CreateRegistryRecord", "GetRegistryRecord",
			"ListRegistryRecords", "UpdateRegistryRecord", "SubmitRegistryRecordForApproval", "UpdateRegistryRecordStatus"},
		"consumer": {"GetRegistry", "ListRegistries", "GetRegistryRecord", "ListRegistryRecords"},
	}
	clients := map[string]*ctl.Client{
		"publisher": ts.clientWith("AKIAPUBLISHER0000001", "publisher-secret-0001"),
		"curator":   ts.clientWith("AKIACURATOR000000001", "curator-secret-00001"),
		"consumer":  ts.clientWith("AKIACONSUMER00000001", "consumer-secret-0001"),
	}
	for who, c := range clients {
		for op, call := range ops {
			t.Run(who+"/"+op, func(t *testing.T) {
				err := call(c)
				var ad *types.AccessDeniedException
				denied := errors.As(err, &ad)
				if want := slices.Contains(allowed[who], op); want == denied {
					t.Fatalf("allowed=%v, got %v", want, err)
				}
				if denied && !strings.Contains(aws.ToString(ad.Message), "bedrock-agentcore:"+op) {
					t.Fatalf("denial does not name the action: %s", aws.ToString(ad.Message))
				}
			})
		}
	}
	// None of that changed the registry or its record.
	got := must[*ctl.GetRegistryRecordOutput](t)(ts.Client.GetRegistryRecord(ctx, &ctl.GetRegistryRecordInput{RegistryId: aws.String(team), RecordId: aws.String(rec)}))
	if got.Status != types.RegistryRecordStatusDraft {
		t.Fatalf("record changed: %s", got.Status)
	}
}
