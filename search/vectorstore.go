package search

import (
	"context"
	"encoding/binary"
	"math"
)

// VectorStore keeps record vectors between runs: search's port to the
// database, implemented by store/sqlite and store/postgres. A vector is
// keyed by the embedder's fingerprint and the SHA-256 of the text it was
// computed from, so it belongs to exactly one revision's content under one
// model. Values are opaque to the store: search encodes them (float32,
// little-endian) and ignores one it cannot decode. Vectors are a cache:
// losing one only costs computing it again.
type VectorStore interface {
	// LoadVectors returns the values stored under fingerprint for those of
	// keys that have one.
	LoadVectors(ctx context.Context, fingerprint string, keys [][32]byte) (map[[32]byte][]byte, error)
	// SaveVectors stores values under fingerprint; a key that has a value
	// keeps it, since the same text under the same model always has the
	// same vector.
	SaveVectors(ctx context.Context, fingerprint string, values map[[32]byte][]byte) error
	// PruneVectors deletes every stored value but those of fingerprint
	// whose key is in keep, and returns how many it deleted.
	PruneVectors(ctx context.Context, fingerprint string, keep [][32]byte) (int64, error)
}

// PruneVectors deletes from the VectorStore the vectors no indexed record
// uses: those of texts since edited and those of other models. It deletes
// nothing, and returns 0, until every record has its vector, since a
// record still without one would lose its stored vector too; another
// process sharing the store only has to compute again a vector it needs.
func (ix *Index) PruneVectors(ctx context.Context) (int64, error) {
	if ix.set.vectors == nil || ix.set.embedder == nil {
		return 0, nil
	}
	keys, complete := ix.vectorKeys()
	if !complete {
		return 0, nil
	}
	return ix.set.vectors.PruneVectors(ctx, ix.set.embedder.Fingerprint(), keys)
}

// encodeVector returns the stored form of v: float32, little-endian.
func encodeVector(v []float32) []byte {
	b := make([]byte, 4*len(v))
	for i, x := range v {
		binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(x))
	}
	return b
}

// decodeVector reverses encodeVector; ok is false for a missing or
// malformed value.
func decodeVector(b []byte) (v []float32, ok bool) {
	if len(b) == 0 || len(b)%4 != 0 {
		return nil, false
	}
	v = make([]float32, len(b)/4)
	for i := range v {
		v[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
	}
	return v, true
}
