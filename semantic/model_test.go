package semantic

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
)

// handModel builds a model from float vectors through the file format, as
// training does.
func handModel(t testing.TB, words []string, vecs [][]float64, weights []float32, pc []float32) *Model {
	t.Helper()
	dim := len(pc)
	m := &Model{dim: dim, words: words, weight: weights, scale: make([]float32, len(words)),
		rows: make([]int8, len(words)*dim), pc: pc, info: Info{Dim: dim, Words: len(words)}}
	for i, v := range vecs {
		m.scale[i] = Quantize(m.rows[i*dim:(i+1)*dim], v)
	}
	data, err := m.encode()
	if err != nil {
		t.Fatal(err)
	}
	out, err := Load(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// threeWords is a 4-dimensional model of three words whose vectors are
// exact in int8.
func threeWords(t testing.TB) *Model {
	return handModel(t, []string{"email", "mail", "databas"},
		[][]float64{{1, 0, 0, 0}, {0.6, 0.8, 0, 0}, {0, 0, 1, 0}},
		[]float32{0.5, 0.25, 1},
		[]float32{0, 0, 0.6, 0.8})
}

func TestEmbedSentence(t *testing.T) {
	m := threeWords(t)
	ctx := context.Background()
	vecs, err := m.Embed(ctx, []string{"Email and mail", "email mail zzqx unknownword", "zzqx", "", "databases"})
	if err != nil {
		t.Fatal(err)
	}
	if len(vecs) != 5 {
		t.Fatalf("%d vectors", len(vecs))
	}
	for i, v := range vecs {
		if len(v) != 4 {
			t.Fatalf("vector %d has %d numbers", i, len(v))
		}
	}
	// 0.5 * email + 0.25 * mail = (0.65, 0.2, 0, 0); the component is
	// orthogonal to it, so only normalisation changes it.
	want := []float64{0.65, 0.2, 0, 0}
	n := math.Hypot(want[0], want[1])
	for j := range want {
		if got := float64(vecs[0][j]); math.Abs(got-want[j]/n) > 1e-3 {
			t.Fatalf("SIF sum: got %v, want %v", vecs[0], []float64{want[0] / n, want[1] / n, 0, 0})
		}
	}
	if !equal(vecs[0], vecs[1]) {
		t.Errorf("unknown words changed the vector: %v vs %v", vecs[0], vecs[1])
	}
	for _, i := range []int{2, 3} {
		if dot(vecs[i], vecs[i]) != 0 {
			t.Errorf("text %d without a known word: %v, want the zero vector", i, vecs[i])
		}
	}
	// databas = (0, 0, 1, 0) less its projection 0.6 on the component
	// (0, 0, 0.6, 0.8): (0, 0, 0.64, -0.48), normalised (0, 0, 0.8, -0.6).
	got := vecs[4]
	if math.Abs(float64(got[2])-0.8) > 1e-3 || math.Abs(float64(got[3])+0.6) > 1e-3 {
		t.Errorf("component removal: got %v, want [0 0 0.8 -0.6]", got)
	}
	if p := dot(got, m.pc); math.Abs(p) > 1e-6 {
		t.Errorf("projection on the component left: %v", p)
	}
	if l := dot(got, got); math.Abs(l-1) > 1e-6 {
		t.Errorf("length %v, want 1", math.Sqrt(l))
	}
	// A word alone along the component embeds to zero: nothing is left.
	pcOnly := handModel(t, []string{"alpha"}, [][]float64{{0, 1}}, []float32{1}, []float32{0, 1})
	v, _ := pcOnly.Embed(ctx, []string{"alpha"})
	if dot(v[0], v[0]) != 0 {
		t.Errorf("a word on the component: %v", v[0])
	}
}

func dot(a, b []float32) float64 {
	var s float64
	for i := range a {
		s += float64(a[i]) * float64(b[i])
	}
	return s
}

func equal(a, b []float32) bool {
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return len(a) == len(b)
}

func TestEmbedCancelled(t *testing.T) {
	m := threeWords(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := m.Embed(ctx, make([]string, 200)); !errors.Is(err, context.Canceled) {
		t.Errorf("got %v, want context.Canceled", err)
	}
}

func TestNearestAndVector(t *testing.T) {
	m := threeWords(t)
	near := m.Nearest("email", 5)
	if len(near) != 2 || near[0].Word != "mail" || math.Abs(float64(near[0].Cosine)-0.6) > 0.01 || near[1].Word != "databas" {
		t.Errorf("Nearest(email) = %v", near)
	}
	if m.Nearest("nosuchword", 3) != nil || m.Vector("nosuchword") != nil {
		t.Error("an unknown word has neighbours or a vector")
	}
	if v := m.Vector("mail"); math.Abs(dot(v, v)-1) > 1e-6 {
		t.Errorf("Vector(mail) = %v, not a unit vector", v)
	}
}

func encoded(t testing.TB, m *Model) []byte {
	t.Helper()
	var b bytes.Buffer
	if _, err := m.WriteTo(&b); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestFormat(t *testing.T) {
	m := threeWords(t)
	data := encoded(t, m)
	if string(data[:8]) != "AGSTATIC" || binary.LittleEndian.Uint32(data[8:]) != 1 {
		t.Fatalf("header % x", data[:12])
	}
	again, err := Load(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(encoded(t, again), data) {
		t.Error("Load and WriteTo do not round-trip")
	}
	if !strings.HasPrefix(m.Fingerprint(), "agentry-static:") || len(m.Fingerprint()) != len("agentry-static:")+12 {
		t.Errorf("fingerprint %q", m.Fingerprint())
	}
	if m.Fingerprint() != again.Fingerprint() {
		t.Error("the same bytes give two fingerprints")
	}
	other := handModel(t, []string{"email"}, [][]float64{{1, 0, 0, 0}}, []float32{1}, make([]float32, 4))
	if other.Fingerprint() == m.Fingerprint() {
		t.Error("two models share a fingerprint")
	}

	for n := range len(data) {
		if _, err := Load(bytes.NewReader(data[:n])); !errors.Is(err, ErrFormat) {
			t.Fatalf("truncated to %d bytes: %v", n, err)
		}
	}
	for i := range data {
		bad := bytes.Clone(data)
		bad[i] ^= 0x10
		if _, err := Load(bytes.NewReader(bad)); err == nil {
			t.Fatalf("byte %d changed, still loads", i)
		}
	}
	patch := func(off int, v uint32) []byte {
		bad := bytes.Clone(data)
		binary.LittleEndian.PutUint32(bad[off:], v)
		return bad
	}
	for name, bad := range map[string][]byte{
		"version 2":      patch(8, 2),
		"dimension 0":    patch(12, 0),
		"huge dimension": patch(12, 1<<20),
		"no words":       patch(16, 0),
		"huge info":      patch(20, 1<<30),
		"trailing bytes": append(bytes.Clone(data), 0),
	} {
		if _, err := Load(bytes.NewReader(bad)); !errors.Is(err, ErrFormat) {
			t.Errorf("%s: %v", name, err)
		}
	}
	dup := &Model{dim: 1, words: []string{"a", "a"}, weight: []float32{1, 1}, scale: []float32{1, 1},
		rows: []int8{1, 1}, pc: []float32{0}}
	data, err = dup.encode()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Load(bytes.NewReader(data)); !errors.Is(err, ErrFormat) {
		t.Errorf("a word twice: %v", err)
	}
}

// FuzzLoad starts from hand-made models and from
// testdata/fuzz/FuzzLoad/trained-synthetic, the model that package
// semantic/train makes of its synthetic corpus (200 lines, its tests'
// smallConfig).
func FuzzLoad(f *testing.F) {
	f.Add(encoded(f, threeWords(f)))
	f.Add([]byte("AGSTATIC"))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := Load(bytes.NewReader(data))
		if err != nil {
			if !errors.Is(err, ErrFormat) {
				t.Fatalf("error %v does not wrap ErrFormat", err)
			}
			return
		}
		again, err := Load(bytes.NewReader(encoded(t, m)))
		if err != nil || again.Len() != m.Len() || again.Dimension() != m.Dimension() {
			t.Fatalf("a loaded model does not load again once written: %v", err)
		}
		vecs, err := m.Embed(context.Background(), []string{strings.Join(m.words, " ")})
		if err != nil || len(vecs[0]) != m.Dimension() {
			t.Fatalf("Embed: %v", err)
		}
		m.Nearest(m.words[0], 3)
	})
}

func TestQuantizeRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 3))
	const dim, n = 256, 40
	vecs := make([][]float64, n)
	rows := make([][]float32, n)
	for i := range vecs {
		v := make([]float64, dim)
		var norm float64
		// Correlated vectors, so that the cosines span a range.
		for j := range v {
			v[j] = rng.NormFloat64() + float64(i%4)*math.Sin(float64(j))
			norm += v[j] * v[j]
		}
		for j := range v {
			v[j] /= math.Sqrt(norm)
		}
		q := make([]int8, dim)
		scale := Quantize(q, v)
		rows[i] = make([]float32, dim)
		for j, x := range q {
			rows[i][j] = float32(x) * scale
		}
		vecs[i] = v
	}
	cos := func(a, b []float64) float64 {
		var s, na, nb float64
		for j := range a {
			s, na, nb = s+a[j]*b[j], na+a[j]*a[j], nb+b[j]*b[j]
		}
		return s / math.Sqrt(na*nb)
	}
	widen := func(v []float32) []float64 {
		out := make([]float64, len(v))
		for j, x := range v {
			out[j] = float64(x)
		}
		return out
	}
	var worst float64
	for i := range n {
		for j := range i {
			worst = max(worst, math.Abs(cos(vecs[i], vecs[j])-cos(widen(rows[i]), widen(rows[j]))))
		}
	}
	if worst > 0.01 {
		t.Errorf("int8 changes a cosine by %.4f", worst)
	}
	if s := Quantize(make([]int8, 3), []float64{0, 0, 0}); s != 0 {
		t.Errorf("zero vector: scale %v", s)
	}
}
