// Package awsimport copies registries and records from an AWS account's
// registry (the preview bedrock-agentcore API, or anything that speaks it,
// such as another agentry) into agentry, through the APIs of both: the
// command agentry import-aws. It is for users leaving AWS, or running both.
//
// What is copied: every registry (name, description, authorizer, approval
// setting) and, of each record, its latest revision (name, description,
// type, descriptors, version) with its status, reached through the
// lifecycle (submit, then approve, reject or deprecate). Ids are new:
// neither API lets a caller choose them. What exists at the destination
// under the same name is kept and counted as skipped, so a second run
// copies only what is new.
package awsimport

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	ctl "github.com/aws/aws-sdk-go-v2/service/bedrockagentcorecontrol"
	"github.com/aws/aws-sdk-go-v2/service/bedrockagentcorecontrol/types"
)

// Control is the part of the preview control-plane client the copy uses
// (*bedrockagentcorecontrol.Client).
type Control interface {
	ListRegistries(context.Context, *ctl.ListRegistriesInput, ...func(*ctl.Options)) (*ctl.ListRegistriesOutput, error)
	GetRegistry(context.Context, *ctl.GetRegistryInput, ...func(*ctl.Options)) (*ctl.GetRegistryOutput, error)
	CreateRegistry(context.Context, *ctl.CreateRegistryInput, ...func(*ctl.Options)) (*ctl.CreateRegistryOutput, error)
	ListRegistryRecords(context.Context, *ctl.ListRegistryRecordsInput, ...func(*ctl.Options)) (*ctl.ListRegistryRecordsOutput, error)
	GetRegistryRecord(context.Context, *ctl.GetRegistryRecordInput, ...func(*ctl.Options)) (*ctl.GetRegistryRecordOutput, error)
	CreateRegistryRecord(context.Context, *ctl.CreateRegistryRecordInput, ...func(*ctl.Options)) (*ctl.CreateRegistryRecordOutput, error)
	SubmitRegistryRecordForApproval(context.Context, *ctl.SubmitRegistryRecordForApprovalInput, ...func(*ctl.Options)) (*ctl.SubmitRegistryRecordForApprovalOutput, error)
	UpdateRegistryRecordStatus(context.Context, *ctl.UpdateRegistryRecordStatusInput, ...func(*ctl.Options)) (*ctl.UpdateRegistryRecordStatusOutput, error)
}

// Copier copies from From into To.
type Copier struct {
	From, To Control
	// Registries, when not empty, names the source registries to copy
	// (ids or names); empty = all.
	Registries []string
	// Log receives one line per registry and record; nil = none.
	Log io.Writer
}

// Summary counts what a run did.
type Summary struct {
	Registries, Records, Skipped, Failed int
}

// Run copies. A record that fails is logged and counted, and the run goes
// on; an error is returned only when a listing fails.
func (c *Copier) Run(ctx context.Context) (Summary, error) {
	var sum Summary
	existing, err := c.destinationRegistries(ctx)
	if err != nil {
		return sum, fmt.Errorf("listing the destination's registries: %w", err)
	}
	var next *string
	for {
		page, err := c.From.ListRegistries(ctx, &ctl.ListRegistriesInput{NextToken: next, MaxResults: aws.Int32(100)})
		if err != nil {
			return sum, fmt.Errorf("listing the source's registries: %w", err)
		}
		for _, r := range page.Registries {
			if !c.wanted(r) {
				continue
			}
			if err := c.copyRegistry(ctx, aws.ToString(r.RegistryId), existing, &sum); err != nil {
				return sum, err
			}
		}
		if next = page.NextToken; next == nil {
			return sum, nil
		}
	}
}

func (c *Copier) wanted(r types.RegistrySummary) bool {
	if len(c.Registries) == 0 {
		return true
	}
	for _, w := range c.Registries {
		if w == aws.ToString(r.RegistryId) || w == aws.ToString(r.Name) {
			return true
		}
	}
	return false
}

func (c *Copier) logf(format string, args ...any) {
	if c.Log != nil {
		fmt.Fprintf(c.Log, format+"\n", args...)
	}
}

// destinationRegistries maps the destination's registry names to ids.
func (c *Copier) destinationRegistries(ctx context.Context) (map[string]string, error) {
	out := map[string]string{}
	var next *string
	for {
		page, err := c.To.ListRegistries(ctx, &ctl.ListRegistriesInput{NextToken: next, MaxResults: aws.Int32(100)})
		if err != nil {
			return nil, err
		}
		for _, r := range page.Registries {
			out[aws.ToString(r.Name)] = aws.ToString(r.RegistryId)
		}
		if next = page.NextToken; next == nil {
			return out, nil
		}
	}
}

func (c *Copier) copyRegistry(ctx context.Context, srcID string, existing map[string]string, sum *Summary) error {
	src, err := c.From.GetRegistry(ctx, &ctl.GetRegistryInput{RegistryId: aws.String(srcID)})
	if err != nil {
		return fmt.Errorf("reading registry %s: %w", srcID, err)
	}
	name := aws.ToString(src.Name)
	dstID, ok := existing[name]
	if ok {
		c.logf("registry %s: exists at the destination as %s; copying its new records", name, dstID)
		sum.Skipped++
	} else {
		out, err := c.To.CreateRegistry(ctx, &ctl.CreateRegistryInput{
			Name: src.Name, Description: src.Description, AuthorizerType: src.AuthorizerType,
			AuthorizerConfiguration: src.AuthorizerConfiguration, ApprovalConfiguration: src.ApprovalConfiguration,
		})
		if err != nil {
			c.logf("registry %s: not copied: %v", name, err)
			sum.Failed++
			return nil
		}
		arn := aws.ToString(out.RegistryArn)
		dstID = arn[strings.LastIndex(arn, "/")+1:]
		existing[name] = dstID
		c.logf("registry %s: copied as %s", name, dstID)
		sum.Registries++
	}
	var next *string
	for {
		page, err := c.From.ListRegistryRecords(ctx, &ctl.ListRegistryRecordsInput{RegistryId: aws.String(srcID), NextToken: next, MaxResults: aws.Int32(100)})
		if err != nil {
			return fmt.Errorf("listing the records of registry %s: %w", name, err)
		}
		for _, r := range page.RegistryRecords {
			c.copyRecord(ctx, srcID, dstID, aws.ToString(r.RecordId), sum)
		}
		if next = page.NextToken; next == nil {
			return nil
		}
	}
}

func (c *Copier) copyRecord(ctx context.Context, srcReg, dstReg, srcID string, sum *Summary) {
	rec, err := c.From.GetRegistryRecord(ctx, &ctl.GetRegistryRecordInput{RegistryId: aws.String(srcReg), RecordId: aws.String(srcID)})
	if err != nil {
		c.logf("  record %s: not read: %v", srcID, err)
		sum.Failed++
		return
	}
	name := aws.ToString(rec.Name)
	out, err := c.To.CreateRegistryRecord(ctx, &ctl.CreateRegistryRecordInput{
		RegistryId: aws.String(dstReg), Name: rec.Name, Description: rec.Description,
		DescriptorType: rec.DescriptorType, Descriptors: rec.Descriptors, RecordVersion: rec.RecordVersion,
	})
	var conflict *types.ConflictException
	switch {
	case errors.As(err, &conflict):
		c.logf("  record %s: exists at the destination; kept", name)
		sum.Skipped++
		return
	case err != nil:
		c.logf("  record %s: not copied: %v", name, err)
		sum.Failed++
		return
	}
	arn := aws.ToString(out.RecordArn)
	dstID := arn[strings.LastIndex(arn, "/")+1:]
	if err := c.reach(ctx, dstReg, dstID, rec.Status, aws.ToString(rec.StatusReason)); err != nil {
		c.logf("  record %s: copied as %s, but its status %s was not reached: %v", name, dstID, rec.Status, err)
		sum.Failed++
		return
	}
	c.logf("  record %s: copied as %s (%s)", name, dstID, rec.Status)
	sum.Records++
}

// reach takes a new DRAFT record to status through the lifecycle.
func (c *Copier) reach(ctx context.Context, reg, id string, status types.RegistryRecordStatus, reason string) error {
	if status == types.RegistryRecordStatusDraft || status == "" {
		return nil
	}
	sub, err := c.To.SubmitRegistryRecordForApproval(ctx, &ctl.SubmitRegistryRecordForApprovalInput{RegistryId: aws.String(reg), RecordId: aws.String(id)})
	if err != nil {
		return err
	}
	if status == types.RegistryRecordStatusPendingApproval || sub.Status == status {
		return nil
	}
	if reason == "" {
		reason = "Imported with status " + string(status) + "."
	}
	_, err = c.To.UpdateRegistryRecordStatus(ctx, &ctl.UpdateRegistryRecordStatusInput{RegistryId: aws.String(reg), RecordId: aws.String(id),
		Status: status, StatusReason: aws.String(reason)})
	return err
}
