package httpapi

import (
	"net/http"
	"strings"

	"github.com/agentry/agentry/registry"
)

// The GA control plane's record operations (§4.6-4.12).

// gaRecordFields renames the domain's field names (the preview's) in
// validation errors to the GA members they came from.
var gaRecordFields = map[string]string{
	"descriptorType":                          "recordType",
	"descriptors.mcp.server":                  "descriptors.mcpServer",
	"descriptors.mcp.tools":                   "descriptors.mcpServer.additionalData.tools",
	"descriptors.mcp":                         "descriptors.mcpServer",
	"descriptors.a2a.agentCard":               "descriptors.a2aAgentCard",
	"descriptors.a2a":                         "descriptors.a2aAgentCard",
	"descriptors.agentSkills.skillDefinition": "descriptors.agentSkillsDefinition",
	"descriptors.agentSkills.skillMd":         "descriptors.agentSkillsDefinition.additionalData.skillMd",
	"descriptors.agentSkills":                 "descriptors.agentSkillsDefinition",
}

func gaRecordError(err error) error {
	err = gaFieldNames(err, gaRecordFields)
	if e, ok := err.(*registry.Error); ok && e.Kind == registry.KindInvalid && len(e.Fields) > 0 {
		var f gaFields
		for _, fe := range e.Fields {
			// inlineContent is data in the GA shapes.
			name, found := strings.CutSuffix(fe.Name, ".inlineContent")
			if found {
				name += ".data"
			}
			f.add(name, "%s", fe.Message)
		}
		out := f.err().(*registry.Error)
		out.Reason = e.Reason
		return out
	}
	return err
}

func (f *gaFields) recordVersion(v *string) {
	if v != nil {
		f.length("recordVersion", *v, 1, 255)
		if !gaVersionPattern.MatchString(*v) {
			f.add("recordVersion", "must contain only letters, digits, . and -")
		}
	}
}

func (f *gaFields) recordType(t *string, required bool) *registry.DescriptorType {
	if t == nil {
		if required {
			f.add("recordType", "is required")
		}
		return nil
	}
	d, ok := domainRecordType(*t)
	if !ok {
		f.enum("recordType", *t, gaRecordTypes)
		return nil
	}
	return &d
}

func (g *gaAPI) createRecord(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		Name          *string            `json:"name"`
		DisplayName   *string            `json:"displayName"`
		Description   *string            `json:"description"`
		RecordType    *string            `json:"recordType"`
		Descriptors   *gaDescriptorsJSON `json:"descriptors"`
		RecordVersion *string            `json:"recordVersion"`
		ClientToken   string             `json:"clientToken"`
		Provenance    []gaProvenanceJSON `json:"provenance"`
		Tags          map[string]string  `json:"tags"`
	}
	if err := decode(r, &in); err != nil {
		return err
	}
	regID, _, err := g.ids(r)
	if err != nil {
		return err
	}
	var f gaFields
	if in.Name == nil {
		f.add("name", "is required")
	}
	typ := f.recordType(in.RecordType, true)
	if in.Descriptors == nil {
		f.add("descriptors", "is required")
	}
	f.recordVersion(in.RecordVersion)
	f.clientToken(in.ClientToken)
	if in.Tags != nil && len(in.Tags) == 0 {
		f.add("tags", "must have 1 to 50 entries when given")
	}
	if err := f.err(); err != nil {
		return err
	}
	principal := requestInfoFrom(r.Context()).principal
	if len(in.Tags) > 0 {
		if err := g.authorize(r, principal, g.arns.Record(regID, "*"), gaAction("TagResource")); err != nil {
			return err
		}
	}
	d := in.Descriptors.domain()
	cin := registry.CreateRecordInput{
		RegistryID: regID, Name: *in.Name, Description: in.Description, DescriptorType: *typ, Descriptors: &d,
		Version: in.RecordVersion, ClientToken: in.ClientToken,
		DisplayName: in.DisplayName, Provenance: provenanceDomain(in.Provenance), Tags: in.Tags, CreatedBy: accountOf(principal.ARN),
	}
	// A source without inline content is a URL synchronization: the
	// record is CREATING until its content has been fetched.
	if onlySource(*typ, d) {
		cfg, err := registry.SourceSync(*typ, d)
		if err != nil {
			return gaSyncError(*typ, err)
		}
		cin.Descriptors, cin.SynchronizationType, cin.Sync = nil, registry.SyncURL, cfg
	}
	out, err := g.svc.CreateRecord(r.Context(), cin)
	if err != nil {
		return gaSyncError(*typ, gaRecordError(err))
	}
	writeJSON(w, http.StatusAccepted, map[string]string{"recordArn": g.arns.Record(regID, out.ID), "status": out.Status})
	return nil
}

func (g *gaAPI) getRecord(w http.ResponseWriter, r *http.Request) error {
	regID, recID, err := g.ids(r)
	if err != nil {
		return err
	}
	rec, err := g.svc.GetRecord(r.Context(), regID, recID)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, g.recordJSON(rec, rec.Latest, formDetail))
	return nil
}

func (g *gaAPI) listRecords(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		MaxResults *int           `json:"maxResults"`
		NextToken  *string        `json:"nextToken"`
		Filters    []gaFilterJSON `json:"filters"`
	}
	if err := decode(r, &in); err != nil {
		return err
	}
	regID, _, err := g.ids(r)
	if err != nil {
		return err
	}
	var f gaFields
	token := f.paging(in.MaxResults, in.NextToken, 2048)
	filters := f.filters(in.Filters, []string{"name", "status", "recordType"}, 1)
	var typ registry.DescriptorType
	if v := first(filters["recordType"]); v != "" {
		if t := f.recordType(&v, false); t != nil {
			typ = *t
		}
	}
	if err := f.err(); err != nil {
		return err
	}
	page, err := g.svc.ListRecords(r.Context(), registry.ListRecordsInput{
		RegistryID: regID, Name: first(filters["name"]), Status: registry.RecordStatus(first(filters["status"])),
		DescriptorType: typ, MaxResults: in.MaxResults, NextToken: token,
	})
	if err != nil {
		return gaFieldNames(err, map[string]string{"name": "filters.name", "status": "filters.status"})
	}
	out := struct {
		RegistryRecords []gaRecordJSON `json:"registryRecords"`
		NextToken       string         `json:"nextToken,omitempty"`
	}{RegistryRecords: []gaRecordJSON{}, NextToken: page.NextToken}
	for _, sum := range page.Records {
		rec, rev := fromSummary(sum)
		out.RegistryRecords = append(out.RegistryRecords, g.recordJSON(rec, rev, formSummary))
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (g *gaAPI) updateRecord(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		Name                   *string                              `json:"name"`
		DisplayName            optional[string]                     `json:"displayName"`
		Description            optional[string]                     `json:"description"`
		RecordType             *string                              `json:"recordType"`
		Descriptors            optional[gaUpdatedDescriptorsFields] `json:"descriptors"`
		RecordVersion          *string                              `json:"recordVersion"`
		TriggerSynchronization bool                                 `json:"triggerSynchronization"`
		Provenance             *[]gaProvenanceJSON                  `json:"provenance"`
	}
	if err := decode(r, &in); err != nil {
		return err
	}
	regID, recID, err := g.ids(r)
	if err != nil {
		return err
	}
	var f gaFields
	typ := f.recordType(in.RecordType, false)
	f.recordVersion(in.RecordVersion)
	if err := f.err(); err != nil {
		return err
	}
	upd := registry.UpdateRecordInput{
		RegistryID: regID, RecordID: recID, Name: in.Name, Description: update(in.Description, same),
		DescriptorType: typ, Version: in.RecordVersion, TriggerSync: in.TriggerSynchronization,
		DisplayName: update(in.DisplayName, same),
	}
	if in.Descriptors.present {
		upd.EditDescriptors = gaEditDescriptors(in.Descriptors.value)
	}
	if in.Provenance != nil {
		p := provenanceDomain(*in.Provenance)
		upd.Provenance = &p
	}
	rec, err := g.svc.UpdateRecord(r.Context(), upd)
	if err != nil {
		if typ == nil {
			// Name the source member of the record's own type.
			if cur, gerr := g.svc.GetRecord(r.Context(), regID, recID); gerr == nil {
				typ = &cur.Latest.DescriptorType
			}
		}
		if typ != nil {
			return gaSyncError(*typ, gaRecordError(err))
		}
		return gaRecordError(err)
	}
	writeJSON(w, http.StatusAccepted, g.recordJSON(rec, rec.Latest, formDetail))
	return nil
}

func (g *gaAPI) deleteRecord(w http.ResponseWriter, r *http.Request) error {
	regID, recID, err := g.ids(r)
	if err != nil {
		return err
	}
	if err := g.svc.DeleteRecord(r.Context(), regID, recID); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, struct{}{})
	return nil
}

// gaRecordStatusJSON answers SubmitRegistryRecordForApproval (without
// statusReason) and UpdateRegistryRecordStatus (statusReason required).
type gaRecordStatusJSON struct {
	RegistryArn  string                `json:"registryArn"`
	RecordArn    string                `json:"recordArn"`
	RecordID     string                `json:"recordId"`
	Status       registry.RecordStatus `json:"status"`
	StatusReason *string               `json:"statusReason,omitempty"`
	UpdatedAt    timestamp             `json:"updatedAt"`
}

func (g *gaAPI) recordStatusJSON(rec registry.Record, withReason bool) gaRecordStatusJSON {
	out := gaRecordStatusJSON{RegistryArn: g.arns.Registry(rec.RegistryID), RecordArn: g.arns.Record(rec.RegistryID, rec.ID),
		RecordID: rec.ID, Status: rec.Latest.Status, UpdatedAt: timestamp(rec.Latest.UpdatedAt)}
	if withReason {
		reason := rec.Latest.StatusReason
		out.StatusReason = &reason
	}
	return out
}

func (g *gaAPI) submitRecord(w http.ResponseWriter, r *http.Request) error {
	regID, recID, err := g.ids(r)
	if err != nil {
		return err
	}
	rec, err := g.svc.SubmitRecord(r.Context(), regID, recID)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusAccepted, g.recordStatusJSON(rec, false))
	return nil
}

func (g *gaAPI) updateRecordStatus(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		Status       *string `json:"status"`
		StatusReason *string `json:"statusReason"`
	}
	if err := decode(r, &in); err != nil {
		return err
	}
	regID, recID, err := g.ids(r)
	if err != nil {
		return err
	}
	var f gaFields
	if in.Status == nil {
		f.add("status", "is required")
	}
	if in.StatusReason == nil {
		f.add("statusReason", "is required")
	} else {
		f.length("statusReason", *in.StatusReason, 0, 255)
	}
	if err := f.err(); err != nil {
		return err
	}
	rec, err := g.svc.SetRecordStatus(r.Context(), registry.SetRecordStatusInput{
		RegistryID: regID, RecordID: recID, Status: registry.RecordStatus(*in.Status), Reason: *in.StatusReason, ReasonOptional: true,
	})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusAccepted, g.recordStatusJSON(rec, true))
	return nil
}

// fromSummary is a summary as the record and revision recordJSON shows
// (formSummary reads no more than a summary has).
func fromSummary(s registry.RecordSummary) (registry.Record, registry.Revision) {
	return registry.Record{RegistryID: s.RegistryID, ID: s.ID, CreatedAt: s.CreatedAt, CreatedBy: s.CreatedBy},
		registry.Revision{Name: s.Name, DisplayName: s.DisplayName, Description: s.Description, DescriptorType: s.DescriptorType,
			Version: s.Version, Status: s.Status, UpdatedAt: s.UpdatedAt, Provenance: s.Provenance}
}

// onlySource reports whether d holds just the descriptor a record of type
// typ is synchronized into, with a source and no inline content.
func onlySource(typ registry.DescriptorType, d registry.Descriptors) bool {
	if d.Custom != nil || d.HTTP != nil || d.AGUI != nil {
		return false
	}
	switch typ {
	case registry.DescriptorMCP:
		return d.A2A == nil && d.AgentSkills == nil && d.MCP != nil && d.MCP.Source != nil && d.MCP.Server == nil && d.MCP.Tools == nil
	case registry.DescriptorA2A:
		return d.MCP == nil && d.AgentSkills == nil && d.A2A != nil && d.A2A.Source != nil && d.A2A.AgentCard == nil
	case registry.DescriptorAgentSkills:
		s := d.AgentSkills
		return d.MCP == nil && d.A2A == nil && s != nil && s.SkillDefinition == nil && s.SkillMd != nil &&
			s.SkillMd.Source != nil && s.SkillMd.InlineContent == ""
	}
	return false
}

// sourceMember is the GA member a record of type typ is synchronized
// into; "" for a type that is not synchronized.
func sourceMember(typ registry.DescriptorType) string {
	switch typ {
	case registry.DescriptorMCP:
		return "descriptors.mcpServer.source"
	case registry.DescriptorA2A:
		return "descriptors.a2aAgentCard.source"
	case registry.DescriptorAgentSkills:
		return "descriptors.agentSkillsDefinition.additionalData.skillMd.source"
	}
	return ""
}

// gaSyncError names the domain's synchronization members by the GA
// descriptor source they came from.
func gaSyncError(typ registry.DescriptorType, err error) error {
	m := sourceMember(typ)
	if m == "" {
		return err
	}
	return gaFieldNames(err, map[string]string{"synchronizationConfiguration": m, "triggerSynchronization": "triggerSynchronization"})
}
