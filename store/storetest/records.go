package storetest

import (
	"strings"
	"testing"
	"time"

	"github.com/agentry/agentry/registry"
)

var recordTests = []test{
	{"CreateAndGet", func(t *testing.T, s Store) {
		reg := sampleRegistry("reg")
		createRegistries(t, s, reg)
		plain := sampleRecord(reg.ID, "plain")
		bare := sampleRecord(reg.ID, "bare")
		bare.Latest.Description, bare.Latest.Version = "", ""
		rejected := withStatus(sampleRecord(reg.ID, "rejected"), registry.StatusRejected)
		rejected.Latest.StatusReason = "Missing a license."
		createRecords(t, s, plain, bare, rejected)
		for _, want := range []registry.Record{plain, bare, rejected} {
			got, err := getRecord(t, s, reg.ID, want.ID)
			if err != nil {
				t.Fatal(err)
			}
			wantSame(t, "record "+want.Latest.Name, got, want)
		}
	}},
	{"DescriptorsRoundTrip", func(t *testing.T, s Store) {
		reg := sampleRegistry("reg")
		createRegistries(t, s, reg)
		for typ := range descriptorsOf {
			t.Run(string(typ), func(t *testing.T) {
				r := withType(sampleRecord(reg.ID, "rec-"+strings.ToLower(string(typ))), typ)
				approved := r.Latest
				approved.Status = registry.StatusApproved
				r.Approved = &approved
				createRecords(t, s, r)
				got, err := getRecord(t, s, reg.ID, r.ID)
				if err != nil {
					t.Fatal(err)
				}
				wantSame(t, "record", got, r)
			})
		}
	}},
	{"ControlCharactersRoundTrip", func(t *testing.T, s Store) {
		// Validation lets any character through in descriptions and in
		// SKILL.md, U+0000 included; a record's revisions keep them all.
		// (A PostgreSQL jsonb column, for one, would refuse U+0000.)
		reg := sampleRegistry("reg")
		createRegistries(t, s, reg)
		r := withType(sampleRecord(reg.ID, "controls"), registry.DescriptorAgentSkills)
		r.Latest.Description = "nul \x00, bell \a, escape \x1b, del \x7f, line separator \u2028, replacement \ufffd"
		skills := *r.Latest.Descriptors.AgentSkills
		md := *skills.SkillMd
		md.InlineContent += "binary tail: \x00\x01\x02\n"
		skills.SkillMd = &md
		r.Latest.Descriptors.AgentSkills = &skills
		approved := r.Latest
		approved.Status, approved.StatusReason = registry.StatusApproved, "ok \x00"
		r.Approved = &approved
		createRecords(t, s, r)
		got, err := getRecord(t, s, reg.ID, r.ID)
		if err != nil {
			t.Fatal(err)
		}
		wantSame(t, "record", got, r)
	}},
	{"GetMissing", func(t *testing.T, s Store) {
		a, b := sampleRegistry("a"), sampleRegistry("b")
		createRegistries(t, s, a, b)
		rec := sampleRecord(a.ID, "rec")
		createRecords(t, s, rec)
		tests := []struct{ name, registryID, recordID string }{
			{"unknown record", a.ID, registry.NewID(12)},
			{"record of another registry", b.ID, rec.ID},
			{"unknown registry", registry.NewID(12), rec.ID},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				_, err := getRecord(t, s, tt.registryID, tt.recordID)
				wantKind(t, err, registry.KindNotFound)
			})
		}
	}},
	{"UniqueNamePerRegistry", func(t *testing.T, s Store) {
		a, b := sampleRegistry("a"), sampleRegistry("b")
		createRegistries(t, s, a, b)
		first := sampleRecord(a.ID, "shared")
		createRecords(t, s, first)

		dup := sampleRecord(a.ID, "shared")
		err := s.Update(t.Context(), func(tx registry.Tx) error { return tx.CreateRecord(dup) })
		wantKind(t, err, registry.KindConflict)
		if n := countRecords(t, s, a.ID); n != 1 {
			t.Errorf("registry a has %d records after the conflict, want 1", n)
		}

		createRecords(t, s, sampleRecord(b.ID, "shared"))
		if n := countRecords(t, s, b.ID); n != 1 {
			t.Errorf("registry b has %d records, want 1", n)
		}
	}},
	{"Put", func(t *testing.T, s Store) {
		reg := sampleRegistry("reg")
		createRegistries(t, s, reg)
		r := sampleRecord(reg.ID, "before")
		createRecords(t, s, r)

		changed := withType(r, registry.DescriptorMCP)
		changed.Latest.Name = "after"
		changed.Latest.Description = "Changed."
		changed.Latest.Version = "2.0.0"
		changed.Latest.Status, changed.Latest.StatusReason = registry.StatusPendingApproval, "Please review."
		changed.Latest.UpdatedAt = t0.Add(time.Minute)
		write(t, s, func(tx registry.Tx) error { return tx.PutRecord(changed) })
		got, _ := getRecord(t, s, reg.ID, r.ID)
		wantSame(t, "changed record", got, changed)
	}},
	{"PutRenameToTakenName", func(t *testing.T, s Store) {
		reg := sampleRegistry("reg")
		createRegistries(t, s, reg)
		a, b := sampleRecord(reg.ID, "a"), sampleRecord(reg.ID, "b")
		createRecords(t, s, a, b)
		renamed := b
		renamed.Latest.Name = "a"
		err := s.Update(t.Context(), func(tx registry.Tx) error { return tx.PutRecord(renamed) })
		wantKind(t, err, registry.KindConflict)
		got, _ := getRecord(t, s, reg.ID, b.ID)
		wantSame(t, "record b", got, b)
	}},
	{"PutMissing", func(t *testing.T, s Store) {
		reg := sampleRegistry("reg")
		createRegistries(t, s, reg)
		err := s.Update(t.Context(), func(tx registry.Tx) error { return tx.PutRecord(sampleRecord(reg.ID, "ghost")) })
		wantKind(t, err, registry.KindNotFound)
		if n := countRecords(t, s, reg.ID); n != 0 {
			t.Errorf("got %d records, want 0", n)
		}
	}},
	{"ApprovedStoredAndCleared", func(t *testing.T, s Store) {
		reg := sampleRegistry("reg")
		createRegistries(t, s, reg)
		r := sampleRecord(reg.ID, "rec")
		createRecords(t, s, r)

		// Approved, then a new draft with other content: both revisions kept.
		approved := r.Latest
		approved.Status, approved.StatusReason = registry.StatusApproved, "Looks good."
		approved.UpdatedAt = t0.Add(time.Minute)
		r.Approved = &approved
		r.Latest.Name, r.Latest.Description, r.Latest.Version = "rec-renamed", "Second draft.", "1.1.0"
		r.Latest.UpdatedAt = t0.Add(2 * time.Minute)
		write(t, s, func(tx registry.Tx) error { return tx.PutRecord(r) })
		got, _ := getRecord(t, s, reg.ID, r.ID)
		wantSame(t, "record with an approved revision", got, r)

		r.Latest.Status = registry.StatusDeprecated
		r.Approved = nil
		write(t, s, func(tx registry.Tx) error { return tx.PutRecord(r) })
		got, _ = getRecord(t, s, reg.ID, r.ID)
		if got.Approved != nil {
			t.Errorf("Approved = %+v after it was cleared, want nil", got.Approved)
		}
		wantSame(t, "record with the approved revision cleared", got, r)
	}},
	{"Delete", func(t *testing.T, s Store) {
		reg := sampleRegistry("reg")
		createRegistries(t, s, reg)
		keep, gone := sampleRecord(reg.ID, "keep"), sampleRecord(reg.ID, "gone")
		createRecords(t, s, keep, gone)
		write(t, s, func(tx registry.Tx) error { return tx.DeleteRecord(reg.ID, gone.ID) })
		_, err := getRecord(t, s, reg.ID, gone.ID)
		wantKind(t, err, registry.KindNotFound)
		if _, err := getRecord(t, s, reg.ID, keep.ID); err != nil {
			t.Errorf("the other record: %v", err)
		}
		// The name is free again.
		createRecords(t, s, sampleRecord(reg.ID, "gone"))
	}},
	{"DeleteMissing", func(t *testing.T, s Store) {
		a, b := sampleRegistry("a"), sampleRegistry("b")
		createRegistries(t, s, a, b)
		rec := sampleRecord(a.ID, "rec")
		createRecords(t, s, rec)
		for _, ids := range [][2]string{{a.ID, registry.NewID(12)}, {b.ID, rec.ID}} {
			err := s.Update(t.Context(), func(tx registry.Tx) error { return tx.DeleteRecord(ids[0], ids[1]) })
			wantKind(t, err, registry.KindNotFound)
		}
		if _, err := getRecord(t, s, a.ID, rec.ID); err != nil {
			t.Errorf("deleting it through another registry removed the record: %v", err)
		}
	}},
	{"Summaries", func(t *testing.T, s Store) {
		// The fields of a summary come from what is stored: text that JSON
		// must escape, and fields left out when empty.
		CheckSummaries(t, s, SummarySamples(t, s))
	}},
	{"Count", func(t *testing.T, s Store) {
		a, b, empty := sampleRegistry("a"), sampleRegistry("b"), sampleRegistry("empty")
		createRegistries(t, s, a, b, empty)
		createRecords(t, s, sampleRecord(a.ID, "1"), sampleRecord(a.ID, "2"), sampleRecord(a.ID, "3"), sampleRecord(b.ID, "1"))
		for _, tc := range []struct {
			id   string
			want int
		}{{a.ID, 3}, {b.ID, 1}, {empty.ID, 0}, {registry.NewID(12), 0}} {
			if n := countRecords(t, s, tc.id); n != tc.want {
				t.Errorf("CountRecords(%s) = %d, want %d", tc.id, n, tc.want)
			}
		}
	}},
	{"ListFilters", func(t *testing.T, s Store) {
		reg, other := sampleRegistry("reg"), sampleRegistry("other")
		createRegistries(t, s, reg, other)
		// Filters apply to the latest revision: "edited" is approved under
		// its old name and drafted under its new one.
		edited := sampleRecord(reg.ID, "edited-new")
		oldRev := edited.Latest
		oldRev.Name, oldRev.Status = "edited-old", registry.StatusApproved
		edited.Approved = &oldRev
		createRecords(t, s,
			withType(sampleRecord(reg.ID, "mcp-draft"), registry.DescriptorMCP),
			withStatus(withType(sampleRecord(reg.ID, "mcp-approved"), registry.DescriptorMCP), registry.StatusApproved),
			withStatus(sampleRecord(reg.ID, "custom-approved"), registry.StatusApproved),
			withStatus(withType(sampleRecord(reg.ID, "a2a-pending"), registry.DescriptorA2A), registry.StatusPendingApproval),
			edited,
			withStatus(withType(sampleRecord(other.ID, "other-mcp"), registry.DescriptorMCP), registry.StatusApproved),
		)
		tests := []struct {
			name string
			q    registry.RecordQuery
			want []string
		}{
			{"none", registry.RecordQuery{}, []string{"a2a-pending", "custom-approved", "edited-new", "mcp-approved", "mcp-draft"}},
			{"name", registry.RecordQuery{Name: "mcp-draft"}, []string{"mcp-draft"}},
			{"approved name", registry.RecordQuery{Name: "edited-old"}, nil},
			{"other registry's name", registry.RecordQuery{Name: "other-mcp"}, nil},
			{"status", registry.RecordQuery{Status: registry.StatusApproved}, []string{"custom-approved", "mcp-approved"}},
			{"draft", registry.RecordQuery{Status: registry.StatusDraft}, []string{"edited-new", "mcp-draft"}},
			{"type", registry.RecordQuery{DescriptorType: registry.DescriptorMCP}, []string{"mcp-approved", "mcp-draft"}},
			{"status and type", registry.RecordQuery{Status: registry.StatusApproved, DescriptorType: registry.DescriptorMCP}, []string{"mcp-approved"}},
			{"all three", registry.RecordQuery{Name: "a2a-pending", Status: registry.StatusPendingApproval, DescriptorType: registry.DescriptorA2A}, []string{"a2a-pending"}},
			{"no match", registry.RecordQuery{DescriptorType: registry.DescriptorAgentSkills}, nil},
			{"limit", registry.RecordQuery{Limit: 2}, []string{"a2a-pending", "custom-approved"}},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				tt.q.RegistryID = reg.ID
				if tt.q.Limit == 0 {
					tt.q.Limit = 100
				}
				wantNames(t, recordNames(listRecords(t, s, tt.q)), tt.want)
			})
		}
		got := listRecords(t, s, registry.RecordQuery{RegistryID: reg.ID, Name: "edited-new", Limit: 1})
		if len(got) == 1 {
			wantSame(t, "listed record", got[0], edited)
		}
		wantNames(t, recordNames(listRecords(t, s, registry.RecordQuery{RegistryID: registry.NewID(12), Limit: 10})), nil)
	}},
	{"ListPaging", func(t *testing.T, s Store) {
		reg, other := sampleRegistry("reg"), sampleRegistry("other")
		createRegistries(t, s, reg, other)
		var recs []registry.Record
		var mcp []string
		for i, name := range byteOrderNames {
			r := sampleRecord(reg.ID, name)
			if i%2 == 0 {
				r = withType(r, registry.DescriptorMCP)
				mcp = append(mcp, name)
			}
			recs = append(recs, r, sampleRecord(other.ID, name))
		}
		createRecords(t, s, recs...)
		key := func(r registry.Record) (string, string) { return r.Latest.Name, r.ID }
		for _, limit := range []int{1, 2, 3, len(byteOrderNames), len(byteOrderNames) + 1} {
			pages := pageThrough(t, limit, func(afterName, afterID string) []registry.Record {
				return listRecords(t, s, registry.RecordQuery{RegistryID: reg.ID, AfterName: afterName, AfterID: afterID, Limit: limit})
			}, key)
			all := flatten(pages)
			wantNames(t, recordNames(all), sortedCopy(byteOrderNames))
			for _, r := range all {
				if r.RegistryID != reg.ID {
					t.Fatalf("listed record %s of registry %s", r.ID, r.RegistryID)
				}
			}
		}
		pages := pageThrough(t, 2, func(afterName, afterID string) []registry.Record {
			return listRecords(t, s, registry.RecordQuery{RegistryID: reg.ID, DescriptorType: registry.DescriptorMCP,
				AfterName: afterName, AfterID: afterID, Limit: 2})
		}, key)
		wantNames(t, recordNames(flatten(pages)), sortedCopy(mcp))
	}},
	{"ListAfterComparesNameThenID", func(t *testing.T, s Store) {
		reg := sampleRegistry("reg")
		createRegistries(t, s, reg)
		a, b, c := sampleRecord(reg.ID, "a"), sampleRecord(reg.ID, "b"), sampleRecord(reg.ID, "c")
		createRecords(t, s, a, b, c)
		tests := []struct {
			name               string
			afterName, afterID string
			want               []string
		}{
			{"after a listed item", "a", a.ID, []string{"b", "c"}},
			{"same name, lower id", "b", "", []string{"b", "c"}},
			{"same name, higher id", "b", strings.Repeat("z", 12), []string{"c"}},
			{"between names", "aa", "", []string{"b", "c"}},
			{"after the last", "c", c.ID, nil},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				got := listRecords(t, s, registry.RecordQuery{RegistryID: reg.ID, AfterName: tt.afterName, AfterID: tt.afterID, Limit: 10})
				wantNames(t, recordNames(got), tt.want)
			})
		}
	}},
	{"TimestampsInUTC", func(t *testing.T, s Store) {
		// Millisecond instants given in other zones come back equal and in UTC.
		india := time.FixedZone("IST", 5*3600+1800)
		created := time.Date(2024, 2, 29, 23, 59, 59, 999_000_000, india)
		updated := time.Date(2031, 12, 31, 0, 0, 0, 1_000_000, time.FixedZone("PST", -8*3600))
		reg := sampleRegistry("reg")
		reg.CreatedAt, reg.UpdatedAt = created, updated
		rec := sampleRecord(reg.ID, "rec")
		rec.CreatedAt, rec.Latest.UpdatedAt = created, updated
		approved := rec.Latest
		approved.UpdatedAt = created
		rec.Approved = &approved
		createRegistries(t, s, reg)
		createRecords(t, s, rec)

		gotReg, _ := getRegistry(t, s, reg.ID)
		gotRec, _ := getRecord(t, s, reg.ID, rec.ID)
		var gotApproved time.Time
		if gotRec.Approved != nil {
			gotApproved = gotRec.Approved.UpdatedAt
		}
		for _, tc := range []struct {
			name      string
			got, want time.Time
		}{
			{"registry CreatedAt", gotReg.CreatedAt, created},
			{"registry UpdatedAt", gotReg.UpdatedAt, updated},
			{"record CreatedAt", gotRec.CreatedAt, created},
			{"Latest.UpdatedAt", gotRec.Latest.UpdatedAt, updated},
			{"Approved.UpdatedAt", gotApproved, created},
		} {
			if !tc.got.Equal(tc.want) || tc.got.Location() != time.UTC {
				t.Errorf("%s = %v, want %v", tc.name, tc.got, tc.want.UTC())
			}
		}
	}},
	{"RequiresExistingRegistry", func(t *testing.T, s Store) {
		missing := registry.NewID(12)
		err := s.Update(t.Context(), func(tx registry.Tx) error { return tx.CreateRecord(sampleRecord(missing, "orphan")) })
		if err == nil {
			t.Fatal("CreateRecord in a registry that does not exist succeeded")
		}
		if n := countRecords(t, s, missing); n != 0 {
			t.Errorf("the orphan was stored: %d records", n)
		}
	}},
}
