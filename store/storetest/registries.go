package storetest

import (
	"strings"
	"testing"
	"time"

	"github.com/agentry/agentry/registry"
)

var registryTests = []test{
	{"CreateAndGet", func(t *testing.T, s Store) {
		plain, jwt := sampleRegistry("plain"), jwtRegistry("jwt")
		plain.Description = ""
		jwt.Status, jwt.StatusReason = registry.RegistryUpdateFailed, "The discovery URL did not answer."
		createRegistries(t, s, plain, jwt)
		for _, want := range []registry.Registry{plain, jwt} {
			got, err := getRegistry(t, s, want.ID)
			if err != nil {
				t.Fatal(err)
			}
			wantSame(t, "registry "+want.Name, got, want)
		}
	}},
	{"GetMissing", func(t *testing.T, s Store) {
		_, err := getRegistry(t, s, registry.NewID(12))
		wantKind(t, err, registry.KindNotFound)
	}},
	{"CreateDuplicateName", func(t *testing.T, s Store) {
		first := sampleRegistry("taken")
		createRegistries(t, s, first)
		second := sampleRegistry("taken")
		second.Description = "the second"
		err := s.Update(t.Context(), func(tx registry.Tx) error { return tx.CreateRegistry(second) })
		wantKind(t, err, registry.KindConflict)
		if _, err := getRegistry(t, s, second.ID); !registry.IsNotFound(err) {
			t.Errorf("the rejected registry was stored (err %v)", err)
		}
		got, _ := getRegistry(t, s, first.ID)
		wantSame(t, "first registry", got, first)
	}},
	{"Put", func(t *testing.T, s Store) {
		r := sampleRegistry("before")
		createRegistries(t, s, r)
		changed := jwtRegistry("after")
		changed.ID, changed.CreatedAt = r.ID, r.CreatedAt
		changed.UpdatedAt = t0.Add(time.Hour)
		write(t, s, func(tx registry.Tx) error { return tx.PutRegistry(changed) })
		got, _ := getRegistry(t, s, r.ID)
		wantSame(t, "changed registry", got, changed)

		cleared := changed
		cleared.Description, cleared.Authorizer, cleared.AutoApproval = "", nil, false
		write(t, s, func(tx registry.Tx) error { return tx.PutRegistry(cleared) })
		got, _ = getRegistry(t, s, r.ID)
		wantSame(t, "cleared registry", got, cleared)
	}},
	{"PutRenameToTakenName", func(t *testing.T, s Store) {
		a, b := sampleRegistry("a"), sampleRegistry("b")
		createRegistries(t, s, a, b)
		renamed := b
		renamed.Name = "a"
		err := s.Update(t.Context(), func(tx registry.Tx) error { return tx.PutRegistry(renamed) })
		wantKind(t, err, registry.KindConflict)
		got, _ := getRegistry(t, s, b.ID)
		wantSame(t, "registry b", got, b)
	}},
	{"PutMissing", func(t *testing.T, s Store) {
		err := s.Update(t.Context(), func(tx registry.Tx) error { return tx.PutRegistry(sampleRegistry("ghost")) })
		wantKind(t, err, registry.KindNotFound)
		wantNames(t, registryNames(listRegistries(t, s, registry.RegistryQuery{Limit: 10})), nil)
	}},
	{"Delete", func(t *testing.T, s Store) {
		keep, gone := sampleRegistry("keep"), sampleRegistry("gone")
		createRegistries(t, s, keep, gone)
		write(t, s, func(tx registry.Tx) error { return tx.DeleteRegistry(gone.ID) })
		_, err := getRegistry(t, s, gone.ID)
		wantKind(t, err, registry.KindNotFound)
		if _, err := getRegistry(t, s, keep.ID); err != nil {
			t.Errorf("the other registry: %v", err)
		}
		// The name is free again.
		createRegistries(t, s, sampleRegistry("gone"))
	}},
	{"DeleteMissing", func(t *testing.T, s Store) {
		err := s.Update(t.Context(), func(tx registry.Tx) error { return tx.DeleteRegistry(registry.NewID(12)) })
		wantKind(t, err, registry.KindNotFound)
	}},
	{"ListFilters", func(t *testing.T, s Store) {
		iamReady, iamFailed := sampleRegistry("iam-ready"), sampleRegistry("iam-failed")
		iamFailed.Status = registry.RegistryCreateFailed
		jwtReady, jwtUpdating := jwtRegistry("jwt-ready"), jwtRegistry("jwt-updating")
		jwtUpdating.Status = registry.RegistryUpdating
		createRegistries(t, s, iamReady, iamFailed, jwtReady, jwtUpdating)
		tests := []struct {
			name string
			q    registry.RegistryQuery
			want []string
		}{
			{"none", registry.RegistryQuery{}, []string{"iam-failed", "iam-ready", "jwt-ready", "jwt-updating"}},
			{"status", registry.RegistryQuery{Status: registry.RegistryReady}, []string{"iam-ready", "jwt-ready"}},
			{"authorizer", registry.RegistryQuery{AuthorizerType: registry.AuthorizerCustomJWT}, []string{"jwt-ready", "jwt-updating"}},
			{"both", registry.RegistryQuery{Status: registry.RegistryReady, AuthorizerType: registry.AuthorizerAWSIAM}, []string{"iam-ready"}},
			{"no match", registry.RegistryQuery{Status: registry.RegistryDeleting}, nil},
			{"limit", registry.RegistryQuery{Limit: 3}, []string{"iam-failed", "iam-ready", "jwt-ready"}},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				if tt.q.Limit == 0 {
					tt.q.Limit = 100
				}
				got := listRegistries(t, s, tt.q)
				wantNames(t, registryNames(got), tt.want)
			})
		}
		got := listRegistries(t, s, registry.RegistryQuery{AuthorizerType: registry.AuthorizerCustomJWT, Limit: 1})
		if len(got) == 1 {
			wantSame(t, "listed registry", got[0], jwtReady)
		}
	}},
	{"ListPaging", func(t *testing.T, s Store) {
		var rs []registry.Registry
		for i, name := range byteOrderNames {
			r := sampleRegistry(name)
			if i%3 == 0 {
				r.Status = registry.RegistryUpdateFailed
			}
			rs = append(rs, r)
		}
		createRegistries(t, s, rs...)
		key := func(r registry.Registry) (string, string) { return r.Name, r.ID }
		for _, limit := range []int{1, 2, 4, len(rs), len(rs) + 1} {
			pages := pageThrough(t, limit, func(afterName, afterID string) []registry.Registry {
				return listRegistries(t, s, registry.RegistryQuery{AfterName: afterName, AfterID: afterID, Limit: limit})
			}, key)
			wantNames(t, registryNames(flatten(pages)), sortedCopy(byteOrderNames))
			if want := (len(rs) + limit - 1) / limit; len(pages) != want {
				t.Errorf("limit %d: got %d pages, want %d", limit, len(pages), want)
			}
		}
		var ready []string
		for _, r := range rs {
			if r.Status == registry.RegistryReady {
				ready = append(ready, r.Name)
			}
		}
		pages := pageThrough(t, 2, func(afterName, afterID string) []registry.Registry {
			return listRegistries(t, s, registry.RegistryQuery{Status: registry.RegistryReady, AfterName: afterName, AfterID: afterID, Limit: 2})
		}, key)
		wantNames(t, registryNames(flatten(pages)), sortedCopy(ready))
	}},
	{"ListAfterComparesNameThenID", func(t *testing.T, s Store) {
		a, b, c := sampleRegistry("a"), sampleRegistry("b"), sampleRegistry("c")
		createRegistries(t, s, a, b, c)
		tests := []struct {
			name               string
			afterName, afterID string
			want               []string
		}{
			{"after a listed item", "a", a.ID, []string{"b", "c"}},
			{"same name, lower id", "b", "", []string{"b", "c"}},
			{"same name, higher id", "b", strings.Repeat("z", 16), []string{"c"}},
			{"between names", "aa", "", []string{"b", "c"}},
			{"after the last", "c", c.ID, nil},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				got := listRegistries(t, s, registry.RegistryQuery{AfterName: tt.afterName, AfterID: tt.afterID, Limit: 10})
				wantNames(t, registryNames(got), tt.want)
			})
		}
	}},
}
