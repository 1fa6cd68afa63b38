package search

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"sync"

	"github.com/klauspost/compress/s2"

	"github.com/agentry/agentry/registry"
)

// The index serves each record's approved revision, descriptors included,
// without a trip to the store. Held as Go structs, that content was well
// over half of the index's memory; it is kept instead as one compact
// encoding per record, compressed with S2 (about 1.8 times smaller on
// registry records, decoded at more than a gigabyte a second, so the ten
// records of a result cost a few microseconds). Name, descriptor type and
// version stay plain: filters read them for every candidate.

// revision part flags: which optional descriptor parts are present.
const (
	partMCP = 1 << iota
	partMCPServer
	partMCPTools
	partA2A
	partA2ACard
	partCustom
	partSkills
	partSkillMd
	partSkillDef
	partGA // the GA API's members follow, as one JSON string (gaParts)
)

// packRevision encodes what doc does not keep as fields: the description,
// status, status reason and descriptors.
func packRevision(rev *registry.Revision) []byte {
	var strs []string
	flags := uint64(0)
	ds := &rev.Descriptors
	if m := ds.MCP; m != nil {
		flags |= partMCP
		if m.Server != nil {
			flags |= partMCPServer
			strs = append(strs, m.Server.SchemaVersion, m.Server.InlineContent)
		}
		if m.Tools != nil {
			flags |= partMCPTools
			strs = append(strs, m.Tools.ProtocolVersion, m.Tools.InlineContent)
		}
	}
	if a := ds.A2A; a != nil {
		flags |= partA2A
		if a.AgentCard != nil {
			flags |= partA2ACard
			strs = append(strs, a.AgentCard.SchemaVersion, a.AgentCard.InlineContent)
		}
	}
	if c := ds.Custom; c != nil {
		flags |= partCustom
		strs = append(strs, c.InlineContent)
	}
	if s := ds.AgentSkills; s != nil {
		flags |= partSkills
		if s.SkillMd != nil {
			flags |= partSkillMd
			strs = append(strs, s.SkillMd.InlineContent)
		}
		if s.SkillDefinition != nil {
			flags |= partSkillDef
			strs = append(strs, s.SkillDefinition.SchemaVersion, s.SkillDefinition.InlineContent)
		}
	}
	strs = append(strs, rev.Description, string(rev.Status), rev.StatusReason)
	if ga, ok := gaPartsOf(rev); ok {
		flags |= partGA
		strs = append(strs, ga)
	}
	sc := packScratch.Get().(*[2][]byte)
	defer packScratch.Put(sc)
	b := binary.AppendUvarint(sc[0][:0], flags)
	for _, s := range strs {
		b = binary.AppendUvarint(b, uint64(len(s)))
		b = append(b, s...)
	}
	if n := s2.MaxEncodedLen(len(b)); cap(sc[1]) < n {
		sc[1] = make([]byte, n)
	}
	// The encoder wants room for the worst case; the index keeps an exact
	// copy.
	out := bytes.Clone(s2.EncodeBetter(sc[1][:cap(sc[1])], b))
	sc[0] = b
	return out
}

var packScratch = sync.Pool{New: func() any { return new([2][]byte) }}

// unpackRevision is the inverse of packRevision: it fills in rev's
// description, status, status reason and descriptors.
func unpackRevision(packed []byte, rev *registry.Revision) error {
	sc := packScratch.Get().(*[2][]byte)
	defer packScratch.Put(sc)
	n, err := s2.DecodedLen(packed)
	if err != nil {
		return err
	}
	if cap(sc[0]) < n {
		sc[0] = make([]byte, n)
	}
	b, err := s2.Decode(sc[0][:n], packed)
	if err != nil {
		return err
	}
	// One string for all the parts, which are substrings of it.
	text := string(b)
	flags, pos := binary.Uvarint(b)
	if pos <= 0 {
		return fmt.Errorf("bad part flags")
	}
	next := func() string {
		l, n := binary.Uvarint(b[pos:])
		if n <= 0 || l > uint64(len(b)-pos-n) {
			err = fmt.Errorf("bad string length")
			pos = len(b)
			return ""
		}
		start := pos + n
		pos = start + int(l)
		return text[start:pos]
	}
	ds := registry.Descriptors{}
	if flags&partMCP != 0 {
		ds.MCP = &registry.MCPDescriptor{}
		if flags&partMCPServer != 0 {
			ds.MCP.Server = &registry.ServerDefinition{SchemaVersion: next(), InlineContent: next()}
		}
		if flags&partMCPTools != 0 {
			ds.MCP.Tools = &registry.ToolsDefinition{ProtocolVersion: next(), InlineContent: next()}
		}
	}
	if flags&partA2A != 0 {
		ds.A2A = &registry.A2ADescriptor{}
		if flags&partA2ACard != 0 {
			ds.A2A.AgentCard = &registry.AgentCardDefinition{SchemaVersion: next(), InlineContent: next()}
		}
	}
	if flags&partCustom != 0 {
		ds.Custom = &registry.CustomDescriptor{InlineContent: next()}
	}
	if flags&partSkills != 0 {
		ds.AgentSkills = &registry.AgentSkillsDescriptor{}
		if flags&partSkillMd != 0 {
			ds.AgentSkills.SkillMd = &registry.SkillMdDefinition{InlineContent: next()}
		}
		if flags&partSkillDef != 0 {
			ds.AgentSkills.SkillDefinition = &registry.SkillDefinition{SchemaVersion: next(), InlineContent: next()}
		}
	}
	rev.Descriptors = ds
	rev.Description = next()
	rev.Status = registry.RecordStatus(next())
	rev.StatusReason = next()
	if flags&partGA != 0 && err == nil {
		if gerr := setGAParts(next(), rev); gerr != nil {
			err = gerr
		}
	}
	if err == nil && pos != len(b) {
		err = fmt.Errorf("%d bytes left over", len(b)-pos)
	}
	return err
}

// gaParts are the members only the GA API has (display name, descriptor
// sources, the source-only descriptors), packed as JSON: few records have
// them, and those that do pay a few bytes.
type gaParts struct {
	DisplayName   string                     `json:"n,omitempty"`
	MCPSource     *registry.DescriptorSource `json:"m,omitempty"`
	A2ASource     *registry.DescriptorSource `json:"a,omitempty"`
	SkillMdSource *registry.DescriptorSource `json:"s,omitempty"`
	SkillMdSchema string                     `json:"v,omitempty"`
	HTTP          *registry.SourceDescriptor `json:"h,omitempty"`
	AGUI          *registry.SourceDescriptor `json:"g,omitempty"`
}

func gaPartsOf(rev *registry.Revision) (string, bool) {
	d := &rev.Descriptors
	p := gaParts{DisplayName: rev.DisplayName, HTTP: d.HTTP, AGUI: d.AGUI}
	if d.MCP != nil {
		p.MCPSource = d.MCP.Source
	}
	if d.A2A != nil {
		p.A2ASource = d.A2A.Source
	}
	if d.AgentSkills != nil && d.AgentSkills.SkillMd != nil {
		p.SkillMdSource, p.SkillMdSchema = d.AgentSkills.SkillMd.Source, d.AgentSkills.SkillMd.SchemaVersion
	}
	if p == (gaParts{}) {
		return "", false
	}
	b, _ := json.Marshal(p)
	return string(b), true
}

func setGAParts(s string, rev *registry.Revision) error {
	var p gaParts
	if err := json.Unmarshal([]byte(s), &p); err != nil {
		return err
	}
	d := &rev.Descriptors
	rev.DisplayName, d.HTTP, d.AGUI = p.DisplayName, p.HTTP, p.AGUI
	if d.MCP != nil {
		d.MCP.Source = p.MCPSource
	}
	if d.A2A != nil {
		d.A2A.Source = p.A2ASource
	}
	if d.AgentSkills != nil && d.AgentSkills.SkillMd != nil {
		d.AgentSkills.SkillMd.Source, d.AgentSkills.SkillMd.SchemaVersion = p.SkillMdSource, p.SkillMdSchema
	}
	return nil
}
