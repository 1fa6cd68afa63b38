package httpapi

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/agentry/agentry/registry"
)

// TestSpliceSearchAnswerMatches: the spliced answer is byte for byte what
// encoding the whole answer would give, from an empty cache, from a full
// one, and from one too small to keep anything.
func TestSpliceSearchAnswerMatches(t *testing.T) {
	awkward := "quote \" backslash \\ newline \n tab \t nul \x00 html <a href='x'>&amp;</a> unicode é 漢字 🙂 separators \u2028 \u2029 invalid \xff end"
	created := time.Date(2026, 11, 26, 11, 0, 0, 123456789, time.UTC)
	var recs []searchRecordJSON
	for i, score := range []float64{1, 0.9876, 0.5, 0.1, 0.0001, 0} {
		server := fmt.Sprintf(`{"name":"io.test/s%d","description":%q}`, i, awkward)
		recs = append(recs, searchRecordJSON{
			RegistryArn: "arn:aws:bedrock-agentcore:us-east-1:123456789012:registry/abcdefghijkl",
			RecordArn:   fmt.Sprintf("arn:aws:bedrock-agentcore:us-east-1:123456789012:registry/abcdefghijkl/record/r%d", i),
			RecordID:    fmt.Sprintf("r%d", i), Name: fmt.Sprintf("server-%d", i), Description: awkward[:i*10],
			DescriptorType: registry.DescriptorMCP,
			Descriptors:    registry.Descriptors{MCP: &registry.MCPDescriptor{Server: &registry.ServerDefinition{InlineContent: server}}},
			Version:        []string{"", "1.0.0"}[i%2], Status: registry.StatusApproved,
			CreatedAt: timestamp(created), UpdatedAt: timestamp(created.Add(time.Duration(i) * time.Hour)),
			RelevanceScore: score,
		})
	}
	for _, budget := range []int{recordJSONBudget, 0} {
		a := &api{encodedRecords: newRecordJSONCache(budget)}
		for round := range 3 {
			out := searchResultJSON{RegistryRecords: recs[round:]}
			text, err := json.Marshal(out)
			if err != nil {
				t.Fatal(err)
			}
			want, _ := encodeCallToolResult(&mcp.CallToolResult{StructuredContent: json.RawMessage(text),
				Content: []mcp.Content{&mcp.TextContent{Text: string(text)}}})
			p, ok := a.spliceSearchAnswer("abcdefghijkl", jsonRecords(out.RegistryRecords))
			if !ok {
				t.Fatal("not spliced")
			}
			if !bytes.Equal(p.wire, want) {
				t.Fatalf("budget %d, round %d: spliced answer differs:\n got %s\nwant %s", budget, round, p.wire, want)
			}
			if !bytes.Equal(p.structured, text) {
				t.Fatalf("structured content differs:\n got %s\nwant %s", p.structured, text)
			}
			// What the SDK would send without the middleware is the same.
			r := &mcp.CallToolResult{StructuredContent: p, Content: []mcp.Content{&mcp.TextContent{Text: string(p.structured)}}}
			if sdk := sdkEncoding(t, r); !json.Valid(sdk) || !bytes.Contains(sdk, text) {
				t.Fatalf("the SDK's encoding lost the answer: %.200s", sdk)
			}
		}
		if n := len(a.encodedRecords.m); budget == 0 && n != 0 || budget > 0 && n != len(recs) {
			t.Errorf("budget %d: %d records kept", budget, n)
		}
	}
}

// jsonRecords are records already made, fingerprinted by their record id's
// digits.
type jsonRecords []searchRecordJSON

func (r jsonRecords) len() int { return len(r) }
func (r jsonRecords) key(i int) (uint64, float64) {
	n, _ := strconv.ParseUint(strings.TrimLeft(r[i].RecordID, "r"), 10, 64)
	return n + 1, r[i].RelevanceScore
}
func (r jsonRecords) record(i int) searchRecordJSON { return r[i] }

// TestRecordJSONCacheEvicts: the cache stays within its budget.
func TestRecordJSONCacheEvicts(t *testing.T) {
	c := newRecordJSONCache(10_000)
	for i := range 200 {
		rec := searchRecordJSON{RecordID: fmt.Sprint(i), Name: "n", Status: registry.StatusApproved}
		if _, ok := c.get("reg", jsonRecords{rec}, 0); !ok {
			t.Fatal("not encoded")
		}
		if c.bytes > c.budget {
			t.Fatalf("%d bytes kept over a budget of %d", c.bytes, c.budget)
		}
	}
	if len(c.m) < 10 {
		t.Errorf("only %d records kept", len(c.m))
	}
}

func TestAppendJSONFloat(t *testing.T) {
	for _, f := range []float64{0, 1, 0.5, 0.1234, 1e-7, 1.5e-9, 3e21, -2, 0.30000000000000004} {
		want, _ := json.Marshal(f)
		if got := appendJSONFloat(nil, f); string(got) != string(want) {
			t.Errorf("%v: %s, want %s", f, got, want)
		}
	}
}
