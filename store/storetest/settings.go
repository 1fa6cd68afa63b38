package storetest

import (
	"testing"

	"github.com/agentry/agentry/registry"
)

var settingTests = []test{
	{"GetMissing", func(t *testing.T, s Store) {
		v, ok, err := getSetting(t, s, "paging-key")
		if ok || err != nil || v != nil {
			t.Errorf("Setting(missing) = %q, ok %v, err %v; want nil, false, nil", v, ok, err)
		}
	}},
	{"PutAndOverwrite", func(t *testing.T, s Store) {
		binary := []byte{0, 1, 2, 0x7f, 0x80, 0xfe, 0xff, 0}
		write(t, s, func(tx registry.Tx) error {
			if err := tx.PutSetting("a", binary); err != nil {
				return err
			}
			return tx.PutSetting("b", []byte("bee"))
		})
		wantSetting(t, s, "a", binary)
		write(t, s, func(tx registry.Tx) error { return tx.PutSetting("a", []byte("second")) })
		wantSetting(t, s, "a", []byte("second"))
		wantSetting(t, s, "b", []byte("bee"))
	}},
}

func getSetting(t *testing.T, s registry.Store, name string) ([]byte, bool, error) {
	t.Helper()
	var (
		v  []byte
		ok bool
	)
	err := s.View(t.Context(), func(tx registry.Tx) error {
		var err error
		v, ok, err = tx.Setting(name)
		return err
	})
	return v, ok, err
}

func wantSetting(t *testing.T, s registry.Store, name string, want []byte) {
	t.Helper()
	v, ok, err := getSetting(t, s, name)
	if err != nil || !ok || string(v) != string(want) {
		t.Errorf("Setting(%s) = %q, ok %v, err %v; want %q", name, v, ok, err, want)
	}
}
