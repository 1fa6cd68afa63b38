package search

import (
	"bytes"
	"math"
	"slices"
	"testing"
)

// TestVectorEncoding pins the stored form of a vector, which databases
// keep across versions: float32, little-endian.
func TestVectorEncoding(t *testing.T) {
	v := []float32{0.5, -1.25, 1, float32(math.Inf(1))}
	b := encodeVector(v)
	want := []byte{0, 0, 0, 0x3f, 0, 0, 0xa0, 0xbf, 0, 0, 0x80, 0x3f, 0, 0, 0x80, 0x7f}
	if !bytes.Equal(b, want) {
		t.Fatalf("encodeVector = % x, want % x", b, want)
	}
	if got, ok := decodeVector(b); !ok || !slices.Equal(got, v) {
		t.Fatalf("decodeVector = %v, %v", got, ok)
	}
	for _, bad := range [][]byte{nil, {}, {1, 2, 3}, {1, 2, 3, 4, 5}} {
		if got, ok := decodeVector(bad); ok {
			t.Errorf("decodeVector(% x) = %v, want not ok", bad, got)
		}
	}
}
