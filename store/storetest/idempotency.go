package storetest

import (
	"strings"
	"testing"
	"time"

	"github.com/agentry/agentry/registry"
)

var idempotencyTests = []test{
	{"PutAndGet", func(t *testing.T, s Store) {
		e := registry.Idempotency{
			Key:         "CreateRegistry\x00token-0123456789abcdef0123456789abcdef",
			Fingerprint: strings.Repeat("ab", 32),
			Result:      []byte(`{"id":"abcdefghijkl","status":"READY"}`),
			CreatedAt:   t0,
		}
		write(t, s, func(tx registry.Tx) error { return tx.PutIdempotency(e) })
		got, ok, err := getIdempotency(t, s, e.Key)
		if err != nil || !ok {
			t.Fatalf("Idempotency(%q) = ok %v, err %v; want the entry", e.Key, ok, err)
		}
		wantSame(t, "entry", got, e)
	}},
	{"GetMissing", func(t *testing.T, s Store) {
		write(t, s, func(tx registry.Tx) error {
			return tx.PutIdempotency(registry.Idempotency{Key: "present", Fingerprint: "f", Result: []byte("{}"), CreatedAt: t0})
		})
		if _, ok, err := getIdempotency(t, s, "absent"); ok || err != nil {
			t.Errorf("Idempotency(absent) = ok %v, err %v; want ok false, no error", ok, err)
		}
	}},
	{"PutReplaces", func(t *testing.T, s Store) {
		first := registry.Idempotency{Key: "k", Fingerprint: "first", Result: []byte("1"), CreatedAt: t0}
		second := registry.Idempotency{Key: "k", Fingerprint: "second", Result: []byte("2"), CreatedAt: t0.Add(registry.IdempotencyWindow)}
		write(t, s, func(tx registry.Tx) error { return tx.PutIdempotency(first) })
		write(t, s, func(tx registry.Tx) error { return tx.PutIdempotency(second) })
		got, ok, err := getIdempotency(t, s, "k")
		if err != nil || !ok {
			t.Fatalf("ok %v, err %v", ok, err)
		}
		wantSame(t, "entry", got, second)
	}},
	{"PutPurgesExpired", func(t *testing.T, s Store) {
		entry := func(key string, at time.Time) registry.Idempotency {
			return registry.Idempotency{Key: key, Fingerprint: "f-" + key, Result: []byte(key), CreatedAt: at}
		}
		old := entry("old", t0)
		recent := entry("recent", t0.Add(2*time.Hour))
		later := entry("later", t0.Add(registry.IdempotencyWindow+time.Hour))
		for _, e := range []registry.Idempotency{old, recent} {
			write(t, s, func(tx registry.Tx) error { return tx.PutIdempotency(e) })
		}
		if _, ok, _ := getIdempotency(t, s, old.Key); !ok {
			t.Fatal("the old entry is gone before any entry outlived the window")
		}
		write(t, s, func(tx registry.Tx) error { return tx.PutIdempotency(later) })
		for _, tc := range []struct {
			key  string
			want bool
		}{{old.Key, false}, {recent.Key, true}, {later.Key, true}} {
			if _, ok, err := getIdempotency(t, s, tc.key); ok != tc.want || err != nil {
				t.Errorf("after a put %v later, Idempotency(%s) = ok %v, err %v; want ok %v",
					later.CreatedAt.Sub(t0), tc.key, ok, err, tc.want)
			}
		}
	}},
}

func getIdempotency(t *testing.T, s registry.Store, key string) (registry.Idempotency, bool, error) {
	t.Helper()
	var (
		e  registry.Idempotency
		ok bool
	)
	err := s.View(t.Context(), func(tx registry.Tx) error {
		var err error
		e, ok, err = tx.Idempotency(key)
		return err
	})
	return e, ok, err
}
