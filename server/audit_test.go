package server_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	ctl "github.com/aws/aws-sdk-go-v2/service/bedrockagentcorecontrol"
	"github.com/aws/aws-sdk-go-v2/service/bedrockagentcorecontrol/types"

	"github.com/agentry/agentry/audit"
	"github.com/agentry/agentry/registry"
	"github.com/agentry/agentry/server"
)

// auditLines reads GET /audit-events?query as ts's root, waiting until it
// holds at least want lines (the trail is written in batches).
func (ts *testServer) auditLines(t *testing.T, query string, want int) []audit.Line {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		a := ts.sendRaw(t, "GET", "/audit-events?"+query, "", "")
		if a.status != http.StatusOK {
			t.Fatalf("GET /audit-events?%s: %d %s", query, a.status, a.body)
		}
		var lines []audit.Line
		sc := bufio.NewScanner(bytes.NewReader(a.body))
		for sc.Scan() {
			var l audit.Line
			if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
				t.Fatalf("line %q: %v", sc.Text(), err)
			}
			lines = append(lines, l)
		}
		if len(lines) >= want || time.Now().After(deadline) {
			return lines
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestAuditTrail: changing calls and refused calls are recorded with the
// caller, key, address, operation, resource, outcome, error and the names
// of the fields sent; reads are not; the trail is queryable by principal,
// operation, resource and time, behind its own IAM action, and exported by
// agentry audit from the database.
func TestAuditTrail(t *testing.T) {
	path := filepath.Join(t.TempDir(), "iam.json")
	writeIAMFile(t, path, "placeholder0", "127.0.0.0/8")
	ts := startServerWith(t, func(c *server.Config) { c.IAMFile = path })
	ctx := context.Background()
	start := time.Now().UTC()
	reg := ts.createRegistry(t, "audited", false)
	rec := ts.createRecord(t, reg, "first")
	must[*ctl.UpdateRegistryRecordOutput](t)(ts.Client.UpdateRegistryRecord(ctx, &ctl.UpdateRegistryRecordInput{
		RegistryId: aws.String(reg), RecordId: aws.String(rec),
		Description: &types.UpdatedDescription{OptionalValue: aws.String("new")}}))
	must[*ctl.GetRegistryRecordOutput](t)(ts.Client.GetRegistryRecord(ctx, &ctl.GetRegistryRecordInput{
		RegistryId: aws.String(reg), RecordId: aws.String(rec)}))
	ts.Client.UpdateRegistryRecordStatus(ctx, &ctl.UpdateRegistryRecordStatusInput{RegistryId: aws.String(reg),
		RecordId: aws.String(rec), Status: types.RegistryRecordStatusApproved, StatusReason: aws.String("skip")})
	consumer := ts.clientWith("AKIACONSUMER00000001", "consumer-secret-0001")
	consumer.CreateRegistry(ctx, &ctl.CreateRegistryInput{Name: aws.String("nope")})
	curator := ts.clientWith("AKIACURATOR000000001", "curator-secret-00001")
	curator.DeleteRegistryRecord(ctx, &ctl.DeleteRegistryRecordInput{RegistryId: aws.String(reg), RecordId: aws.String(rec)})
	ts.clientWith("AKIAUNKNOWN000000001", "whatever-secret-0001").DeleteRegistry(ctx, &ctl.DeleteRegistryInput{RegistryId: aws.String(reg)})

	lines := ts.auditLines(t, "", 7)
	type row struct{ op, principal, key, outcome, errorName, denial, deniedBy, changed string }
	var got []row
	for _, l := range lines {
		got = append(got, row{l.Operation, l.Principal, l.AccessKeyID, l.Outcome, l.ErrorName, l.Denial, l.DeniedBy, strings.Join(l.ChangedFields, ",")})
		at, err := time.Parse(time.RFC3339Nano, l.Time)
		if l.SourceIP != "127.0.0.1" || l.RequestID == "" || err != nil || at.Before(start.Truncate(time.Millisecond)) {
			t.Errorf("entry %+v", l)
		}
	}
	root, rootKey := "arn:aws:iam::123456789012:root", ts.Key.AccessKeyID
	want := []row{
		{"CreateRegistry", root, rootKey, "allowed", "", "", "", "approvalConfiguration,name"},
		{"CreateRegistryRecord", root, rootKey, "allowed", "", "", "", "descriptorType,descriptors,name"},
		{"UpdateRegistryRecord", root, rootKey, "allowed", "", "", "", "description"},
		{"UpdateRegistryRecordStatus", root, rootKey, "failed", "ConflictException", "", "", "status,statusReason"},
		{"CreateRegistry", "arn:aws:iam::123456789012:user/consumer", "AKIACONSUMER00000001", "denied", "AccessDeniedException", "implicit", "", "name"},
		{"DeleteRegistryRecord", "arn:aws:iam::123456789012:user/curator", "AKIACURATOR000000001", "denied", "AccessDeniedException", "explicit", "policies[0].Statement[1]", ""},
		{"DeleteRegistry", "", "AKIAUNKNOWN000000001", "denied", "UnrecognizedClientException", "", "", ""},
	}
	if !slices.Equal(got, want) {
		t.Errorf("the trail:\n got %+v\nwant %+v", got, want)
	}
	recordARN := "arn:aws:bedrock-agentcore:us-east-1:123456789012:registry/" + reg + "/record/" + rec
	if len(lines) > 2 && lines[2].Resource != recordARN {
		t.Errorf("UpdateRegistryRecord's resource is %q, want %q", lines[2].Resource, recordARN)
	}

	for query, n := range map[string]int{
		"principal=" + url.QueryEscape("arn:aws:iam::123456789012:user/curator"): 1,
		"operation=CreateRegistry":               2,
		"resource=" + url.QueryEscape(recordARN): 3,
		"resource=" + url.QueryEscape("arn:aws:bedrock-agentcore:us-east-1:123456789012:registry/"+reg+"*"): 5,
		"to=" + url.QueryEscape(start.Format(time.RFC3339Nano)):                                             0,
		"limit=2&after=" + itoa(lines[0].Seq):                                                               2,
	} {
		if got := ts.auditLines(t, query, n); len(got) != n {
			t.Errorf("?%s: %d entries, want %d", query, len(got), n)
		}
	}
	if a := ts.sendRaw(t, "GET", "/audit-events?limit=0", "", ""); a.status != http.StatusBadRequest {
		t.Errorf("limit=0: %d, want 400", a.status)
	}
	reader := *ts
	reader.Key.AccessKeyID, reader.Key.SecretAccessKey = "AKIACURATOR000000001", "curator-secret-00001"
	if a := reader.sendRaw(t, "GET", "/audit-events", "", ""); a.status != http.StatusForbidden {
		t.Errorf("the curator (bedrock-agentcore:* only) read the trail: %d", a.status)
	}

	// agentry audit reads the database once the server is closed.
	ts.srv.Close()
	var out bytes.Buffer
	n, err := server.ExportAudit(ctx, ts.cfg, registry.AuditQuery{Operation: "CreateRegistry"}, &out)
	if err != nil || n < 2 || strings.Count(out.String(), "\n") != n {
		t.Errorf("ExportAudit: %d entries, %v:\n%s", n, err, out.String())
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
