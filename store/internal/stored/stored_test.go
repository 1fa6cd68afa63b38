package stored

import (
	"reflect"
	"testing"
	"time"

	"github.com/agentry/agentry/registry"
)

// TestEveryFieldStored fails when a domain type has a field that its
// stored twin lacks, which encoding would drop without a word. (The stored
// bytes themselves are pinned by storetest.RunStoredV1, on both stores.)
func TestEveryFieldStored(t *testing.T) {
	sameFields(t, "Revision", reflect.TypeFor[registry.Revision](), reflect.TypeFor[revision]())
	sameFields(t, "AuthorizerConfig", reflect.TypeFor[registry.AuthorizerConfig](), reflect.TypeFor[authorizer]())
}

func sameFields(t *testing.T, path string, domain, stored reflect.Type) {
	t.Helper()
	if domain == reflect.TypeFor[time.Time]() {
		if stored.Kind() != reflect.Int64 {
			t.Errorf("%s: a time is stored in Unix milliseconds, not as %s", path, stored)
		}
		return
	}
	if domain.Kind() != stored.Kind() {
		t.Errorf("%s: domain %s, stored %s", path, domain, stored)
		return
	}
	switch domain.Kind() {
	case reflect.Pointer, reflect.Slice:
		sameFields(t, path, domain.Elem(), stored.Elem())
	case reflect.Map:
		sameFields(t, path+" key", domain.Key(), stored.Key())
		sameFields(t, path, domain.Elem(), stored.Elem())
	case reflect.Struct:
		if domain.NumField() != stored.NumField() {
			t.Errorf("%s: domain %s has %d fields, stored %s %d", path, domain, domain.NumField(), stored, stored.NumField())
		}
		for f := range domain.Fields() {
			s, ok := stored.FieldByName(f.Name)
			if !ok {
				t.Errorf("%s.%s is not stored", path, f.Name)
				continue
			}
			sameFields(t, path+"."+f.Name, f.Type, s.Type)
		}
	}
}
