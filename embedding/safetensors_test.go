package embedding

import (
	"bytes"
	"encoding/binary"
	"testing"
)

func TestReadHeaderLayouts(t *testing.T) {
	rows := embeddingsTensor(t, "F32", 3)
	// Tensors may be stored in any order, and under sentence-transformers'
	// name.
	b := safetensorsBytes(t,
		testTensor{"other", "U8", []int64{5}, []byte{1, 2, 3, 4, 5}},
		testTensor{"embedding.weight", rows.dtype, rows.shape, rows.data},
	)
	st, err := readStaticTensors(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	if st.rows != 3 || st.dim != testDim || st.vectors[testDim] != testRow(1)[0] {
		t.Errorf("rows %d, dim %d, vectors %v", st.rows, st.dim, st.vectors)
	}
	// A lone 2-D tensor is taken whatever its name; BF16 and F64 decode.
	bf16 := []byte{0x80, 0x3f, 0x00, 0xc0} // 1, -2
	f64 := binary.LittleEndian.AppendUint64(nil, 0x3fd0000000000000)
	for _, ts := range []testTensor{
		{"table", "BF16", []int64{1, 2}, bf16},
		{"emb", "F64", []int64{1, 1}, f64},
	} {
		b := safetensorsBytes(t, ts)
		st, err := readStaticTensors(bytes.NewReader(b), int64(len(b)))
		if err != nil {
			t.Fatal(err)
		}
		if ts.dtype == "BF16" && (st.vectors[0] != 1 || st.vectors[1] != -2) || ts.dtype == "F64" && st.vectors[0] != 0.25 {
			t.Errorf("%s: %v", ts.dtype, st.vectors)
		}
	}
	// Only metadata: no table.
	b = safetensorsBytes(t)
	if _, err := readStaticTensors(bytes.NewReader(b), int64(len(b))); err == nil {
		t.Error("a file without tensors loaded")
	}
	// A stream shorter than its stated size.
	b = safetensorsBytes(t, rows)
	if _, err := readStaticTensors(bytes.NewReader(b[:len(b)-1]), int64(len(b))); err == nil {
		t.Error("a short stream loaded")
	}
	// Past the size limit, before reading anything.
	if _, err := readStaticTensors(bytes.NewReader(b), maxModelBytes+1); err == nil {
		t.Error("an oversize file loaded")
	}
}

// FuzzLoadSafetensors feeds arbitrary bytes to the model reader: it must
// return an error or a consistent table, never panic or allocate more
// than the bytes justify.
func FuzzLoadSafetensors(f *testing.F) {
	rows := embeddingsTensor(f, "F32", 4)
	f.Add(safetensorsBytes(f, rows))
	f.Add(safetensorsBytes(f, embeddingsTensor(f, "F16", 3)))
	f.Add(safetensorsBytes(f, embeddingsTensor(f, "I8", 2)))
	f.Add(safetensorsBytes(f,
		testTensor{"mapping", "I32", []int64{2}, []byte{1, 0, 0, 0, 0, 0, 0, 0}},
		embeddingsTensor(f, "F32", 2),
		testTensor{"weights", "F32", []int64{2}, f32Bytes([]float32{1, 0.5})},
	))
	f.Add([]byte{})
	f.Add([]byte("\x02\x00\x00\x00\x00\x00\x00\x00{}"))
	f.Add([]byte("\x40\x00\x00\x00\x00\x00\x00\x00{\"embeddings\":{\"dtype\":\"F32\",\"shape\":[1,1],\"data_offsets\":[0,4]}}\x00\x00\x80\x3f"))
	f.Fuzz(func(t *testing.T, data []byte) {
		st, err := readStaticTensors(bytes.NewReader(data), int64(len(data)))
		if err != nil {
			return
		}
		if st.rows < 1 || st.dim < 1 || len(st.vectors) != st.rows*st.dim {
			t.Fatalf("inconsistent table: %d x %d, %d numbers", st.rows, st.dim, len(st.vectors))
		}
		if len(st.vectors) > len(data) {
			t.Fatalf("%d numbers from %d bytes", len(st.vectors), len(data))
		}
		for _, m := range st.mapping {
			if m < 0 || int(m) >= st.rows {
				t.Fatalf("mapping to row %d of %d", m, st.rows)
			}
		}
		if st.weights != nil && len(st.weights) != st.tokens() {
			t.Fatalf("%d weights for %d tokens", len(st.weights), st.tokens())
		}
	})
}
