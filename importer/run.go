package importer

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"path"
	"sort"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/aws/aws-sdk-go-v2/aws"
	ctl "github.com/aws/aws-sdk-go-v2/service/bedrockagentcorecontrol"
	"github.com/aws/aws-sdk-go-v2/service/bedrockagentcorecontrol/types"
	"github.com/aws/smithy-go"
)

// API is the part of the registry control plane an import uses
// (*bedrockagentcorecontrol.Client).
type API interface {
	ListRegistryRecords(context.Context, *ctl.ListRegistryRecordsInput, ...func(*ctl.Options)) (*ctl.ListRegistryRecordsOutput, error)
	GetRegistryRecord(context.Context, *ctl.GetRegistryRecordInput, ...func(*ctl.Options)) (*ctl.GetRegistryRecordOutput, error)
	CreateRegistryRecord(context.Context, *ctl.CreateRegistryRecordInput, ...func(*ctl.Options)) (*ctl.CreateRegistryRecordOutput, error)
	UpdateRegistryRecord(context.Context, *ctl.UpdateRegistryRecordInput, ...func(*ctl.Options)) (*ctl.UpdateRegistryRecordOutput, error)
	SubmitRegistryRecordForApproval(context.Context, *ctl.SubmitRegistryRecordForApprovalInput, ...func(*ctl.Options)) (*ctl.SubmitRegistryRecordForApprovalOutput, error)
	UpdateRegistryRecordStatus(context.Context, *ctl.UpdateRegistryRecordStatusInput, ...func(*ctl.Options)) (*ctl.UpdateRegistryRecordStatusOutput, error)
}

// Options configure Run.
type Options struct {
	Registry    string
	DryRun      bool
	Submit      bool // submit created and updated records for approval
	Approve     bool // and approve them (a curator's right)
	Include     []string
	Exclude     []string // path.Match patterns on the item name
	Concurrency int      // at least 1
	// Progress hears of every item when it is done.
	Progress func(r Result)
}

// Outcome is what happened to an item.
type Outcome string

const (
	Created   Outcome = "created"
	Updated   Outcome = "updated"
	Unchanged Outcome = "unchanged"
	Skipped   Outcome = "skipped"
	Failed    Outcome = "failed"
)

// Result is the outcome of one item.
type Result struct {
	Item    *Item
	Outcome Outcome
	Reason  string // why skipped or failed
}

// Summary counts outcomes.
type Summary struct {
	Results []Result
	Counts  map[Outcome]int
}

// Run imports items into a registry: each becomes the record named
// RecordName, created when missing, updated when its content differs,
// left alone when the same.
func Run(ctx context.Context, api API, items []Item, opts Options) (Summary, error) {
	existing, err := listNames(ctx, api, opts.Registry)
	if err != nil {
		return Summary{}, err
	}
	results := make([]Result, len(items))
	var next atomic.Int64
	var wg sync.WaitGroup
	for range max(1, opts.Concurrency) {
		wg.Go(func() {
			for i := int(next.Add(1)) - 1; i < len(items); i = int(next.Add(1)) - 1 {
				it := &items[i]
				results[i] = importOne(ctx, api, it, existing[it.RecordName()], opts)
				if opts.Progress != nil {
					opts.Progress(results[i])
				}
			}
		})
	}
	wg.Wait()
	s := Summary{Results: results, Counts: map[Outcome]int{}}
	for _, r := range results {
		s.Counts[r.Outcome]++
	}
	return s, ctx.Err()
}

func listNames(ctx context.Context, api API, reg string) (map[string]string, error) {
	names := map[string]string{}
	in := &ctl.ListRegistryRecordsInput{RegistryId: aws.String(reg), MaxResults: aws.Int32(100)}
	for {
		out, err := api.ListRegistryRecords(ctx, in)
		if err != nil {
			return nil, fmt.Errorf("listing the records of registry %s: %w", reg, err)
		}
		for _, r := range out.RegistryRecords {
			names[aws.ToString(r.Name)] = aws.ToString(r.RecordId)
		}
		if out.NextToken == nil {
			return names, nil
		}
		in.NextToken = out.NextToken
	}
}

func selected(name string, opts Options) bool {
	match := func(patterns []string) bool {
		for _, p := range patterns {
			if ok, _ := path.Match(p, name); ok {
				return true
			}
		}
		return false
	}
	return (len(opts.Include) == 0 || match(opts.Include)) && !match(opts.Exclude)
}

func importOne(ctx context.Context, api API, it *Item, recordID string, opts Options) Result {
	switch {
	case it.Skip != "":
		return Result{Item: it, Outcome: Skipped, Reason: it.Skip}
	case !selected(it.Name, opts):
		return Result{Item: it, Outcome: Skipped, Reason: "excluded by --include/--exclude"}
	}
	reg := aws.String(opts.Registry)
	if recordID != "" {
		cur, err := api.GetRegistryRecord(ctx, &ctl.GetRegistryRecordInput{RegistryId: reg, RecordId: aws.String(recordID)})
		if err != nil {
			return failed(it, err)
		}
		if sameContent(cur, it) {
			// A draft left by an interrupted run is submitted now.
			if cur.Status == types.RegistryRecordStatusDraft && !opts.DryRun {
				return publish(ctx, api, it, recordID, Unchanged, opts)
			}
			return Result{Item: it, Outcome: Unchanged}
		}
		if opts.DryRun {
			return Result{Item: it, Outcome: Updated}
		}
		_, err = api.UpdateRegistryRecord(ctx, &ctl.UpdateRegistryRecordInput{RegistryId: reg, RecordId: aws.String(recordID),
			Description: &types.UpdatedDescription{OptionalValue: description(it)},
			Descriptors: &types.UpdatedDescriptors{OptionalValue: updatedDescriptors(it)}})
		if err != nil {
			return failed(it, err)
		}
		return publish(ctx, api, it, recordID, Updated, opts)
	}
	if opts.DryRun {
		return Result{Item: it, Outcome: Created}
	}
	out, err := api.CreateRegistryRecord(ctx, &ctl.CreateRegistryRecordInput{RegistryId: reg, Name: aws.String(it.RecordName()),
		DescriptorType: types.DescriptorType(it.Kind), Description: description(it), Descriptors: descriptors(it),
		ClientToken: aws.String(clientToken(it))})
	if err != nil {
		return failed(it, err)
	}
	arn := aws.ToString(out.RecordArn)
	return publish(ctx, api, it, arn[strings.LastIndex(arn, "/")+1:], Created, opts)
}

func publish(ctx context.Context, api API, it *Item, id string, outcome Outcome, opts Options) Result {
	if !opts.Submit && !opts.Approve {
		return Result{Item: it, Outcome: outcome}
	}
	reg := aws.String(opts.Registry)
	out, err := api.SubmitRegistryRecordForApproval(ctx, &ctl.SubmitRegistryRecordForApprovalInput{RegistryId: reg, RecordId: aws.String(id)})
	if err != nil {
		return failed(it, err)
	}
	if opts.Approve && out.Status != types.RegistryRecordStatusApproved {
		_, err = api.UpdateRegistryRecordStatus(ctx, &ctl.UpdateRegistryRecordStatusInput{RegistryId: reg, RecordId: aws.String(id),
			Status: types.RegistryRecordStatusApproved, StatusReason: aws.String("Approved by agentry import.")})
		if err != nil {
			return failed(it, err)
		}
	}
	return Result{Item: it, Outcome: outcome}
}

func failed(it *Item, err error) Result {
	var api smithy.APIError
	if errors.As(err, &api) {
		return Result{Item: it, Outcome: Failed, Reason: api.ErrorCode() + ": " + api.ErrorMessage()}
	}
	return Result{Item: it, Outcome: Failed, Reason: err.Error()}
}

// clientToken makes a create idempotent: the same source, record and
// content give the same token.
func clientToken(it *Item) string {
	h := sha256.Sum256([]byte(it.Source + "\x00" + it.RecordName() + "\x00" + it.Content))
	return "agentry-import-" + hex.EncodeToString(h[:])
}

func description(it *Item) *string {
	d := it.Description
	if d == "" {
		return nil
	}
	if r := []rune(d); len(r) > 4096 {
		d = string(r[:4096])
	}
	return aws.String(d)
}

func descriptors(it *Item) *types.Descriptors {
	c := aws.String(it.Content)
	switch it.Kind {
	case KindA2A:
		return &types.Descriptors{A2a: &types.A2aDescriptor{AgentCard: &types.AgentCardDefinition{InlineContent: c}}}
	case KindSkill:
		return &types.Descriptors{AgentSkills: &types.AgentSkillsDescriptor{SkillMd: &types.SkillMdDefinition{InlineContent: c}}}
	}
	return &types.Descriptors{Mcp: &types.McpDescriptor{Server: &types.ServerDefinition{InlineContent: c}}}
}

func updatedDescriptors(it *Item) *types.UpdatedDescriptorsUnion {
	c := aws.String(it.Content)
	switch it.Kind {
	case KindA2A:
		return &types.UpdatedDescriptorsUnion{A2a: &types.UpdatedA2aDescriptor{OptionalValue: &types.A2aDescriptor{
			AgentCard: &types.AgentCardDefinition{InlineContent: c}}}}
	case KindSkill:
		return &types.UpdatedDescriptorsUnion{AgentSkills: &types.UpdatedAgentSkillsDescriptor{OptionalValue: &types.UpdatedAgentSkillsDescriptorFields{
			SkillMd: &types.UpdatedSkillMdDefinition{OptionalValue: &types.SkillMdDefinition{InlineContent: c}}}}}
	}
	return &types.UpdatedDescriptorsUnion{Mcp: &types.UpdatedMcpDescriptor{OptionalValue: &types.UpdatedMcpDescriptorFields{
		Server: &types.UpdatedServerDefinition{OptionalValue: &types.ServerDefinition{InlineContent: c}}}}}
}

// sameContent reports whether a record already holds an item.
func sameContent(cur *ctl.GetRegistryRecordOutput, it *Item) bool {
	if aws.ToString(cur.Description) != aws.ToString(description(it)) || cur.Descriptors == nil {
		return false
	}
	d := cur.Descriptors
	switch it.Kind {
	case KindA2A:
		return d.A2a != nil && d.A2a.AgentCard != nil && aws.ToString(d.A2a.AgentCard.InlineContent) == it.Content
	case KindSkill:
		return d.AgentSkills != nil && d.AgentSkills.SkillMd != nil && aws.ToString(d.AgentSkills.SkillMd.InlineContent) == it.Content
	}
	return d.Mcp != nil && d.Mcp.Server != nil && aws.ToString(d.Mcp.Server.InlineContent) == it.Content
}

// SortedReasons lists the skip and failure reasons with their counts,
// most frequent first.
func (s Summary) SortedReasons() []string {
	counts := map[string]int{}
	for _, r := range s.Results {
		if r.Reason != "" {
			counts[string(r.Outcome)+": "+r.Reason]++
		}
	}
	out := make([]string, 0, len(counts))
	for k := range counts {
		out = append(out, k)
	}
	sort.Slice(out, func(i, j int) bool {
		if counts[out[i]] != counts[out[j]] {
			return counts[out[i]] > counts[out[j]]
		}
		return out[i] < out[j]
	})
	for i, k := range out {
		out[i] = fmt.Sprintf("%4d  %s", counts[k], k)
	}
	return out
}
