package search

import (
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/agentry/agentry/registry"
)

// fillStrings sets every string reachable from v (allocating the pointers
// on the way) to a distinct value, so that a field added to the registry
// types but not to packRevision fails the round trip below.
func fillStrings(v reflect.Value, n *int) {
	switch v.Kind() {
	case reflect.Pointer:
		if v.IsNil() {
			v.Set(reflect.New(v.Type().Elem()))
		}
		fillStrings(v.Elem(), n)
	case reflect.Struct:
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() {
				fillStrings(v.Field(i), n)
			}
		}
	case reflect.String:
		*n++
		v.SetString(fmt.Sprintf("value %d \"quoted\" ünïcode", *n))
	}
}

func TestPackRevisionRoundTrip(t *testing.T) {
	var full registry.Revision
	n := 0
	fillStrings(reflect.ValueOf(&full).Elem(), &n)
	full.UpdatedAt = time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
	// How a record is synchronized (its source and credential providers)
	// is control-plane state that no search answer shows: not packed.
	full.SyncType, full.Sync = "", nil

	cases := map[string]registry.Revision{
		"every field set": full,
		"empty":           {},
		"MCP server only": {Name: "x", Descriptors: registry.Descriptors{MCP: &registry.MCPDescriptor{
			Server: &registry.ServerDefinition{InlineContent: `{"name":"x"}`}}}},
		"empty MCP branch": {Descriptors: registry.Descriptors{MCP: &registry.MCPDescriptor{}}},
		"skill md only": {Description: "d", Status: registry.StatusApproved, Descriptors: registry.Descriptors{
			AgentSkills: &registry.AgentSkillsDescriptor{SkillMd: &registry.SkillMdDefinition{InlineContent: "---\nname: x\n---\n"}}}},
	}
	for name, rev := range cases {
		t.Run(name, func(t *testing.T) {
			d := doc{recordID: "r", name: rev.Name, version: rev.Version, descriptorType: rev.DescriptorType,
				updatedAt: rev.UpdatedAt, packed: packRevision(&rev)}
			if got := d.revision(); !reflect.DeepEqual(got, rev) {
				t.Errorf("round trip:\n got %#v\nwant %#v", got, rev)
			}
		})
	}
}

func TestUnpackRevisionRejectsDamage(t *testing.T) {
	rev := registry.Revision{Description: "some description", Status: registry.StatusApproved}
	packed := packRevision(&rev)
	for _, bad := range [][]byte{nil, {0xff}, packed[:len(packed)-1]} {
		var got registry.Revision
		if err := unpackRevision(bad, &got); err == nil {
			t.Errorf("unpackRevision(%x) succeeded", bad)
		}
	}
}
