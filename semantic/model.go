package semantic

import (
	"bytes"
	"container/heap"
	"context"
	"crypto/sha256"
	_ "embed"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"math"
	"sync"
	"unicode/utf8"

	"github.com/agentry/agentry/search"
)

// ModelFile is the name of the shipped model, and of the file that
// "agentry model train" writes.
const ModelFile = "agentry-static-v1.bin"

//go:embed model/agentry-static-v1.bin
var defaultModel []byte

var loadDefault = sync.OnceValues(func() (*Model, error) {
	return Load(bytes.NewReader(defaultModel))
})

// Default returns the model built into agentry, loaded on the first call.
func Default() (*Model, error) { return loadDefault() }

// Model is a static word-embedding model: an int8 vector per word and
// the SIF weighting that turns words into a sentence vector. It
// implements search.Embedder and is safe for concurrent use.
type Model struct {
	dim    int
	words  []string
	index  map[string]int32
	weight []float32 // SIF weight a / (a + p(w))
	scale  []float32 // dequantisation factor of the row
	coef   []float32 // weight * scale: one multiply per word when embedding
	rows   []int8    // len(words) x dim
	pc     []float32 // the training contexts' first principal component (unit, or zero)
	info   Info
	fp     string
}

var _ search.Embedder = (*Model)(nil)

// Info records how a model was trained.
type Info struct {
	Dim             int     `json:"dim"`
	Window          int     `json:"window"`
	MinCount        int     `json:"min_count"`
	Oversample      int     `json:"oversample"`
	PowerIterations int     `json:"power_iterations"`
	Seed            uint64  `json:"seed"`
	Smoothing       float64 `json:"smoothing"`
	SIFA            float64 `json:"sif_a"`
	// SigmaPower is the p of the word vectors U Sigma^p; files written
	// before it was recorded were trained with -0.5, which Load assumes.
	SigmaPower   float64 `json:"sigma_power"`
	Shift        float64 `json:"shift,omitempty"` // log k of shifted PPMI
	Contexts     int64   `json:"contexts"`
	Tokens       int64   `json:"tokens"`
	TrainedWords int     `json:"trained_words"` // vocabulary of the SVD
	Words        int     `json:"words"`         // kept in the model
	// Contrastive is the supervised stage that followed, if any.
	Contrastive *ContrastiveInfo `json:"contrastive,omitempty"`
}

// ContrastiveInfo records the contrastive stage of training (package
// semantic/train, Contrast): its settings and how many pairs it saw.
type ContrastiveInfo struct {
	Epochs       int     `json:"epochs"`
	Pairs        int     `json:"pairs_per_epoch"`
	Batch        int     `json:"batch"`
	Temperature  float64 `json:"temperature"`
	LearningRate float64 `json:"learning_rate"`
	Seed         uint64  `json:"seed"`
	Weights      bool    `json:"weights,omitempty"`     // a factor per word on its SIF weight learnt too
	WeightRate   float64 `json:"weight_rate,omitempty"` // the step size of those factors
	FixedRows    bool    `json:"fixed_rows,omitempty"`  // only the weights learnt
	Anchored     float64 `json:"anchored,omitempty"`    // share of batches drawn from contexts sharing a frequent word
	AnchorWords  int     `json:"anchor_words,omitempty"`
	Disjoint     bool    `json:"disjoint,omitempty"` // a pair's second text without the first's words
	Spread       float64 `json:"spread,omitempty"`   // weight of the mean squared cosine of non-pairs
	Candidates   int     `json:"candidates"`         // contexts that could give a pair
	Loss         float64 `json:"last_epoch_loss"`
	Base         string  `json:"base"` // fingerprint of the model it started from
}

// Dimension is the length of every vector.
func (m *Model) Dimension() int { return m.dim }

// Fingerprint names the model by a hash of its bytes.
func (m *Model) Fingerprint() string { return m.fp }

// Info returns how the model was trained.
func (m *Model) Info() Info { return m.info }

// Len is the number of words in the vocabulary.
func (m *Model) Len() int { return len(m.words) }

// Embed returns a unit vector per text: the SIF-weighted sum of its
// words' vectors (tokens as search.Tokenize makes them; words the model
// does not know are skipped) less its projection on the stored principal
// component. A text without a known word gets the zero vector, which
// search treats as "no vector": such a record is found by the lexical leg
// only, and such a query is ranked lexically.
func (m *Model) Embed(ctx context.Context, texts []string) ([][]float32, error) {
	out := make([][]float32, len(texts))
	buf := make([]float32, len(texts)*m.dim)
	for i, t := range texts {
		if i%64 == 63 {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
		}
		v := buf[i*m.dim : (i+1)*m.dim : (i+1)*m.dim]
		m.embed(t, v)
		out[i] = v
	}
	return out, nil
}

// embed writes the sentence vector of text into v, which must be zero.
func (m *Model) embed(text string, v []float32) {
	known := false
	for _, tok := range search.Tokenize(text) {
		id, ok := m.index[tok]
		if !ok {
			continue
		}
		known = true
		c := m.coef[id]
		row := m.rows[int(id)*m.dim : int(id+1)*m.dim]
		for j, q := range row {
			v[j] += c * float32(q)
		}
	}
	if !known {
		return
	}
	var dot float32
	for j, p := range m.pc {
		dot += v[j] * p
	}
	for j, p := range m.pc {
		v[j] -= dot * p
	}
	normalize(v)
}

// normalize scales v to unit length; a zero vector stays zero.
func normalize(v []float32) {
	var sum float64
	for _, x := range v {
		sum += float64(x) * float64(x)
	}
	if sum == 0 {
		return
	}
	inv := float32(1 / math.Sqrt(sum))
	for i := range v {
		v[i] *= inv
	}
}

// Vector returns the unit vector of a word (a token as search.Tokenize
// makes it), or nil when the model does not know it.
func (m *Model) Vector(word string) []float32 {
	id, ok := m.index[word]
	if !ok {
		return nil
	}
	v := make([]float32, m.dim)
	for j, q := range m.rows[int(id)*m.dim : int(id+1)*m.dim] {
		v[j] = float32(q)
	}
	normalize(v)
	return v
}

// Neighbor is a word and its cosine similarity to another.
type Neighbor struct {
	Word   string
	Cosine float32
}

// Nearest returns the n words whose vectors are closest to word's (a
// token as search.Tokenize makes it), most similar first; nil when the
// model does not know the word.
func (m *Model) Nearest(word string, n int) []Neighbor {
	v := m.Vector(word)
	if v == nil || n <= 0 {
		return nil
	}
	self := m.index[word]
	h := &neighborHeap{}
	for id := range m.words {
		if int32(id) == self {
			continue
		}
		var dot float32
		for j, q := range m.rows[id*m.dim : (id+1)*m.dim] {
			dot += v[j] * float32(q)
		}
		cos := dot / m.rowNorm(id)
		if h.Len() < n {
			heap.Push(h, Neighbor{m.words[id], cos})
		} else if cos > (*h)[0].Cosine {
			(*h)[0] = Neighbor{m.words[id], cos}
			heap.Fix(h, 0)
		}
	}
	out := make([]Neighbor, h.Len())
	for i := len(out) - 1; i >= 0; i-- {
		out[i] = heap.Pop(h).(Neighbor)
	}
	return out
}

// rowNorm is the length of a row in int8 units.
func (m *Model) rowNorm(id int) float32 {
	var sum float64
	for _, q := range m.rows[id*m.dim : (id+1)*m.dim] {
		sum += float64(q) * float64(q)
	}
	if sum == 0 {
		return 1
	}
	return float32(math.Sqrt(sum))
}

type neighborHeap []Neighbor

func (h neighborHeap) Len() int { return len(h) }
func (h neighborHeap) Less(i, j int) bool {
	if h[i].Cosine != h[j].Cosine {
		return h[i].Cosine < h[j].Cosine
	}
	return h[i].Word > h[j].Word
}
func (h neighborHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *neighborHeap) Push(x any)   { *h = append(*h, x.(Neighbor)) }
func (h *neighborHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

// The model file, little-endian:
//
//	magic "AGSTATIC", version uint32 (1), dim uint32, words uint32,
//	info length uint32, info (JSON),
//	principal component: dim float32,
//	words: for each, length uint8 and UTF-8 bytes,
//	SIF weights: words float32, row scales: words float32,
//	rows: words x dim int8,
//	CRC-32 (Castagnoli) of all the above.
const (
	magic         = "AGSTATIC"
	formatVersion = 1
	headerBytes   = len(magic) + 4*4
	// MaxModelBytes bounds what Load reads; the shipped model is about 8 MB.
	MaxModelBytes = 64 << 20
	// MaxDim is the longest vector a model file may have.
	MaxDim       = 4096
	maxInfoBytes = 1 << 16
	maxWordBytes = 255
)

var crcTable = crc32.MakeTable(crc32.Castagnoli)

// ErrFormat is wrapped by the errors of Load for data that is not a model
// file this version can read.
var ErrFormat = errors.New("semantic: not a valid model file")

func formatError(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrFormat, fmt.Sprintf(format, args...))
}

// Load reads a model file.
func Load(r io.Reader) (*Model, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxModelBytes+1))
	if err != nil {
		return nil, err
	}
	if len(data) > MaxModelBytes {
		return nil, formatError("larger than %d bytes", MaxModelBytes)
	}
	return decode(data)
}

func decode(data []byte) (*Model, error) {
	if len(data) < headerBytes+4 || string(data[:len(magic)]) != magic {
		return nil, formatError("bad magic")
	}
	le := binary.LittleEndian
	p := data[len(magic):]
	version, dim, n, infoLen := le.Uint32(p), le.Uint32(p[4:]), le.Uint32(p[8:]), le.Uint32(p[12:])
	if version != formatVersion {
		return nil, formatError("version %d, this build reads %d", version, formatVersion)
	}
	if dim == 0 || dim > MaxDim {
		return nil, formatError("dimension %d", dim)
	}
	if n == 0 || uint64(n)*uint64(dim) > MaxModelBytes {
		return nil, formatError("%d words", n)
	}
	if infoLen > maxInfoBytes {
		return nil, formatError("info of %d bytes", infoLen)
	}
	body, sum := data[:len(data)-4], le.Uint32(data[len(data)-4:])
	rest := body[headerBytes:]
	// The smallest file these counts allow (one-byte words), checked before
	// anything is allocated for them.
	if need := uint64(infoLen) + 4*uint64(dim) + uint64(n)*(2+8+uint64(dim)); need > uint64(len(rest)) {
		return nil, formatError("truncated: %d words of %d numbers need at least %d bytes", n, dim, need)
	}
	take := func(k int) ([]byte, error) {
		if k < 0 || k > len(rest) {
			return nil, formatError("truncated")
		}
		b := rest[:k]
		rest = rest[k:]
		return b, nil
	}
	m := &Model{dim: int(dim)}
	b, err := take(int(infoLen))
	if err != nil {
		return nil, err
	}
	m.info.SigmaPower = -0.5 // absent from older files (json leaves it)
	if err := json.Unmarshal(b, &m.info); err != nil {
		return nil, formatError("info: %v", err)
	}
	if b, err = take(4 * int(dim)); err != nil {
		return nil, err
	}
	m.pc = make([]float32, dim)
	for j := range m.pc {
		m.pc[j] = math.Float32frombits(le.Uint32(b[4*j:]))
		if !finite(m.pc[j]) {
			return nil, formatError("principal component is not finite")
		}
	}
	m.words = make([]string, n)
	m.index = make(map[string]int32, n)
	for i := range m.words {
		if b, err = take(1); err != nil {
			return nil, err
		}
		if b, err = take(int(b[0])); err != nil {
			return nil, err
		}
		w := string(b)
		if w == "" || !utf8.ValidString(w) {
			return nil, formatError("word %d is empty or not UTF-8", i)
		}
		if _, dup := m.index[w]; dup {
			return nil, formatError("word %q twice", w)
		}
		m.words[i] = w
		m.index[w] = int32(i)
	}
	floats := func(what string) ([]float32, error) {
		b, err := take(4 * int(n))
		if err != nil {
			return nil, err
		}
		out := make([]float32, n)
		for i := range out {
			out[i] = math.Float32frombits(le.Uint32(b[4*i:]))
			if !finite(out[i]) || out[i] < 0 {
				return nil, formatError("%s of word %d is %v", what, i, out[i])
			}
		}
		return out, nil
	}
	if m.weight, err = floats("weight"); err != nil {
		return nil, err
	}
	if m.scale, err = floats("scale"); err != nil {
		return nil, err
	}
	if b, err = take(int(n) * int(dim)); err != nil {
		return nil, err
	}
	m.rows = make([]int8, len(b))
	for i, x := range b {
		m.rows[i] = int8(x)
	}
	if len(rest) != 0 {
		return nil, formatError("%d bytes after the rows", len(rest))
	}
	if crc32.Checksum(body, crcTable) != sum {
		return nil, formatError("checksum mismatch")
	}
	m.coef = make([]float32, n)
	for i := range m.coef {
		m.coef[i] = m.weight[i] * m.scale[i]
	}
	h := sha256.Sum256(data)
	m.fp = "agentry-static:" + hex.EncodeToString(h[:6])
	return m, nil
}

func finite(x float32) bool {
	return !math.IsNaN(float64(x)) && !math.IsInf(float64(x), 0)
}

// Parts are what a model is made of, as training produces them.
type Parts struct {
	Info    Info      // Info.Dim is the length of every vector
	Words   []string  // the vocabulary, each word as search.Tokenize makes it
	Weights []float32 // per word, its SIF weight a / (a + p(w))
	Scales  []float32 // per word, the factor of Quantize that turns its row back into floats
	Rows    []int8    // len(Words) x Info.Dim, row by row, from Quantize
	PC      []float32 // the common direction taken out of every sentence vector (unit, or zero)
}

// Build makes the model of p by writing its file and loading that, so
// that the fingerprint and every value are exactly those of the file.
func Build(p Parts) (*Model, error) {
	dim, n := p.Info.Dim, len(p.Words)
	if dim < 1 || len(p.PC) != dim || len(p.Weights) != n || len(p.Scales) != n || len(p.Rows) != n*dim {
		return nil, fmt.Errorf("semantic: inconsistent model parts: dimension %d, %d words, %d weights, %d scales, %d row numbers, %d principal component numbers",
			dim, n, len(p.Weights), len(p.Scales), len(p.Rows), len(p.PC))
	}
	m := &Model{dim: dim, words: p.Words, weight: p.Weights, scale: p.Scales, rows: p.Rows, pc: p.PC, info: p.Info}
	data, err := m.encode()
	if err != nil {
		return nil, err
	}
	return Load(bytes.NewReader(data))
}

// Parts returns what m is made of (copies), so that training can start
// from an existing model.
func (m *Model) Parts() Parts {
	return Parts{
		Info:    m.info,
		Words:   append([]string(nil), m.words...),
		Weights: append([]float32(nil), m.weight...),
		Scales:  append([]float32(nil), m.scale...),
		Rows:    append([]int8(nil), m.rows...),
		PC:      append([]float32(nil), m.pc...),
	}
}

// Quantize writes v as int8 into dst, scaled so that its largest entry is
// +-127, and returns the scale that turns dst back into v.
func Quantize(dst []int8, v []float64) float32 {
	var big float64
	for _, x := range v {
		big = max(big, math.Abs(x))
	}
	if big == 0 || math.IsNaN(big) || math.IsInf(big, 0) {
		clear(dst)
		return 0
	}
	for j, x := range v {
		dst[j] = int8(max(-127, min(127, math.Round(x/big*127))))
	}
	return float32(big / 127)
}

// WriteTo writes the model file.
func (m *Model) WriteTo(w io.Writer) (int64, error) {
	data, err := m.encode()
	if err != nil {
		return 0, err
	}
	n, err := w.Write(data)
	return int64(n), err
}

func (m *Model) encode() ([]byte, error) {
	info, err := json.Marshal(m.info)
	if err != nil {
		return nil, err
	}
	le := binary.LittleEndian
	var b []byte
	b = append(b, magic...)
	b = le.AppendUint32(b, formatVersion)
	b = le.AppendUint32(b, uint32(m.dim))
	b = le.AppendUint32(b, uint32(len(m.words)))
	b = le.AppendUint32(b, uint32(len(info)))
	b = append(b, info...)
	for _, x := range m.pc {
		b = le.AppendUint32(b, math.Float32bits(x))
	}
	for _, w := range m.words {
		if len(w) == 0 || len(w) > maxWordBytes {
			return nil, fmt.Errorf("semantic: word %q cannot be stored", w)
		}
		b = append(b, byte(len(w)))
		b = append(b, w...)
	}
	for _, x := range m.weight {
		b = le.AppendUint32(b, math.Float32bits(x))
	}
	for _, x := range m.scale {
		b = le.AppendUint32(b, math.Float32bits(x))
	}
	for _, x := range m.rows {
		b = append(b, byte(x))
	}
	return le.AppendUint32(b, crc32.Checksum(b, crcTable)), nil
}
