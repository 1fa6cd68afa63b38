package httpapi

import (
	"encoding/json"
	"net/http/httptest"
	"reflect"
	"testing"
	"time"

	"github.com/agentry/agentry/registry"
)

// TestListEncodingMatches: the hand-written ListRegistryRecords answer is
// the JSON value encoding/json writes for the same page, for strings that
// need escaping, empty optional members, odd times and an empty page.
func TestListEncodingMatches(t *testing.T) {
	a := &api{arns: registry.ARNs{Region: "us-east-1", AccountID: "123456789012"}}
	utc := time.Date(2026, 12, 6, 12, 0, 0, 999_999_999, time.UTC)
	pages := []registry.RecordPage{
		{},
		{NextToken: "tok+/=\"<&>"},
		{Records: []registry.RecordSummary{
			{RegistryID: "reg1", ID: "rec1", Name: "n", Description: "quote \" backslash \\ tab \t nl \n nul \x00 <b>&amp; \u2028\u2029 é 😀 bad \xff\xfe",
				DescriptorType: registry.DescriptorMCP, Version: "1.0.0", Status: registry.StatusApproved, CreatedAt: utc, UpdatedAt: utc.Add(-time.Hour)},
			{RegistryID: "reg1", ID: "rec2", Name: "only required", DescriptorType: registry.DescriptorA2A, Status: registry.StatusDraft,
				CreatedAt: time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC), UpdatedAt: time.Date(2026, 3, 4, 5, 6, 7, 8_000_000, time.FixedZone("x", 5*3600+1800))},
			{RegistryID: "reg2", ID: "rec3", Name: "far", DescriptorType: registry.DescriptorMCP, Status: registry.StatusPendingApproval,
				CreatedAt: time.Date(12345, 1, 1, 0, 0, 0, 0, time.UTC), UpdatedAt: time.Date(-5, 1, 1, 0, 0, 0, 0, time.UTC)},
			{RegistryID: "reg\xe2\x80", ID: "\xa8rec4", Name: "ids that split a character", DescriptorType: registry.DescriptorMCP,
				Status: registry.StatusApproved, CreatedAt: utc, UpdatedAt: utc},
		}, NextToken: "next"},
	}
	for i, page := range pages {
		want := struct {
			RegistryRecords []recordSummaryJSON `json:"registryRecords"`
			NextToken       string              `json:"nextToken,omitempty"`
		}{RegistryRecords: []recordSummaryJSON{}, NextToken: page.NextToken}
		for _, rec := range page.Records {
			want.RegistryRecords = append(want.RegistryRecords, recordSummaryJSON{
				RegistryArn: a.arns.Registry(rec.RegistryID), RecordArn: a.arns.Record(rec.RegistryID, rec.ID), RecordID: rec.ID,
				Name: rec.Name, Description: rec.Description, DescriptorType: rec.DescriptorType, RecordVersion: rec.Version,
				Status: rec.Status, CreatedAt: timestamp(rec.CreatedAt), UpdatedAt: timestamp(rec.UpdatedAt),
			})
		}
		wantJSON, err := json.Marshal(want)
		if err != nil {
			t.Fatal(err)
		}
		w := httptest.NewRecorder()
		a.writeRecordSummaries(w, page)
		if ct := w.Header().Get("Content-Type"); ct != "application/json" || w.Code != 200 {
			t.Errorf("page %d: status %d, content type %q", i, w.Code, ct)
		}
		var got, exp any
		if err := json.Unmarshal(w.Body.Bytes(), &got); err != nil {
			t.Fatalf("page %d: %v\n%s", i, err, w.Body.Bytes())
		}
		json.Unmarshal(wantJSON, &exp)
		if !reflect.DeepEqual(got, exp) {
			t.Errorf("page %d:\n got %s\nwant %s", i, w.Body.Bytes(), wantJSON)
		}
	}
}
