package embedding

import (
	"bufio"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"sort"
)

// The safetensors format: an 8-byte little-endian header length N, N bytes
// of JSON mapping tensor names to {dtype, shape, data_offsets} (plus an
// optional "__metadata__"), then the tensors' bytes. Offsets are relative
// to the end of the header and, as the reference implementation requires,
// the tensors tile the data exactly: no gaps, no overlaps, nothing left
// over. Everything is checked before anything is allocated from it.

const (
	// maxModelBytes caps model.safetensors: the largest static models
	// (500k tokens x 256 float32s) take about 0.5 GiB.
	maxModelBytes = 2 << 30
	// maxHeaderBytes is the reference implementation's header limit.
	maxHeaderBytes = 100_000_000
)

// dtypeSizes are the element sizes of the safetensors dtypes.
var dtypeSizes = map[string]int64{
	"BOOL": 1, "U8": 1, "I8": 1, "F8_E5M2": 1, "F8_E4M3": 1,
	"I16": 2, "U16": 2, "F16": 2, "BF16": 2,
	"I32": 4, "U32": 4, "F32": 4,
	"I64": 8, "U64": 8, "F64": 8,
}

type tensorInfo struct {
	name  string
	dtype string
	shape []int64
	begin int64 // data offsets, relative to the start of the data
	end   int64
}

// tensorFile is a parsed safetensors header.
type tensorFile struct {
	tensors  map[string]*tensorInfo
	order    []*tensorInfo // by offset, which is the order of the data
	dataSize int64
}

// readHeader reads and checks the header of a safetensors file of size
// bytes, leaving r at the start of the data.
func readHeader(r io.Reader, size int64) (*tensorFile, error) {
	if size > maxModelBytes {
		return nil, fmt.Errorf("file of %d bytes is larger than the %d GiB limit", size, maxModelBytes>>30)
	}
	var lenBuf [8]byte
	if _, err := io.ReadFull(r, lenBuf[:]); err != nil {
		return nil, fmt.Errorf("file of %d bytes is too short for a header", size)
	}
	n := binary.LittleEndian.Uint64(lenBuf[:])
	if n < 2 || n > maxHeaderBytes || n > uint64(size-8) {
		return nil, fmt.Errorf("header length %d is impossible in a file of %d bytes", n, size)
	}
	header := make([]byte, n)
	if _, err := io.ReadFull(r, header); err != nil {
		return nil, fmt.Errorf("reading header: %w", err)
	}
	if header[0] != '{' {
		return nil, errors.New("header is not a JSON object")
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(header, &raw); err != nil {
		return nil, fmt.Errorf("header JSON: %w", err)
	}
	f := &tensorFile{tensors: make(map[string]*tensorInfo, len(raw)), dataSize: size - 8 - int64(n)}
	for name, msg := range raw {
		if name == "__metadata__" {
			continue
		}
		var t struct {
			Dtype       string  `json:"dtype"`
			Shape       []int64 `json:"shape"`
			DataOffsets []int64 `json:"data_offsets"`
		}
		if err := json.Unmarshal(msg, &t); err != nil {
			return nil, fmt.Errorf("tensor %.64q: %w", name, err)
		}
		size, ok := dtypeSizes[t.Dtype]
		if !ok {
			return nil, fmt.Errorf("tensor %.64q: unknown dtype %.16q", name, t.Dtype)
		}
		if t.Shape == nil || len(t.DataOffsets) != 2 {
			return nil, fmt.Errorf("tensor %.64q: needs a shape and two data offsets", name)
		}
		bytes := size
		for _, d := range t.Shape {
			if d < 0 || d > 0 && bytes > math.MaxInt64/d {
				return nil, fmt.Errorf("tensor %.64q: bad shape %v", name, t.Shape)
			}
			bytes *= d
		}
		begin, end := t.DataOffsets[0], t.DataOffsets[1]
		if begin < 0 || end < begin || end > f.dataSize {
			return nil, fmt.Errorf("tensor %.64q: data offsets [%d, %d] outside the %d bytes of data", name, begin, end, f.dataSize)
		}
		if end-begin != bytes {
			return nil, fmt.Errorf("tensor %.64q: %d bytes of data for shape %v of %s", name, end-begin, t.Shape, t.Dtype)
		}
		ti := &tensorInfo{name: name, dtype: t.Dtype, shape: t.Shape, begin: begin, end: end}
		f.tensors[name] = ti
		f.order = append(f.order, ti)
	}
	sort.Slice(f.order, func(i, j int) bool {
		a, b := f.order[i], f.order[j]
		return a.begin < b.begin || a.begin == b.begin && a.end < b.end
	})
	var at int64
	for _, t := range f.order {
		if t.begin != at {
			return nil, fmt.Errorf("tensor %.64q: data at offset %d, want %d (tensors must tile the data)", t.name, t.begin, at)
		}
		at = t.end
	}
	if at != f.dataSize {
		return nil, fmt.Errorf("tensors cover %d of the %d bytes of data", at, f.dataSize)
	}
	return f, nil
}

// tensorSink decodes one tensor's bytes as they stream past.
type tensorSink func(chunk []byte, elem int64)

// readData streams the data after the header, handing each wanted
// tensor's bytes to its sink in whole elements and skipping the rest.
func (f *tensorFile) readData(r io.Reader, sinks map[*tensorInfo]tensorSink) error {
	br := bufio.NewReaderSize(r, 1<<16)
	buf := make([]byte, 1<<16) // a multiple of every element size
	for _, t := range f.order {
		n := t.end - t.begin
		sink := sinks[t]
		if sink == nil {
			if _, err := io.CopyN(io.Discard, br, n); err != nil {
				return fmt.Errorf("tensor %.64q: %w", t.name, unexpected(err))
			}
			continue
		}
		size := dtypeSizes[t.dtype]
		var elem int64
		for n > 0 {
			k := min(n, int64(len(buf)))
			if _, err := io.ReadFull(br, buf[:k]); err != nil {
				return fmt.Errorf("tensor %.64q: %w", t.name, unexpected(err))
			}
			sink(buf[:k], elem)
			elem += k / size
			n -= k
		}
	}
	return nil
}

func unexpected(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}

// floatSink decodes a float or int8 tensor into dst.
func floatSink(dtype string, dst []float32) (tensorSink, error) {
	switch dtype {
	case "F32":
		return func(b []byte, at int64) {
			d := dst[at:]
			for i := range len(b) / 4 {
				d[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
			}
		}, nil
	case "F16":
		return func(b []byte, at int64) {
			d := dst[at:]
			for i := range len(b) / 2 {
				d[i] = halfToFloat32(binary.LittleEndian.Uint16(b[2*i:]))
			}
		}, nil
	case "BF16":
		return func(b []byte, at int64) {
			d := dst[at:]
			for i := range len(b) / 2 {
				d[i] = math.Float32frombits(uint32(binary.LittleEndian.Uint16(b[2*i:])) << 16)
			}
		}, nil
	case "F64":
		return func(b []byte, at int64) {
			d := dst[at:]
			for i := range len(b) / 8 {
				d[i] = float32(math.Float64frombits(binary.LittleEndian.Uint64(b[8*i:])))
			}
		}, nil
	case "I8":
		// model2vec's int8 quantisation scales the whole table by one
		// factor, which a mean followed by normalisation undoes.
		return func(b []byte, at int64) {
			d := dst[at:]
			for i, x := range b {
				d[i] = float32(int8(x))
			}
		}, nil
	}
	return nil, fmt.Errorf("unsupported dtype %s (want F32, F16, BF16, F64 or I8)", dtype)
}

// intSink decodes an integer tensor into dst.
func intSink(dtype string, dst []int64) (tensorSink, error) {
	switch dtype {
	case "I32":
		return func(b []byte, at int64) {
			d := dst[at:]
			for i := range len(b) / 4 {
				d[i] = int64(int32(binary.LittleEndian.Uint32(b[4*i:])))
			}
		}, nil
	case "I64":
		return func(b []byte, at int64) {
			d := dst[at:]
			for i := range len(b) / 8 {
				d[i] = int64(binary.LittleEndian.Uint64(b[8*i:]))
			}
		}, nil
	}
	return nil, fmt.Errorf("unsupported dtype %s (want I32 or I64)", dtype)
}

// halfToFloat32 converts an IEEE 754 half-precision number.
func halfToFloat32(h uint16) float32 {
	sign := uint32(h>>15) << 31
	exp := uint32(h>>10) & 0x1f
	frac := uint32(h) & 0x3ff
	switch {
	case exp == 0x1f: // infinity or NaN
		return math.Float32frombits(sign | 0xff<<23 | frac<<13)
	case exp != 0: // normal
		return math.Float32frombits(sign | (exp+112)<<23 | frac<<13)
	case frac == 0: // zero
		return math.Float32frombits(sign)
	}
	// Subnormal: frac x 2^-24, exact in float32.
	f := float32(frac) * (1.0 / (1 << 24))
	if sign != 0 {
		f = -f
	}
	return f
}

// staticTensors are what a static model reads from model.safetensors.
type staticTensors struct {
	rows, dim int
	vectors   []float32 // rows x dim
	weights   []float32 // per token, optional
	mapping   []int32   // token -> row, optional
}

// embeddingNames are the names under which the table is looked for: the
// model2vec name, then sentence-transformers' StaticEmbedding's.
var embeddingNames = []string{"embeddings", "embedding.weight", "0"}

// readStaticTensors reads a static model's tensors from a safetensors
// stream of size bytes.
func readStaticTensors(r io.Reader, size int64) (*staticTensors, error) {
	f, err := readHeader(r, size)
	if err != nil {
		return nil, err
	}
	var emb *tensorInfo
	for _, name := range embeddingNames {
		if emb = f.tensors[name]; emb != nil {
			break
		}
	}
	if emb == nil {
		// Otherwise the one 2-D tensor, whatever its name.
		for _, t := range f.tensors {
			if len(t.shape) == 2 {
				if emb != nil {
					return nil, fmt.Errorf("no tensor named %q and several 2-D tensors", embeddingNames[0])
				}
				emb = t
			}
		}
		if emb == nil {
			return nil, fmt.Errorf("no tensor named %q and no 2-D tensor", embeddingNames[0])
		}
	}
	if len(emb.shape) != 2 || emb.shape[0] < 1 || emb.shape[1] < 1 {
		return nil, fmt.Errorf("tensor %.64q has shape %v, want [vocabulary, dimension]", emb.name, emb.shape)
	}
	if emb.shape[0] > math.MaxInt32 {
		return nil, fmt.Errorf("tensor %.64q has %d rows", emb.name, emb.shape[0])
	}
	st := &staticTensors{rows: int(emb.shape[0]), dim: int(emb.shape[1])}
	st.vectors = make([]float32, emb.shape[0]*emb.shape[1])
	sinks := map[*tensorInfo]tensorSink{}
	if sinks[emb], err = floatSink(emb.dtype, st.vectors); err != nil {
		return nil, fmt.Errorf("tensor %.64q: %w", emb.name, err)
	}
	var mapping []int64
	if t := f.tensors["mapping"]; t != nil && t != emb {
		if len(t.shape) != 1 {
			return nil, fmt.Errorf("tensor %q has shape %v, want [vocabulary]", t.name, t.shape)
		}
		mapping = make([]int64, t.shape[0])
		if sinks[t], err = intSink(t.dtype, mapping); err != nil {
			return nil, fmt.Errorf("tensor %q: %w", t.name, err)
		}
	}
	if t := f.tensors["weights"]; t != nil && t != emb {
		if len(t.shape) != 1 {
			return nil, fmt.Errorf("tensor %q has shape %v, want [vocabulary]", t.name, t.shape)
		}
		st.weights = make([]float32, t.shape[0])
		if sinks[t], err = floatSink(t.dtype, st.weights); err != nil {
			return nil, fmt.Errorf("tensor %q: %w", t.name, err)
		}
	}
	if err := f.readData(r, sinks); err != nil {
		return nil, err
	}
	if mapping != nil {
		st.mapping = make([]int32, len(mapping))
		for i, m := range mapping {
			if m < 0 || m >= int64(st.rows) {
				return nil, fmt.Errorf("mapping sends token %d to row %d of %d", i, m, st.rows)
			}
			st.mapping[i] = int32(m)
		}
	}
	if st.weights != nil && len(st.weights) != st.tokens() {
		return nil, fmt.Errorf("%d weights for %d tokens", len(st.weights), st.tokens())
	}
	if i := slices.IndexFunc(st.vectors, func(x float32) bool { return math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) }); i >= 0 {
		return nil, fmt.Errorf("tensor %.64q: row %d is not finite", emb.name, i/st.dim)
	}
	return st, nil
}

// tokens is the number of token ids the tensors cover.
func (st *staticTensors) tokens() int {
	if st.mapping != nil {
		return len(st.mapping)
	}
	return st.rows
}
