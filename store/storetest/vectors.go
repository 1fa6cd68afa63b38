package storetest

import (
	"bytes"
	"context"
	"testing"
)

// The vector cache stores values it does not interpret (search encodes
// them), so the suite stores arbitrary bytes.
var vectorTests = []test{
	{"SaveAndLoad", func(t *testing.T, s Store) {
		ctx := context.Background()
		a, b, c := [32]byte{1}, [32]byte{2}, [32]byte{3}
		va, vb := []byte{0, 0, 0, 63, 0, 0, 160, 191, 0xff, 0, 0x80, 0}, []byte{1, 2, 3, 4}
		if err := s.SaveVectors(ctx, "model-1", map[[32]byte][]byte{a: va, b: vb}); err != nil {
			t.Fatal(err)
		}
		got, err := s.LoadVectors(ctx, "model-1", [][32]byte{a, b, c})
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 2 || !bytes.Equal(got[a], va) || !bytes.Equal(got[b], vb) {
			t.Fatalf("LoadVectors = %v", got)
		}
		// Another model has none of them.
		if got, err := s.LoadVectors(ctx, "model-2", [][32]byte{a, b}); err != nil || len(got) != 0 {
			t.Fatalf("other model: %v, %v", got, err)
		}
		// A vector once stored stays: the same text under the same model
		// always has the same vector.
		if err := s.SaveVectors(ctx, "model-1", map[[32]byte][]byte{a: {9, 9, 9, 9}}); err != nil {
			t.Fatal(err)
		}
		if got, _ := s.LoadVectors(ctx, "model-1", [][32]byte{a}); !bytes.Equal(got[a], va) {
			t.Fatalf("overwritten: %v", got[a])
		}
	}},
	{"ManyKeys", func(t *testing.T, s Store) {
		ctx := context.Background()
		vecs := map[[32]byte][]byte{}
		var keys [][32]byte
		for i := range 1200 {
			k := [32]byte{byte(i), byte(i >> 8), 7}
			vecs[k] = []byte{byte(i), byte(i >> 8), 0, 0}
			keys = append(keys, k)
		}
		if err := s.SaveVectors(ctx, "m", vecs); err != nil {
			t.Fatal(err)
		}
		got, err := s.LoadVectors(ctx, "m", keys)
		if err != nil || len(got) != len(keys) {
			t.Fatalf("loaded %d of %d: %v", len(got), len(keys), err)
		}
		for k, v := range vecs {
			if !bytes.Equal(got[k], v) {
				t.Fatalf("key %x: loaded %v, want %v", k[:2], got[k], v)
			}
		}
	}},
	{"Prune", func(t *testing.T, s Store) {
		ctx := context.Background()
		vecs := map[[32]byte][]byte{}
		var keys [][32]byte
		for i := range 1200 {
			k := [32]byte{byte(i), byte(i >> 8), 9}
			vecs[k] = []byte{byte(i), 0, 0, 0}
			keys = append(keys, k)
		}
		if err := s.SaveVectors(ctx, "current", vecs); err != nil {
			t.Fatal(err)
		}
		if err := s.SaveVectors(ctx, "old-model", map[[32]byte][]byte{keys[0]: {1, 0, 0, 0}, keys[1]: {2, 0, 0, 0}}); err != nil {
			t.Fatal(err)
		}
		// Keep every other key, some twice (records with the same text).
		var keep [][32]byte
		for i := 0; i < len(keys); i += 2 {
			keep = append(keep, keys[i])
		}
		keep = append(keep, keys[0], keys[2])
		n, err := s.PruneVectors(ctx, "current", keep)
		if err != nil {
			t.Fatal(err)
		}
		if want := int64(len(keys)/2 + 2); n != want {
			t.Errorf("PruneVectors deleted %d vectors, want %d (the odd keys and the old model's two)", n, want)
		}
		got, err := s.LoadVectors(ctx, "current", keys)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != len(keys)/2 {
			t.Fatalf("%d vectors left, want %d", len(got), len(keys)/2)
		}
		for i, k := range keys {
			if _, ok := got[k]; ok != (i%2 == 0) {
				t.Fatalf("key %d: kept %v", i, ok)
			}
		}
		if got, _ := s.LoadVectors(ctx, "old-model", keys[:2]); len(got) != 0 {
			t.Fatalf("the old model's vectors are still there: %v", got)
		}
		// Nothing left to prune; an empty keep list removes the rest.
		if n, err := s.PruneVectors(ctx, "current", keep); err != nil || n != 0 {
			t.Fatalf("second prune: %d, %v", n, err)
		}
		if n, err := s.PruneVectors(ctx, "current", nil); err != nil || n != int64(len(keys)/2) {
			t.Fatalf("prune keeping nothing: %d, %v", n, err)
		}
	}},
}
