package search

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/agentry/agentry/registry"
)

func TestParseFilterMatches(t *testing.T) {
	weather := registry.Revision{Name: "weather", DescriptorType: registry.DescriptorMCP, Version: "1.0"}
	agent := registry.Revision{Name: "planner", DescriptorType: registry.DescriptorA2A, Version: "2.0"}
	skill := registry.Revision{Name: "pdf", DescriptorType: registry.DescriptorAgentSkills}
	all := []registry.Revision{weather, agent, skill}
	tests := []struct {
		filter string
		want   []string // names that pass
	}{
		{``, []string{"weather", "planner", "pdf"}},
		{`null`, []string{"weather", "planner", "pdf"}},
		{`{}`, []string{"weather", "planner", "pdf"}},
		{`{"descriptorType": {"$eq": "MCP"}}`, []string{"weather"}},
		{`{"descriptorType": {"$ne": "MCP"}}`, []string{"planner", "pdf"}},
		{`{"name": {"$in": ["pdf", "weather", "nope"]}}`, []string{"weather", "pdf"}},
		{`{"name": "planner"}`, []string{"planner"}},
		{`{"version": {"$eq": ""}}`, []string{"pdf"}},
		{`{"version": {"$ne": "1.0", "$in": ["1.0", "2.0"]}}`, []string{"planner"}},
		{`{"descriptorType": {"$eq": "MCP"}, "version": {"$eq": "2.0"}}`, nil},
		{`{"$and": [{"descriptorType": {"$eq": "MCP"}}, {"name": {"$eq": "weather"}}]}`, []string{"weather"}},
		{`{"$or": [{"descriptorType": {"$eq": "A2A"}}, {"name": {"$eq": "pdf"}}]}`, []string{"planner", "pdf"}},
		{`{"$or": [{"$and": [{"name": {"$eq": "weather"}}, {"version": {"$eq": "1.0"}}]}, {"version": {"$eq": "2.0"}}]}`, []string{"weather", "planner"}},
		{` {"descriptorType":{"$in":["AGENT_SKILLS","CUSTOM"]}} `, []string{"pdf"}},
	}
	for _, tt := range tests {
		f, err := ParseFilter(json.RawMessage(tt.filter))
		if err != nil {
			t.Errorf("ParseFilter(%s): %v", tt.filter, err)
			continue
		}
		var got []string
		for _, r := range all {
			if f.Match(r) {
				got = append(got, r.Name)
			}
		}
		if fmt.Sprint(got) != fmt.Sprint(tt.want) {
			t.Errorf("filter %s passes %v, want %v", tt.filter, got, tt.want)
		}
	}
}

func TestParseFilterErrors(t *testing.T) {
	deep := `{"name": {"$eq": "x"}}`
	for range MaxFilterDepth + 1 {
		deep = `{"$and": [` + deep + `]}`
	}
	many := `{"$or": [` + strings.TrimSuffix(strings.Repeat(`{"name": {"$eq": "x"}},`, MaxFilterClauses), ",") + `]}`
	bigIn := `{"name": {"$in": [` + strings.TrimSuffix(strings.Repeat(`"x",`, MaxFilterClauses+1), ",") + `]}}`
	tests := []struct {
		filter, field, msg string
	}{
		{`{"$and": [{"name": {"$eq": "a"}}, {"version": {"$gt": "1"}}]}`, "filters.$and[1].version", `unknown operator "$gt"; use $eq, $ne or $in`},
		{`[1, 2]`, "filters", `must be a JSON object such as {"descriptorType": {"$eq": "MCP"}}, got array`},
		{`"MCP"`, "filters", `must be a JSON object such as {"descriptorType": {"$eq": "MCP"}}, got string`},
		{`{"owner": {"$eq": "me"}}`, "filters.owner", `unknown field "owner"; filterable fields are name, descriptorType or version`},
		{`{"$not": {"name": {"$eq": "a"}}}`, "filters.$not", `unknown operator "$not"; use $and or $or here, or a field: name, descriptorType or version`},
		{`{"$and": []}`, "filters.$and", "must be a non-empty array of filter objects, got array"},
		{`{"$or": {"name": "a"}}`, "filters.$or", "must be a non-empty array of filter objects, got object"},
		{`{"$and": [{"name": "a"}, "b"]}`, "filters.$and[1]", `must be a JSON object such as {"descriptorType": {"$eq": "MCP"}}, got string`},
		{`{"name": {}}`, "filters.name", `must be an object with an operator, such as {"$eq": "..."}; use $eq, $ne or $in, got object`},
		{`{"name": 5}`, "filters.name", `must be an object with an operator, such as {"$eq": "..."}; use $eq, $ne or $in, got number`},
		{`{"version": {"$eq": 1}}`, "filters.version.$eq", "must be a string, got number"},
		{`{"version": {"$ne": null}}`, "filters.version.$ne", "must be a string, got null"},
		{`{"name": {"$in": "a"}}`, "filters.name.$in", "must be a non-empty array of strings, got string"},
		{`{"name": {"$in": []}}`, "filters.name.$in", "must be a non-empty array of strings, got array"},
		{`{"name": {"$in": ["a", true]}}`, "filters.name.$in[1]", "must be a string, got boolean"},
		{`{"descriptorType": {"$eq": "mcp"}}`, "filters.descriptorType.$eq", `unknown descriptor type "mcp"; use MCP, A2A, CUSTOM or AGENT_SKILLS`},
		{`{"descriptorType": {"$in": ["MCP", "SERVER"]}}`, "filters.descriptorType.$in[1]", `unknown descriptor type "SERVER"; use MCP, A2A, CUSTOM or AGENT_SKILLS`},
		{`{"descriptorType": "agent"}`, "filters.descriptorType", `unknown descriptor type "agent"; use MCP, A2A, CUSTOM or AGENT_SKILLS`},
		{deep, "filters" + strings.Repeat(".$and[0]", MaxFilterDepth) + ".$and", "nesting is too deep (at most 8 levels of $and / $or)"},
		{many, "filters.$or[99].name.$eq", "the filter has too many conditions (at most 100, counting each operator and each $in value)"},
		{bigIn, "filters.name.$in", "the filter has too many conditions (at most 100, counting each operator and each $in value)"},
		{`{"name": {"$eq": "a"}`, "filters", "is not valid JSON: unexpected EOF"},
		{`{"name": {"$eq": "a"}} {}`, "filters", "is not valid JSON: unexpected data after the filter object"},
		{`{"name": "a"} x`, "filters", "is not valid JSON: unexpected data after the filter object"},
	}
	for _, tt := range tests {
		_, err := ParseFilter(json.RawMessage(tt.filter))
		var re *registry.Error
		if !errors.As(err, &re) {
			t.Errorf("ParseFilter(%.60s) = %v, want a *registry.Error", tt.filter, err)
			continue
		}
		if re.Kind != registry.KindInvalid || re.Reason != registry.ReasonFieldValidationFailed {
			t.Errorf("ParseFilter(%.60s): kind %v reason %q", tt.filter, re.Kind, re.Reason)
		}
		if len(re.Fields) == 0 || re.Fields[0].Name != tt.field || re.Fields[0].Message != tt.msg {
			t.Errorf("ParseFilter(%.60s):\n got %+v\nwant %s: %s", tt.filter, re.Fields, tt.field, tt.msg)
			continue
		}
		if want := tt.field + ": " + tt.msg; !strings.HasPrefix(re.Message, want) {
			t.Errorf("ParseFilter(%.60s) message %q, want it to start with %q", tt.filter, re.Message, want)
		}
	}
}

func TestParseFilterReportsEveryProblem(t *testing.T) {
	_, err := ParseFilter(json.RawMessage(`{"owner": "x", "version": {"$gt": "1", "$eq": 2}}`))
	var re *registry.Error
	if !errors.As(err, &re) || len(re.Fields) != 3 {
		t.Fatalf("got %v, want three problems", err)
	}
	want := `filters.owner: unknown field "owner"; filterable fields are name, descriptorType or version; ` +
		`filters.version.$eq: must be a string, got number; ` +
		`filters.version: unknown operator "$gt"; use $eq, $ne or $in`
	if re.Message != want {
		t.Errorf("message\n got %s\nwant %s", re.Message, want)
	}
}

func TestParseFilterValue(t *testing.T) {
	var v any
	if err := json.Unmarshal([]byte(`{"$or": [{"name": {"$eq": "a"}}, {"version": {"$in": ["2"]}}]}`), &v); err != nil {
		t.Fatal(err)
	}
	f, err := ParseFilterValue(v, "filter")
	if err != nil {
		t.Fatal(err)
	}
	if !f.Match(registry.Revision{Name: "a"}) || !f.Match(registry.Revision{Name: "b", Version: "2"}) || f.Match(registry.Revision{Name: "b"}) {
		t.Error("decoded filter matches wrongly")
	}
	_, err = ParseFilterValue(map[string]any{"name": map[string]any{"$lt": "x"}}, "filter")
	if err == nil || err.Error() != `filter.name: unknown operator "$lt"; use $eq, $ne or $in` {
		t.Errorf("error = %v", err)
	}
	if f, err := ParseFilterValue(nil, "filter"); f != nil || err != nil {
		t.Errorf("nil filter = %v, %v", f, err)
	}
}

func FuzzParseFilter(f *testing.F) {
	for _, s := range []string{
		`{"descriptorType": {"$eq": "MCP"}}`,
		`{"$and": [{"descriptorType": {"$eq": "MCP"}}, {"name": {"$eq": "my-tool"}}]}`,
		`{"$or": [{"version": {"$in": ["1", "2"]}}, {"name": {"$ne": "x"}}]}`,
		`{"name": "x", "version": {"$eq": 1}}`, `[]`, `null`, `{`, `{"$and": [[[[]]]]}`,
	} {
		f.Add([]byte(s))
	}
	revs := []registry.Revision{
		{Name: "x", DescriptorType: registry.DescriptorMCP, Version: "1"},
		{Name: "my-tool", DescriptorType: registry.DescriptorCustom},
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		flt, err := ParseFilter(raw)
		if err != nil {
			var re *registry.Error
			if !errors.As(err, &re) || re.Kind != registry.KindInvalid || len(re.Fields) == 0 || re.Message == "" {
				t.Fatalf("ParseFilter(%q): error %#v is not a validation error", raw, err)
			}
			return
		}
		for _, r := range revs {
			flt.Match(r)
		}
	})
}
