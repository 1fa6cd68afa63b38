package server_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	ctl "github.com/aws/aws-sdk-go-v2/service/bedrockagentcorecontrol"
	"github.com/aws/aws-sdk-go-v2/service/bedrockagentcorecontrol/types"
)

func TestRecordLifecycle(t *testing.T) {
	ts := startServer(t)
	ctx := context.Background()
	c := ts.Client
	reg := ts.createRegistry(t, "lifecycle", false)

	created, err := c.CreateRegistryRecord(ctx, &ctl.CreateRegistryRecordInput{
		RegistryId: aws.String(reg), Name: aws.String("weather"), Description: aws.String("Forecasts"),
		DescriptorType: types.DescriptorTypeMcp, Descriptors: mcpDescriptors(minimalServer),
	})
	if err != nil {
		t.Fatal(err)
	}
	if created.Status != types.RegistryRecordStatusDraft {
		t.Fatalf("created status = %s", created.Status)
	}
	recARN := aws.ToString(created.RecordArn)
	if !strings.HasPrefix(recARN, "arn:aws:bedrock-agentcore:us-east-1:123456789012:registry/"+reg+"/record/") {
		t.Fatalf("record ARN = %s", recARN)
	}
	rec := recARN[strings.LastIndex(recARN, "/")+1:]
	ids := func() (*string, *string) { return aws.String(reg), aws.String(rec) }
	status := func(s types.RegistryRecordStatus, reason string) (*ctl.UpdateRegistryRecordStatusOutput, error) {
		r, id := ids()
		return c.UpdateRegistryRecordStatus(ctx, &ctl.UpdateRegistryRecordStatusInput{RegistryId: r, RecordId: id, Status: s, StatusReason: aws.String(reason)})
	}
	submit := func() (*ctl.SubmitRegistryRecordForApprovalOutput, error) {
		r, id := ids()
		return c.SubmitRegistryRecordForApproval(ctx, &ctl.SubmitRegistryRecordForApprovalInput{RegistryId: r, RecordId: id})
	}
	get := func() *ctl.GetRegistryRecordOutput {
		t.Helper()
		r, id := ids()
		return must[*ctl.GetRegistryRecordOutput](t)(c.GetRegistryRecord(ctx, &ctl.GetRegistryRecordInput{RegistryId: r, RecordId: id}))
	}

	g := get()
	if aws.ToString(g.Name) != "weather" || aws.ToString(g.Description) != "Forecasts" || g.DescriptorType != types.DescriptorTypeMcp ||
		aws.ToString(g.RecordVersion) != "1.0.0" || aws.ToString(g.Descriptors.Mcp.Server.InlineContent) != minimalServer ||
		aws.ToString(g.RecordArn) != recARN || g.Status != types.RegistryRecordStatusDraft {
		t.Fatalf("GetRegistryRecord = %+v", g)
	}

	// A DRAFT cannot be approved directly.
	_, err = status(types.RegistryRecordStatusApproved, "looks good")
	wantConflict(t, err, "DRAFT", "APPROVED")

	sub, err := submit()
	if err != nil || sub.Status != types.RegistryRecordStatusPendingApproval || aws.ToString(sub.RecordId) != rec {
		t.Fatalf("Submit = %+v, %v", sub, err)
	}
	_, err = submit()
	wantConflict(t, err, "PENDING_APPROVAL")

	rej, err := status(types.RegistryRecordStatusRejected, "missing docs")
	if err != nil || rej.Status != types.RegistryRecordStatusRejected || aws.ToString(rej.StatusReason) != "missing docs" {
		t.Fatalf("reject = %+v, %v", rej, err)
	}
	_, err = status(types.RegistryRecordStatusRejected, "again")
	wantConflict(t, err, "REJECTED")
	app, err := status(types.RegistryRecordStatusApproved, "docs added")
	if err != nil || app.Status != types.RegistryRecordStatusApproved {
		t.Fatalf("approve = %+v, %v", app, err)
	}

	// Editing an approved record starts a new DRAFT revision.
	r, id := ids()
	upd, err := c.UpdateRegistryRecord(ctx, &ctl.UpdateRegistryRecordInput{
		RegistryId: r, RecordId: id, Description: &types.UpdatedDescription{OptionalValue: aws.String("Forecasts and alerts")},
	})
	if err != nil || upd.Status != types.RegistryRecordStatusDraft || aws.ToString(upd.Description) != "Forecasts and alerts" {
		t.Fatalf("update = %+v, %v", upd, err)
	}
	// A request that changes nothing leaves the status alone.
	must[*ctl.SubmitRegistryRecordForApprovalOutput](t)(submit())
	same, err := c.UpdateRegistryRecord(ctx, &ctl.UpdateRegistryRecordInput{RegistryId: r, RecordId: id, Name: aws.String("weather")})
	if err != nil || same.Status != types.RegistryRecordStatusPendingApproval {
		t.Fatalf("no-op update = %+v, %v", same, err)
	}

	// Status values outside the curator's transitions are conflicts too.
	_, err = status(types.RegistryRecordStatusDraft, "back to draft")
	wantConflict(t, err, "PENDING_APPROVAL", "DRAFT")

	dep, err := status(types.RegistryRecordStatusDeprecated, "replaced by weather-v2")
	if err != nil || dep.Status != types.RegistryRecordStatusDeprecated {
		t.Fatalf("deprecate = %+v, %v", dep, err)
	}
	// DEPRECATED is final.
	_, err = status(types.RegistryRecordStatusApproved, "undo")
	wantConflict(t, err, "DEPRECATED", "APPROVED")
	_, err = submit()
	wantConflict(t, err, "DEPRECATED")
	_, err = c.UpdateRegistryRecord(ctx, &ctl.UpdateRegistryRecordInput{RegistryId: r, RecordId: id, Description: &types.UpdatedDescription{OptionalValue: aws.String("x")}})
	wantConflict(t, err, "DEPRECATED")
	if g := get(); g.Status != types.RegistryRecordStatusDeprecated || aws.ToString(g.StatusReason) != "replaced by weather-v2" {
		t.Fatalf("after refusals: %+v", g)
	}

	_, err = status(types.RegistryRecordStatus("NOT_A_STATUS"), "x")
	wantValidation(t, err, "status", "must be one of")
	_, err = status(types.RegistryRecordStatusApproved, "")
	wantValidation(t, err, "statusReason", "1 to 4096")

	must[*ctl.DeleteRegistryRecordOutput](t)(c.DeleteRegistryRecord(ctx, &ctl.DeleteRegistryRecordInput{RegistryId: r, RecordId: id}))
	_, err = c.GetRegistryRecord(ctx, &ctl.GetRegistryRecordInput{RegistryId: r, RecordId: id})
	wantNotFound(t, err)
	_, err = c.DeleteRegistryRecord(ctx, &ctl.DeleteRegistryRecordInput{RegistryId: r, RecordId: id})
	wantNotFound(t, err)
}

func TestAutoApproval(t *testing.T) {
	ts := startServer(t)
	ctx := context.Background()
	reg := ts.createRegistry(t, "auto", true)
	rec := ts.createRecord(t, reg, "auto-server")
	out, err := ts.Client.SubmitRegistryRecordForApproval(ctx, &ctl.SubmitRegistryRecordForApprovalInput{RegistryId: aws.String(reg), RecordId: aws.String(rec)})
	if err != nil || out.Status != types.RegistryRecordStatusApproved {
		t.Fatalf("submit with autoApproval = %+v, %v", out, err)
	}
}

func TestRecordARNIdentifiers(t *testing.T) {
	ts := startServer(t)
	ctx := context.Background()
	reg := ts.createRegistry(t, "arns", false)
	rec := ts.createRecord(t, reg, "by-arn")
	regARN := "arn:aws:bedrock-agentcore:us-east-1:123456789012:registry/" + reg
	recARN := regARN + "/record/" + rec
	for _, tc := range []struct{ reg, rec string }{{reg, recARN}, {regARN, rec}, {regARN, recARN}} {
		out, err := ts.Client.GetRegistryRecord(ctx, &ctl.GetRegistryRecordInput{RegistryId: aws.String(tc.reg), RecordId: aws.String(tc.rec)})
		if err != nil || aws.ToString(out.RecordId) != rec {
			t.Fatalf("GetRegistryRecord(%s, %s) = %v, %v", tc.reg, tc.rec, out, err)
		}
	}
	list, err := ts.Client.ListRegistryRecords(ctx, &ctl.ListRegistryRecordsInput{RegistryId: aws.String(regARN)})
	if err != nil || len(list.RegistryRecords) != 1 {
		t.Fatalf("ListRegistryRecords by ARN = %+v, %v", list, err)
	}
	// A record ARN of another registry is refused.
	other := ts.createRegistry(t, "other", false)
	_, err = ts.Client.GetRegistryRecord(ctx, &ctl.GetRegistryRecordInput{RegistryId: aws.String(other), RecordId: aws.String(recARN)})
	wantValidation(t, err, "recordId", "names registry")
	_, err = ts.Client.GetRegistryRecord(ctx, &ctl.GetRegistryRecordInput{RegistryId: aws.String(reg), RecordId: aws.String("nosuchrecord")})
	wantNotFound(t, err)
	_, err = ts.Client.GetRegistryRecord(ctx, &ctl.GetRegistryRecordInput{RegistryId: aws.String(reg), RecordId: aws.String("short")})
	wantValidation(t, err, "recordId", "record id")
}

func TestRecordNamesAndIdempotency(t *testing.T) {
	ts := startServer(t)
	ctx := context.Background()
	reg := ts.createRegistry(t, "names", false)
	ts.createRecord(t, reg, "taken")
	_, err := ts.Client.CreateRegistryRecord(ctx, &ctl.CreateRegistryRecordInput{
		RegistryId: aws.String(reg), Name: aws.String("taken"), DescriptorType: types.DescriptorTypeMcp, Descriptors: mcpDescriptors(minimalServer),
	})
	wantConflict(t, err, "taken")
	// The same name in another registry is fine.
	other := ts.createRegistry(t, "names-2", false)
	ts.createRecord(t, other, "taken")

	token := strings.Repeat("t", 40)
	in := &ctl.CreateRegistryRecordInput{RegistryId: aws.String(reg), Name: aws.String("idem"), DescriptorType: types.DescriptorTypeMcp,
		Descriptors: mcpDescriptors(minimalServer), ClientToken: aws.String(token)}
	a := must[*ctl.CreateRegistryRecordOutput](t)(ts.Client.CreateRegistryRecord(ctx, in))
	b := must[*ctl.CreateRegistryRecordOutput](t)(ts.Client.CreateRegistryRecord(ctx, in))
	if aws.ToString(a.RecordArn) != aws.ToString(b.RecordArn) {
		t.Fatalf("idempotent create gave %s and %s", aws.ToString(a.RecordArn), aws.ToString(b.RecordArn))
	}
	in.Name = aws.String("idem-2")
	_, err = ts.Client.CreateRegistryRecord(ctx, in)
	if ve := wantValidation(t, err, "", "clientToken"); ve.Reason != types.ValidationExceptionReasonIdempotentParameterMismatchException {
		t.Fatalf("reason = %s", ve.Reason)
	}
	_, err = ts.Client.CreateRegistryRecord(ctx, &ctl.CreateRegistryRecordInput{RegistryId: aws.String("nosuchregist"), Name: aws.String("x"),
		DescriptorType: types.DescriptorTypeMcp, Descriptors: mcpDescriptors(minimalServer)})
	wantNotFound(t, err)
}

func TestDescriptorValidation(t *testing.T) {
	ts := startServer(t)
	ctx := context.Background()
	reg := ts.createRegistry(t, "descriptors", false)
	card := `{"name":"Travel agent","description":"Books flights","version":"2.1.0","url":"https://agents.example.com/travel",
		"capabilities":{},"defaultInputModes":["text/plain"],"defaultOutputModes":["text/plain"],
		"skills":[{"id":"book","name":"Book flight","description":"Books a flight","tags":["travel"]}]}`
	skillMd := "---\nname: pdf-forms\ndescription: Fill in PDF forms.\n---\n# PDF forms\nUse this skill to fill forms.\n"
	tools := `{"tools":[{"name":"get_forecast","description":"Forecast for a city","inputSchema":{"type":"object","properties":{"city":{"type":"string"}}}}]}`

	valid := []struct {
		name string
		typ  types.DescriptorType
		d    *types.Descriptors
	}{
		{"mcp-with-tools", types.DescriptorTypeMcp, &types.Descriptors{Mcp: &types.McpDescriptor{
			Server: &types.ServerDefinition{InlineContent: aws.String(minimalServer), SchemaVersion: aws.String("2025-12-11")},
			Tools:  &types.ToolsDefinition{InlineContent: aws.String(tools), ProtocolVersion: aws.String("2025-11-25")}}}},
		{"a2a", types.DescriptorTypeA2a, &types.Descriptors{A2a: &types.A2aDescriptor{AgentCard: &types.AgentCardDefinition{InlineContent: aws.String(card)}}}},
		{"skill", types.DescriptorTypeAgentSkills, &types.Descriptors{AgentSkills: &types.AgentSkillsDescriptor{
			SkillMd: &types.SkillMdDefinition{InlineContent: aws.String(skillMd)}}}},
		{"custom", types.DescriptorTypeCustom, &types.Descriptors{Custom: &types.CustomDescriptor{InlineContent: aws.String(`{"anything": [1, 2, 3]}`)}}},
	}
	for _, v := range valid {
		if _, err := ts.Client.CreateRegistryRecord(ctx, &ctl.CreateRegistryRecordInput{
			RegistryId: aws.String(reg), Name: aws.String(v.name), DescriptorType: v.typ, Descriptors: v.d,
		}); err != nil {
			t.Errorf("%s: %v", v.name, err)
		}
	}

	invalid := []struct {
		name, field, msg string
		typ              types.DescriptorType
		d                *types.Descriptors
	}{
		{"server-without-name", "descriptors.mcp.server.inlineContent", "name", types.DescriptorTypeMcp,
			mcpDescriptors(`{"description": "no name", "version": "1.0.0"}`)},
		{"server-not-json", "descriptors.mcp.server.inlineContent", "line 1", types.DescriptorTypeMcp, mcpDescriptors(`{"name": `)},
		{"wrong-branch", "descriptors.a2a", "required", types.DescriptorTypeA2a, mcpDescriptors(minimalServer)},
		{"skill-without-front-matter", "descriptors.agentSkills.skillMd.inlineContent", "front matter", types.DescriptorTypeAgentSkills,
			&types.Descriptors{AgentSkills: &types.AgentSkillsDescriptor{SkillMd: &types.SkillMdDefinition{InlineContent: aws.String("# no front matter")}}}},
		{"custom-not-json", "descriptors.custom.inlineContent", "", types.DescriptorTypeCustom,
			&types.Descriptors{Custom: &types.CustomDescriptor{InlineContent: aws.String("{nope")}}},
		{"card-missing-skills", "descriptors.a2a.agentCard.inlineContent", "skills", types.DescriptorTypeA2a,
			&types.Descriptors{A2a: &types.A2aDescriptor{AgentCard: &types.AgentCardDefinition{InlineContent: aws.String(`{"name":"x","description":"y","version":"1","url":"https://x.example.com","capabilities":{},"defaultInputModes":[],"defaultOutputModes":[]}`)}}}},
		{"oversized", "descriptors.custom.inlineContent", "102400", types.DescriptorTypeCustom,
			&types.Descriptors{Custom: &types.CustomDescriptor{InlineContent: aws.String(`"` + strings.Repeat("x", 110*1024) + `"`)}}},
	}
	for _, v := range invalid {
		_, err := ts.Client.CreateRegistryRecord(ctx, &ctl.CreateRegistryRecordInput{
			RegistryId: aws.String(reg), Name: aws.String(v.name), DescriptorType: v.typ, Descriptors: v.d,
		})
		t.Run(v.name, func(t *testing.T) { wantValidation(t, err, v.field, v.msg) })
	}
	list := must[*ctl.ListRegistryRecordsOutput](t)(ts.Client.ListRegistryRecords(ctx, &ctl.ListRegistryRecordsInput{RegistryId: aws.String(reg)}))
	if len(list.RegistryRecords) != len(valid) {
		t.Fatalf("%d records stored, want %d: invalid requests must change nothing", len(list.RegistryRecords), len(valid))
	}
}

func TestUpdateRecordDescriptors(t *testing.T) {
	ts := startServer(t)
	ctx := context.Background()
	reg := ts.createRegistry(t, "upd", false)
	rec := ts.createRecord(t, reg, "srv")
	tools := `{"tools":[{"name":"ping","inputSchema":{"type":"object"}}]}`
	out, err := ts.Client.UpdateRegistryRecord(ctx, &ctl.UpdateRegistryRecordInput{
		RegistryId: aws.String(reg), RecordId: aws.String(rec),
		Descriptors: &types.UpdatedDescriptors{OptionalValue: &types.UpdatedDescriptorsUnion{
			Mcp: &types.UpdatedMcpDescriptor{OptionalValue: &types.UpdatedMcpDescriptorFields{
				Tools: &types.UpdatedToolsDefinition{OptionalValue: &types.ToolsDefinition{InlineContent: aws.String(tools)}},
			}},
		}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(out.Descriptors.Mcp.Server.InlineContent) != minimalServer || aws.ToString(out.Descriptors.Mcp.Tools.InlineContent) != tools {
		t.Fatalf("merge of tools kept server? %+v", out.Descriptors.Mcp)
	}
	// A new server.json version moves the record version with it.
	v2 := strings.Replace(minimalServer, "1.0.0", "2.0.0", 1)
	out, err = ts.Client.UpdateRegistryRecord(ctx, &ctl.UpdateRegistryRecordInput{
		RegistryId: aws.String(reg), RecordId: aws.String(rec),
		Descriptors: &types.UpdatedDescriptors{OptionalValue: &types.UpdatedDescriptorsUnion{
			Mcp: &types.UpdatedMcpDescriptor{OptionalValue: &types.UpdatedMcpDescriptorFields{
				Server: &types.UpdatedServerDefinition{OptionalValue: &types.ServerDefinition{InlineContent: aws.String(v2)}},
			}},
		}},
	})
	if err != nil || aws.ToString(out.RecordVersion) != "2.0.0" {
		t.Fatalf("version after server update = %v, %v", aws.ToString(out.RecordVersion), err)
	}
	// Clearing the server of an MCP record is invalid and changes nothing.
	_, err = ts.Client.UpdateRegistryRecord(ctx, &ctl.UpdateRegistryRecordInput{
		RegistryId: aws.String(reg), RecordId: aws.String(rec),
		Descriptors: &types.UpdatedDescriptors{OptionalValue: &types.UpdatedDescriptorsUnion{
			Mcp: &types.UpdatedMcpDescriptor{OptionalValue: &types.UpdatedMcpDescriptorFields{Server: &types.UpdatedServerDefinition{}}},
		}},
	})
	wantValidation(t, err, "descriptors.mcp.server", "required")
	got := must[*ctl.GetRegistryRecordOutput](t)(ts.Client.GetRegistryRecord(ctx, &ctl.GetRegistryRecordInput{RegistryId: aws.String(reg), RecordId: aws.String(rec)}))
	if aws.ToString(got.Descriptors.Mcp.Server.InlineContent) != v2 {
		t.Fatal("a refused update changed the record")
	}
	// Renaming onto another record's name conflicts.
	ts.createRecord(t, reg, "other")
	_, err = ts.Client.UpdateRegistryRecord(ctx, &ctl.UpdateRegistryRecordInput{RegistryId: aws.String(reg), RecordId: aws.String(rec), Name: aws.String("other")})
	wantConflict(t, err, "other")
}

func TestListRecordsPagingAndFilters(t *testing.T) {
	ts := startServer(t)
	ctx := context.Background()
	reg := ts.createRegistry(t, "many", false)
	const n = 25
	var ids []string
	for i := range n {
		ids = append(ids, ts.createRecord(t, reg, fmt.Sprintf("server-%02d", i)))
	}
	for _, id := range ids[:5] {
		must[*ctl.SubmitRegistryRecordForApprovalOutput](t)(ts.Client.SubmitRegistryRecordForApproval(ctx,
			&ctl.SubmitRegistryRecordForApprovalInput{RegistryId: aws.String(reg), RecordId: aws.String(id)}))
	}
	p := ctl.NewListRegistryRecordsPaginator(ts.Client, &ctl.ListRegistryRecordsInput{RegistryId: aws.String(reg), MaxResults: aws.Int32(10)})
	var names []string
	pages := 0
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		pages++
		for _, r := range out.RegistryRecords {
			names = append(names, aws.ToString(r.Name))
		}
	}
	if len(names) != n || pages != 3 || names[0] != "server-00" || names[n-1] != "server-24" {
		t.Fatalf("paged %d names in %d pages: %v", len(names), pages, names)
	}
	pending := must[*ctl.ListRegistryRecordsOutput](t)(ts.Client.ListRegistryRecords(ctx, &ctl.ListRegistryRecordsInput{
		RegistryId: aws.String(reg), Status: types.RegistryRecordStatusPendingApproval}))
	if len(pending.RegistryRecords) != 5 {
		t.Fatalf("status filter: %d records, want 5", len(pending.RegistryRecords))
	}
	byName := must[*ctl.ListRegistryRecordsOutput](t)(ts.Client.ListRegistryRecords(ctx, &ctl.ListRegistryRecordsInput{
		RegistryId: aws.String(reg), Name: aws.String("server-07")}))
	if len(byName.RegistryRecords) != 1 || aws.ToString(byName.RegistryRecords[0].RecordId) != ids[7] {
		t.Fatalf("name filter: %+v", byName.RegistryRecords)
	}
	a2a := must[*ctl.ListRegistryRecordsOutput](t)(ts.Client.ListRegistryRecords(ctx, &ctl.ListRegistryRecordsInput{
		RegistryId: aws.String(reg), DescriptorType: types.DescriptorTypeA2a}))
	if len(a2a.RegistryRecords) != 0 {
		t.Fatalf("descriptorType filter: %d records", len(a2a.RegistryRecords))
	}
	_, err := ts.Client.ListRegistryRecords(ctx, &ctl.ListRegistryRecordsInput{RegistryId: aws.String(reg), DescriptorType: "SOAP"})
	wantValidation(t, err, "descriptorType", "must be one of")
	_, err = ts.Client.ListRegistryRecords(ctx, &ctl.ListRegistryRecordsInput{RegistryId: aws.String("nosuchregist")})
	wantNotFound(t, err)
}

func TestConcurrentWrites(t *testing.T) {
	ts := startServer(t)
	ctx := context.Background()
	reg := ts.createRegistry(t, "concurrent", false)
	var wg sync.WaitGroup
	errs := make(chan error, 8*25)
	for w := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 25 {
				_, err := ts.Client.CreateRegistryRecord(ctx, &ctl.CreateRegistryRecordInput{
					RegistryId: aws.String(reg), Name: aws.String(fmt.Sprintf("w%d-r%d", w, i)),
					DescriptorType: types.DescriptorTypeMcp, Descriptors: mcpDescriptors(minimalServer),
				})
				if err != nil {
					errs <- err
				}
				if _, err := ts.Client.ListRegistryRecords(ctx, &ctl.ListRegistryRecordsInput{RegistryId: aws.String(reg), MaxResults: aws.Int32(5)}); err != nil {
					errs <- err
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	n := 0
	p := ctl.NewListRegistryRecordsPaginator(ts.Client, &ctl.ListRegistryRecordsInput{RegistryId: aws.String(reg), MaxResults: aws.Int32(100)})
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		n += len(out.RegistryRecords)
	}
	if n != 200 {
		t.Fatalf("%d records, want 200", n)
	}
}
