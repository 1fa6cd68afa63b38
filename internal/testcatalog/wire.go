package testcatalog

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	data "github.com/aws/aws-sdk-go-v2/service/bedrockagentcore"
	ctl "github.com/aws/aws-sdk-go-v2/service/bedrockagentcorecontrol"
	"github.com/aws/aws-sdk-go-v2/service/bedrockagentcorecontrol/types"
)

// Wire is a registry whose answers have the sizes clients meet, for tests
// of the wire: 100 approved MCP records, each a server.json with a
// package and a tools/list of 2 to 6 tools (about 2 KB of descriptors,
// described in the words of the MCP Registry seed), and one draft, Big,
// whose tools/list is about 90 KB. Its searches find every approved
// record, so that they answer as many as they are asked for (about 2.3 KB
// of JSON a record).
type Wire struct {
	Registry string
	Big      string
}

// wireRecords is the number of approved records of a Wire registry.
const wireRecords = 100

// BigTools is the number of tools of the big record's tools/list (about
// 91 KB).
const BigTools = 315

// wireQuery matches every approved record of a Wire registry.
const wireQuery = "mcp server tools"

// PublishWire creates the registry "wire" with c (8 clients at a time) and
// publishes its records; testdata is the repository's testdata folder.
func PublishWire(tb testing.TB, c *ctl.Client, testdata string) Wire {
	tb.Helper()
	seed := WireSeed(tb, testdata)
	ctx := context.Background()
	reg, err := c.CreateRegistry(ctx, &ctl.CreateRegistryInput{
		Name: aws.String("wire"), ApprovalConfiguration: &types.ApprovalConfiguration{AutoApproval: true}})
	if err != nil {
		tb.Fatal(err)
	}
	regID := LastSegment(aws.ToString(reg.RegistryArn))
	var next atomic.Int64
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for {
				i := int(next.Add(1)) - 1
				if i >= wireRecords {
					return
				}
				out, err := c.CreateRegistryRecord(ctx, &ctl.CreateRegistryRecordInput{
					RegistryId: aws.String(regID), Name: aws.String(fmt.Sprintf("server-%03d", i)),
					Description: aws.String(truncate(seed[i%len(seed)], 200)), DescriptorType: types.DescriptorTypeMcp,
					Descriptors: wireDescriptors(seed, i, 2+i%5)})
				if err == nil {
					_, err = c.SubmitRegistryRecordForApproval(ctx, &ctl.SubmitRegistryRecordForApprovalInput{
						RegistryId: aws.String(regID), RecordId: out.RecordArn})
				}
				if err != nil {
					tb.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	if tb.Failed() {
		tb.FailNow()
	}
	big, err := c.CreateRegistryRecord(ctx, &ctl.CreateRegistryRecordInput{
		RegistryId: aws.String(regID), Name: aws.String("big"), DescriptorType: types.DescriptorTypeMcp,
		Descriptors: wireDescriptors(seed, 0, BigTools)})
	if err != nil {
		tb.Fatal(err)
	}
	return Wire{Registry: regID, Big: LastSegment(aws.ToString(big.RecordArn))}
}

// Call is one call of a wire test: it fails if the call does or if the
// answer is not complete.
type Call struct {
	Name string
	Do   func(context.Context) error
}

// Calls are the calls the wire tests make, by size of answer:
// SearchRegistryRecords of 10 and 20 records (about 24 and 45 KB of JSON),
// ListRegistryRecords of 100 (47 KB) and GetRegistryRecord of Big (100 KB).
func (w Wire) Calls(c *ctl.Client, d *data.Client) []Call {
	search := func(n int) func(context.Context) error {
		return func(ctx context.Context) error {
			out, err := d.SearchRegistryRecords(ctx, &data.SearchRegistryRecordsInput{RegistryIds: []string{w.Registry},
				SearchQuery: aws.String(wireQuery), MaxResults: aws.Int32(int32(n))})
			if err != nil {
				return err
			}
			return count(len(out.RegistryRecords), n)
		}
	}
	return []Call{
		{"search-10", search(10)},
		{"search-20", search(20)},
		{"list-100", func(ctx context.Context) error {
			out, err := c.ListRegistryRecords(ctx, &ctl.ListRegistryRecordsInput{RegistryId: aws.String(w.Registry), MaxResults: aws.Int32(100)})
			if err != nil {
				return err
			}
			return count(len(out.RegistryRecords), 100)
		}},
		{"get-90KB", func(ctx context.Context) error {
			out, err := c.GetRegistryRecord(ctx, &ctl.GetRegistryRecordInput{RegistryId: aws.String(w.Registry), RecordId: aws.String(w.Big)})
			if err != nil {
				return err
			}
			if n := len(aws.ToString(out.Descriptors.Mcp.Tools.InlineContent)); n < 90_000 {
				return fmt.Errorf("the big record's tools/list has %d bytes, want at least 90,000", n)
			}
			return nil
		}},
	}
}

func count(got, want int) error {
	if got != want {
		return fmt.Errorf("%d records in the answer, want %d", got, want)
	}
	return nil
}

// WireSeed returns the descriptions of the MCP Registry seed, with a
// made-up one where a server has none; testdata is the repository's
// testdata folder.
func WireSeed(tb testing.TB, testdata string) []string {
	b, err := os.ReadFile(filepath.Join(testdata, "search-eval", "mcp-registry-seed", "seed_2025_05_16.json"))
	if err != nil {
		tb.Fatal(err)
	}
	var seed []struct{ Name, Description string }
	if err := json.Unmarshal(b, &seed); err != nil {
		tb.Fatal(err)
	}
	out := make([]string, len(seed))
	for i, s := range seed {
		out[i] = strings.TrimSpace(s.Description)
		if out[i] == "" {
			out[i] = "MCP server " + s.Name
		}
	}
	return out
}

// wireDescriptors is WireDescriptorTexts as the SDK sends them.
func wireDescriptors(seed []string, i, n int) *types.Descriptors {
	server, tools := WireDescriptorTexts(seed, i, n)
	return &types.Descriptors{Mcp: &types.McpDescriptor{
		Server: &types.ServerDefinition{InlineContent: aws.String(server)},
		Tools:  &types.ToolsDefinition{InlineContent: aws.String(tools)}}}
}

// WireDescriptorTexts are the i-th record's server.json and its tools/list
// of n tools, described with the seed's descriptions from the i-th on.
func WireDescriptorTexts(seed []string, i, n int) (server, tools string) {
	s, _ := json.Marshal(map[string]any{
		"name": fmt.Sprintf("io.example/server-%d", i), "description": truncate("MCP server tools: "+seed[i%len(seed)], 100),
		"version": "1.2.0",
		"packages": []any{map[string]any{"registryType": "npm", "identifier": fmt.Sprintf("@example/server-%d", i),
			"version": "1.2.0", "transport": map[string]string{"type": "stdio"}}},
	})
	list := make([]any, n)
	for t := range list {
		list[t] = map[string]any{
			"name": fmt.Sprintf("tool_%d", t), "description": seed[(i*7+t)%len(seed)],
			"inputSchema": map[string]any{"type": "object", "properties": map[string]any{
				"query": map[string]string{"type": "string", "description": "What to look for"},
				"limit": map[string]string{"type": "integer", "description": "How many results to return"}}},
		}
	}
	t, _ := json.Marshal(map[string]any{"tools": list})
	return string(s), string(t)
}

func truncate(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return strings.TrimSpace(string(r[:n]))
	}
	return s
}
