// Package testcatalog publishes catalogs through the control-plane API, for
// tests: a small one for tests of whatever searches it (an AWS_IAM registry
// with two approved MCP servers, gmail ("Read and send email from a Gmail
// inbox") and weather ("Weather forecasts and severe weather alerts")), and
// one whose answers have the sizes clients meet, for tests of the wire
// (wire.go).
package testcatalog

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	ctl "github.com/aws/aws-sdk-go-v2/service/bedrockagentcorecontrol"
	"github.com/aws/aws-sdk-go-v2/service/bedrockagentcorecontrol/types"
)

// Publish creates the registry "catalog" with c, publishes and approves the
// two records, and returns the registry's id.
func Publish(t testing.TB, c *ctl.Client) string {
	t.Helper()
	ctx := context.Background()
	reg, err := c.CreateRegistry(ctx, &ctl.CreateRegistryInput{Name: aws.String("catalog")})
	if err != nil {
		t.Fatal(err)
	}
	regID := LastSegment(aws.ToString(reg.RegistryArn))
	for name, description := range map[string]string{
		"gmail":   "Read and send email from a Gmail inbox",
		"weather": "Weather forecasts and severe weather alerts",
	} {
		server := fmt.Sprintf(`{"name": "io.example/%s", "description": %q, "version": "1.0.0"}`, name, description)
		rec, err := c.CreateRegistryRecord(ctx, &ctl.CreateRegistryRecordInput{
			RegistryId: aws.String(regID), Name: aws.String(name), Description: aws.String(description),
			DescriptorType: types.DescriptorTypeMcp,
			Descriptors:    &types.Descriptors{Mcp: &types.McpDescriptor{Server: &types.ServerDefinition{InlineContent: aws.String(server)}}},
		})
		if err != nil {
			t.Fatal(err)
		}
		recID := LastSegment(aws.ToString(rec.RecordArn))
		if _, err := c.SubmitRegistryRecordForApproval(ctx, &ctl.SubmitRegistryRecordForApprovalInput{
			RegistryId: aws.String(regID), RecordId: aws.String(recID)}); err != nil {
			t.Fatal(err)
		}
		if _, err := c.UpdateRegistryRecordStatus(ctx, &ctl.UpdateRegistryRecordStatusInput{
			RegistryId: aws.String(regID), RecordId: aws.String(recID),
			Status: types.RegistryRecordStatusApproved, StatusReason: aws.String("test")}); err != nil {
			t.Fatal(err)
		}
	}
	return regID
}

// LastSegment is the id at the end of an ARN.
func LastSegment(arn string) string { return arn[strings.LastIndex(arn, "/")+1:] }
