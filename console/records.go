package console

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"

	"github.com/agentry/agentry/registry"
)

type recordsData struct {
	Registry  registry.Registry
	Records   []registry.RecordSummary
	Next      string
	Filter    registry.ListRecordsInput
	Statuses  []registry.RecordStatus
	Types     []registry.DescriptorType
	CanCreate bool
	CanEdit   bool
	CanSearch bool
	NextHref  string // the next page's link, with the filters
}

var (
	allStatuses = []registry.RecordStatus{registry.StatusDraft, registry.StatusPendingApproval, registry.StatusApproved,
		registry.StatusRejected, registry.StatusDeprecated}
	allTypes = []registry.DescriptorType{registry.DescriptorMCP, registry.DescriptorA2A, registry.DescriptorAgentSkills,
		registry.DescriptorCustom}
)

// recordsPage is a registry's records, filtered by status, descriptor type
// and name, a page at a time.
func (c *Console) recordsPage(w http.ResponseWriter, r *http.Request, s *session) (string, view, error) {
	v := view{Title: "Records", Nav: "registries"}
	if err := c.authorize(r, s, "GetRegistry", c.registryARN(r)); err != nil {
		return "", v, err
	}
	reg, err := c.svc.GetRegistry(r.Context(), r.PathValue("registryId"))
	if err != nil {
		return "", v, err
	}
	v.Title = reg.Name
	q := r.URL.Query()
	n := pageSize
	in := registry.ListRecordsInput{RegistryID: reg.ID, Name: strings.TrimSpace(q.Get("name")),
		Status: registry.RecordStatus(q.Get("status")), DescriptorType: registry.DescriptorType(q.Get("type")),
		MaxResults: &n, NextToken: q.Get("next")}
	arn := c.arns.Registry(reg.ID)
	d := recordsData{Registry: reg, Filter: in, Statuses: allStatuses, Types: allTypes,
		CanCreate: c.allowed(r, s, "CreateRegistryRecord", arn),
		CanEdit:   c.allowed(r, s, "UpdateRegistry", arn),
		CanSearch: reg.AuthorizerType == registry.AuthorizerAWSIAM && c.allowed(r, s, "SearchRegistryRecords", arn)}
	if err := c.authorize(r, s, "ListRegistryRecords", arn); err != nil {
		v.Error = errMessage(err)
		v.Data = d
		return "records", v, nil
	}
	page, err := c.svc.ListRecords(r.Context(), in)
	if err != nil {
		if fieldMessages(err) == nil {
			return "", v, err
		}
		v.Error = errMessage(err)
	}
	d.Records, d.Next = page.Records, page.NextToken
	if d.Next != "" {
		next := url.Values{}
		for _, k := range []string{"status", "type", "name"} {
			if q.Get(k) != "" {
				next.Set(k, q.Get(k))
			}
		}
		next.Set("next", d.Next)
		d.NextHref = Prefix + "registries/" + reg.ID + "?" + next.Encode()
	}
	v.Data = d
	return "records", v, nil
}

// recordForm is the create and edit form of a record: the descriptor's
// documents as text.
type recordForm struct {
	Name            string
	Description     string
	Version         string
	DescriptorType  string
	SchemaVersion   string
	Content         string // server.json, agent card, SKILL.md or the custom document
	Tools           string // MCP: the tools/list result
	SkillDefinition string // AGENT_SKILLS: the skill definition JSON
}

func readRecordForm(r *http.Request) recordForm {
	return recordForm{
		Name:            strings.TrimSpace(r.PostFormValue("name")),
		Description:     strings.TrimSpace(r.PostFormValue("description")),
		Version:         strings.TrimSpace(r.PostFormValue("version")),
		DescriptorType:  r.PostFormValue("descriptorType"),
		SchemaVersion:   strings.TrimSpace(r.PostFormValue("schemaVersion")),
		Content:         textarea(r, "content"),
		Tools:           textarea(r, "tools"),
		SkillDefinition: textarea(r, "skillDefinition"),
	}
}

// textarea reads a textarea's value with the line ends the user typed:
// browsers send every line end of a textarea as CRLF.
func textarea(r *http.Request, name string) string {
	return strings.ReplaceAll(r.PostFormValue(name), "\r\n", "\n")
}

// descriptors builds the record's descriptors from the form.
func (f recordForm) descriptors() registry.Descriptors {
	var d registry.Descriptors
	switch registry.DescriptorType(f.DescriptorType) {
	case registry.DescriptorMCP:
		d.MCP = &registry.MCPDescriptor{Server: &registry.ServerDefinition{SchemaVersion: f.SchemaVersion, InlineContent: f.Content}}
		if strings.TrimSpace(f.Tools) != "" {
			d.MCP.Tools = &registry.ToolsDefinition{InlineContent: f.Tools}
		}
	case registry.DescriptorA2A:
		d.A2A = &registry.A2ADescriptor{AgentCard: &registry.AgentCardDefinition{SchemaVersion: f.SchemaVersion, InlineContent: f.Content}}
	case registry.DescriptorCustom:
		d.Custom = &registry.CustomDescriptor{InlineContent: f.Content}
	case registry.DescriptorAgentSkills:
		d.AgentSkills = &registry.AgentSkillsDescriptor{}
		if strings.TrimSpace(f.Content) != "" {
			d.AgentSkills.SkillMd = &registry.SkillMdDefinition{InlineContent: f.Content}
		}
		if strings.TrimSpace(f.SkillDefinition) != "" {
			d.AgentSkills.SkillDefinition = &registry.SkillDefinition{SchemaVersion: f.SchemaVersion, InlineContent: f.SkillDefinition}
		}
	}
	return d
}

func (f recordForm) createInput(registryID string) registry.CreateRecordInput {
	d := f.descriptors()
	return registry.CreateRecordInput{RegistryID: registryID, Name: f.Name, Description: optional(f.Description),
		DescriptorType: registry.DescriptorType(f.DescriptorType), Descriptors: &d, Version: optional(f.Version)}
}

// recordFormOf fills the form from a revision.
func recordFormOf(rev registry.Revision) recordForm {
	f := recordForm{Name: rev.Name, Description: rev.Description, Version: rev.Version, DescriptorType: string(rev.DescriptorType)}
	d := rev.Descriptors
	switch {
	case d.MCP != nil:
		if d.MCP.Server != nil {
			f.SchemaVersion, f.Content = d.MCP.Server.SchemaVersion, d.MCP.Server.InlineContent
		}
		if d.MCP.Tools != nil {
			f.Tools = d.MCP.Tools.InlineContent
		}
	case d.A2A != nil && d.A2A.AgentCard != nil:
		f.SchemaVersion, f.Content = d.A2A.AgentCard.SchemaVersion, d.A2A.AgentCard.InlineContent
	case d.Custom != nil:
		f.Content = d.Custom.InlineContent
	case d.AgentSkills != nil:
		if d.AgentSkills.SkillMd != nil {
			f.Content = d.AgentSkills.SkillMd.InlineContent
		}
		if d.AgentSkills.SkillDefinition != nil {
			f.SchemaVersion, f.SkillDefinition = d.AgentSkills.SkillDefinition.SchemaVersion, d.AgentSkills.SkillDefinition.InlineContent
		}
	}
	return f
}

type recordFormData struct {
	Registry registry.Registry
	RecordID string // "" when creating
	Form     recordForm
	Types    []registry.DescriptorType
}

func (c *Console) newRecordPage(w http.ResponseWriter, r *http.Request, s *session) (string, view, error) {
	v := view{Title: "New record", Nav: "registries"}
	if err := c.authorize(r, s, "CreateRegistryRecord", c.registryARN(r)); err != nil {
		return "", v, err
	}
	reg, err := c.svc.GetRegistry(r.Context(), r.PathValue("registryId"))
	if err != nil {
		return "", v, err
	}
	v.Data = recordFormData{Registry: reg, Form: recordForm{DescriptorType: string(registry.DescriptorMCP)}, Types: allTypes}
	return "record_form", v, nil
}

func (c *Console) createRecord(w http.ResponseWriter, r *http.Request, s *session) error {
	if err := c.authorize(r, s, "CreateRegistryRecord", c.registryARN(r)); err != nil {
		return err
	}
	reg, err := c.svc.GetRegistry(r.Context(), r.PathValue("registryId"))
	if err != nil {
		return err
	}
	f := readRecordForm(r)
	created, err := c.svc.CreateRecord(r.Context(), f.createInput(reg.ID))
	if err != nil {
		if fieldMessages(err) == nil {
			return err
		}
		c.render(w, r, http.StatusBadRequest, "record_form", view{Title: "New record", Nav: "registries", Session: s,
			Error: errMessage(err), Fields: fieldMessages(err), Data: recordFormData{Registry: reg, Form: f, Types: allTypes}})
		return nil
	}
	http.Redirect(w, r, Prefix+"registries/"+reg.ID+"/records/"+created.ID+"?done=created", http.StatusSeeOther)
	return nil
}

func (c *Console) editRecordPage(w http.ResponseWriter, r *http.Request, s *session) (string, view, error) {
	v := view{Title: "Edit record", Nav: "registries"}
	if err := c.authorize(r, s, "UpdateRegistryRecord", c.recordARN(r)); err != nil {
		return "", v, err
	}
	reg, err := c.svc.GetRegistry(r.Context(), r.PathValue("registryId"))
	if err != nil {
		return "", v, err
	}
	rec, err := c.svc.GetRecord(r.Context(), reg.ID, r.PathValue("recordId"))
	if err != nil {
		return "", v, err
	}
	v.Data = recordFormData{Registry: reg, RecordID: rec.ID, Form: recordFormOf(rec.Latest), Types: allTypes}
	return "record_form", v, nil
}

// updateRecord replaces the record's content with the form's: every
// descriptor branch is set, the type's to the form's documents and the
// others cleared.
func (c *Console) updateRecord(w http.ResponseWriter, r *http.Request, s *session) error {
	if err := c.authorize(r, s, "UpdateRegistryRecord", c.recordARN(r)); err != nil {
		return err
	}
	reg, err := c.svc.GetRegistry(r.Context(), r.PathValue("registryId"))
	if err != nil {
		return err
	}
	recID := r.PathValue("recordId")
	f := readRecordForm(r)
	d := f.descriptors()
	typ := registry.DescriptorType(f.DescriptorType)
	du := registry.DescriptorsUpdate{
		MCP: registry.Clear[registry.MCPUpdate](), A2A: registry.Clear[registry.A2ADescriptor](),
		Custom: registry.Clear[registry.CustomDescriptor](), AgentSkills: registry.Clear[registry.AgentSkillsUpdate](),
	}
	switch {
	case d.MCP != nil:
		m := registry.MCPUpdate{Server: registry.Set(*d.MCP.Server), Tools: registry.Clear[registry.ToolsDefinition]()}
		if d.MCP.Tools != nil {
			m.Tools = registry.Set(*d.MCP.Tools)
		}
		du.MCP = registry.Set(m)
	case d.A2A != nil:
		du.A2A = registry.Set(*d.A2A)
	case d.Custom != nil:
		du.Custom = registry.Set(*d.Custom)
	case d.AgentSkills != nil:
		a := registry.AgentSkillsUpdate{SkillMd: registry.Clear[registry.SkillMdDefinition](), SkillDefinition: registry.Clear[registry.SkillDefinition]()}
		if d.AgentSkills.SkillMd != nil {
			a.SkillMd = registry.Set(*d.AgentSkills.SkillMd)
		}
		if d.AgentSkills.SkillDefinition != nil {
			a.SkillDefinition = registry.Set(*d.AgentSkills.SkillDefinition)
		}
		du.AgentSkills = registry.Set(a)
	}
	in := registry.UpdateRecordInput{RegistryID: reg.ID, RecordID: recID, Name: &f.Name, DescriptorType: &typ,
		Descriptors: registry.Set(du)}
	if f.Description == "" {
		in.Description = registry.Clear[string]()
	} else {
		in.Description = registry.Set(f.Description)
	}
	// The form shows the current version; send it only when it was
	// changed, so that a version taken from the documents keeps following
	// them.
	cur, err := c.svc.GetRecord(r.Context(), reg.ID, recID)
	if err != nil {
		return err
	}
	if f.Version != "" && f.Version != cur.Latest.Version {
		in.Version = &f.Version
	}
	if _, err := c.svc.UpdateRecord(r.Context(), in); err != nil {
		if fieldMessages(err) == nil {
			return err
		}
		c.render(w, r, http.StatusBadRequest, "record_form", view{Title: "Edit record", Nav: "registries", Session: s,
			Error: errMessage(err), Fields: fieldMessages(err),
			Data: recordFormData{Registry: reg, RecordID: recID, Form: f, Types: allTypes}})
		return nil
	}
	http.Redirect(w, r, Prefix+"registries/"+reg.ID+"/records/"+recID+"?done=updated", http.StatusSeeOther)
	return nil
}

type recordData struct {
	Registry   registry.Registry
	Record     registry.Record
	Latest     revisionView
	Approved   *revisionView
	Diff       []diffLine
	DiffNote   string
	CanEdit    bool
	CanSubmit  bool
	CanDecide  bool
	CanDelete  bool
	ShowsDraft bool // the latest revision is not the approved one
}

func (c *Console) recordPage(w http.ResponseWriter, r *http.Request, s *session) (string, view, error) {
	v := view{Title: "Record", Nav: "registries"}
	arn := c.recordARN(r)
	if err := c.authorize(r, s, "GetRegistryRecord", arn); err != nil {
		return "", v, err
	}
	reg, err := c.svc.GetRegistry(r.Context(), r.PathValue("registryId"))
	if err != nil {
		return "", v, err
	}
	rec, err := c.svc.GetRecord(r.Context(), reg.ID, r.PathValue("recordId"))
	if err != nil {
		return "", v, err
	}
	v.Title = rec.Latest.Name
	d := recordData{Registry: reg, Record: rec, Latest: viewRevision(rec.Latest),
		CanEdit:   c.allowed(r, s, "UpdateRegistryRecord", arn) && rec.Latest.Status != registry.StatusDeprecated,
		CanSubmit: c.allowed(r, s, "SubmitRegistryRecordForApproval", arn) && rec.Latest.Status == registry.StatusDraft,
		CanDecide: c.allowed(r, s, "UpdateRegistryRecordStatus", arn) && rec.Latest.Status != registry.StatusDeprecated,
		CanDelete: c.allowed(r, s, "DeleteRegistryRecord", arn)}
	if rec.Approved != nil {
		a := viewRevision(*rec.Approved)
		d.Approved = &a
		if d.ShowsDraft = !sameRevision(*rec.Approved, rec.Latest); d.ShowsDraft {
			d.Diff, d.DiffNote = diffLines(a.Document, d.Latest.Document)
		}
	}
	v.Data = d
	return "record", v, nil
}

func sameRevision(a, b registry.Revision) bool {
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	return string(ja) == string(jb)
}

func (c *Console) submitRecord(w http.ResponseWriter, r *http.Request, s *session) error {
	if err := c.authorize(r, s, "SubmitRegistryRecordForApproval", c.recordARN(r)); err != nil {
		return err
	}
	rec, err := c.svc.SubmitRecord(r.Context(), r.PathValue("registryId"), r.PathValue("recordId"))
	if err != nil {
		return err
	}
	http.Redirect(w, r, Prefix+"registries/"+rec.RegistryID+"/records/"+rec.ID+"?done=submitted", http.StatusSeeOther)
	return nil
}

// setStatus is a curator's decision on one record.
func (c *Console) setStatus(w http.ResponseWriter, r *http.Request, s *session) error {
	if err := c.authorize(r, s, "UpdateRegistryRecordStatus", c.recordARN(r)); err != nil {
		return err
	}
	rec, err := c.svc.SetRecordStatus(r.Context(), registry.SetRecordStatusInput{RegistryID: r.PathValue("registryId"),
		RecordID: r.PathValue("recordId"), Status: registry.RecordStatus(r.PostFormValue("status")),
		Reason: strings.TrimSpace(r.PostFormValue("reason"))})
	if err != nil {
		return err
	}
	http.Redirect(w, r, Prefix+"registries/"+rec.RegistryID+"/records/"+rec.ID+"?done=status", http.StatusSeeOther)
	return nil
}

func (c *Console) deleteRecord(w http.ResponseWriter, r *http.Request, s *session) error {
	if err := c.authorize(r, s, "DeleteRegistryRecord", c.recordARN(r)); err != nil {
		return err
	}
	regID := r.PathValue("registryId")
	if err := c.svc.DeleteRecord(r.Context(), regID, r.PathValue("recordId")); err != nil {
		return err
	}
	http.Redirect(w, r, Prefix+"registries/"+regID+"?done=deleted", http.StatusSeeOther)
	return nil
}

// validate checks a record form with the server's own validator
// (Service.CheckRecord, what CreateRegistryRecord runs) and answers JSON:
// {"ok": true} or {"ok": false, "message": ..., "fields": {name: message}}.
// It stores nothing; the console's script calls it as the user types.
func (c *Console) validate(w http.ResponseWriter, r *http.Request, s *session) error {
	f := readRecordForm(r)
	out := struct {
		OK      bool              `json:"ok"`
		Message string            `json:"message,omitempty"`
		Fields  map[string]string `json:"fields,omitempty"`
	}{OK: true}
	if err := c.svc.CheckRecord(f.createInput("")); err != nil {
		out.OK, out.Message, out.Fields = false, errMessage(err), fieldMessages(err)
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	return json.NewEncoder(w).Encode(out)
}
