package server_test

import (
	"context"
	"os"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	ctl "github.com/aws/aws-sdk-go-v2/service/bedrockagentcorecontrol"
	"github.com/aws/aws-sdk-go-v2/service/bedrockagentcorecontrol/types"

	"github.com/agentry/agentry/server"
)

// TestListFollowsOtherReplica: a replica's ListRegistryRecords answers,
// which it may keep (summaries, whole pages), show at once what another
// replica on the same database wrote: updates, submissions, deletions.
func TestListFollowsOtherReplica(t *testing.T) {
	ctx := context.Background()
	a := startServer(t)
	b := startServerWith(t, func(c *server.Config) {
		if os.Getenv("AGENTRY_TEST_STORE") == "postgres" {
			c.DatabaseURL = a.cfg.DatabaseURL
		} else {
			c.DataDir = a.cfg.DataDir
		}
	})
	reg := a.createRegistry(t, "shared", false)
	var ids []string
	for _, name := range []string{"alpha", "beta", "gamma"} {
		ids = append(ids, a.createRecord(t, reg, name))
	}
	list := func(want map[string]string) {
		t.Helper()
		for range 2 { // the second from what b may have kept
			out, err := b.Client.ListRegistryRecords(ctx, &ctl.ListRegistryRecordsInput{RegistryId: aws.String(reg), MaxResults: aws.Int32(100)})
			if err != nil {
				t.Fatal(err)
			}
			got := map[string]string{}
			for _, r := range out.RegistryRecords {
				got[aws.ToString(r.Name)] = aws.ToString(r.Description) + "/" + string(r.Status)
			}
			if len(got) != len(want) {
				t.Fatalf("got %v, want %v", got, want)
			}
			for k, v := range want {
				if got[k] != v {
					t.Fatalf("got %v, want %v", got, want)
				}
			}
		}
	}
	list(map[string]string{"alpha": "/DRAFT", "beta": "/DRAFT", "gamma": "/DRAFT"})

	must[*ctl.UpdateRegistryRecordOutput](t)(a.Client.UpdateRegistryRecord(ctx, &ctl.UpdateRegistryRecordInput{
		RegistryId: aws.String(reg), RecordId: aws.String(ids[0]), Description: &types.UpdatedDescription{OptionalValue: aws.String("changed")}}))
	must[*ctl.SubmitRegistryRecordForApprovalOutput](t)(a.Client.SubmitRegistryRecordForApproval(ctx,
		&ctl.SubmitRegistryRecordForApprovalInput{RegistryId: aws.String(reg), RecordId: aws.String(ids[1])}))
	list(map[string]string{"alpha": "changed/DRAFT", "beta": "/PENDING_APPROVAL", "gamma": "/DRAFT"})
	must[*ctl.DeleteRegistryRecordOutput](t)(a.Client.DeleteRegistryRecord(ctx,
		&ctl.DeleteRegistryRecordInput{RegistryId: aws.String(reg), RecordId: aws.String(ids[2])}))
	list(map[string]string{"alpha": "changed/DRAFT", "beta": "/PENDING_APPROVAL"})
}
