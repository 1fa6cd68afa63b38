package embedding

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"sync"
)

const (
	// maxTokens is how many tokens of a text count, and maxTokens times
	// the median token length how many characters are tokenized at all:
	// model2vec's encode defaults, so that vectors match its.
	maxTokens = 512
	// maxTextChars bounds that character cut whatever the vocabulary.
	maxTextChars = 1 << 16
	// maxTokenizerBytes caps tokenizer.json (multilingual ones are ~30 MB).
	maxTokenizerBytes = 512 << 20
	maxConfigBytes    = 1 << 20
)

// Static is a static embedding model in the model2vec layout: a text's
// vector is the mean of the rows of its tokens (each scaled by its weight
// when the model has weights), L2-normalised unless config.json says
// "normalize": false. It is safe for concurrent use.
type Static struct {
	tok         *tokenizer
	dim         int
	vectors     []float32 // tokens (or clusters, with mapping) x dim
	weights     []float32 // by token id, optional
	mapping     []int32   // token id -> row, optional
	normalize   bool
	maxChars    int
	fingerprint string
	pool        sync.Pool
}

// LoadStatic loads the model in dir, as model2vec's
// StaticModel.save_pretrained writes it:
//
//   - tokenizer.json, a Hugging Face tokenizer (WordPiece, Unigram,
//     WordLevel or BPE model; BERT, Metaspace, ByteLevel and the common
//     normalizers and pre-tokenizers);
//   - model.safetensors, with the vocabulary x dimension table (F32, F16,
//     BF16, F64 or I8) as "embeddings" (or "embedding.weight", or the only
//     2-D tensor), and optionally per-token "weights" and a token to row
//     "mapping" (vocabulary quantisation);
//   - config.json, optional, whose "normalize" says whether vectors are
//     L2-normalised (default true; the search normalises them anyway).
//
// Anything it cannot read exactly is an error, never a guess.
func LoadStatic(dir string) (*Static, error) {
	tokData, err := readCapped(filepath.Join(dir, "tokenizer.json"), maxTokenizerBytes)
	if err != nil {
		return nil, fmt.Errorf("embedding: %w", err)
	}
	tok, err := parseTokenizer(tokData)
	if err != nil {
		return nil, fmt.Errorf("embedding: %s: %w", dir, err)
	}

	// The fingerprint hashes both files: tokenizer.json with its length
	// first, so that no two pairs of files hash alike, then the model.
	h := sha256.New()
	var n [8]byte
	binary.LittleEndian.PutUint64(n[:], uint64(len(tokData)))
	h.Write(n[:])
	h.Write(tokData)

	path := filepath.Join(dir, "model.safetensors")
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("embedding: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("embedding: %w", err)
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("embedding: %s is not a regular file", path)
	}
	r := io.TeeReader(f, h)
	st, err := readStaticTensors(r, fi.Size())
	if err != nil {
		return nil, fmt.Errorf("embedding: %s: %w", path, err)
	}
	if extra, _ := io.Copy(io.Discard, r); extra != 0 {
		return nil, fmt.Errorf("embedding: %s changed while it was read", path)
	}
	if tok.size > st.tokens() {
		return nil, fmt.Errorf("embedding: %s: tokenizer.json has %d tokens but model.safetensors covers %d", dir, tok.size, st.tokens())
	}

	normalize := true
	cfg, err := readCapped(filepath.Join(dir, "config.json"), maxConfigBytes)
	switch {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		return nil, fmt.Errorf("embedding: %w", err)
	default:
		var c struct {
			Normalize *bool `json:"normalize"`
		}
		if err := json.Unmarshal(cfg, &c); err != nil {
			return nil, fmt.Errorf("embedding: %s: config.json: %w", dir, err)
		}
		if c.Normalize != nil {
			normalize = *c.Normalize
		}
	}

	s := &Static{
		tok:         tok,
		dim:         st.dim,
		vectors:     st.vectors,
		weights:     st.weights,
		mapping:     st.mapping,
		normalize:   normalize,
		maxChars:    min(maxTokens*max(tok.medianLen, 1), maxTextChars),
		fingerprint: "model2vec:" + hex.EncodeToString(h.Sum(nil))[:16],
	}
	s.pool.New = func() any { return new(scratch) }
	return s, nil
}

// readCapped reads a file of at most limit bytes.
func readCapped(path string, limit int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > limit {
		return nil, fmt.Errorf("%s is larger than %d MiB", path, limit>>20)
	}
	return data, nil
}

// Fingerprint is "model2vec:" and the first 16 hex digits of a SHA-256
// over tokenizer.json and model.safetensors, computed at load: the same
// files give the same fingerprint on every machine and restart.
func (s *Static) Fingerprint() string { return s.fingerprint }

// Dimension is the length of the vectors.
func (s *Static) Dimension() int { return s.dim }

// String describes the model.
func (s *Static) String() string {
	return fmt.Sprintf("embedding.Static(%s, %d tokens, %d dimensions)", s.fingerprint, s.tok.size, s.dim)
}

// Embed returns one vector per text. A text with no known token gets the
// zero vector, as in model2vec.
func (s *Static) Embed(ctx context.Context, texts []string) ([][]float32, error) {
	sc := s.pool.Get().(*scratch)
	defer s.pool.Put(sc)
	out := make([][]float32, len(texts))
	for i, text := range texts {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		out[i] = s.embed(text, sc)
	}
	return out, nil
}

// embed is one text's vector; it allocates the vector and nothing else.
func (s *Static) embed(text string, sc *scratch) []float32 {
	text = truncateRunes(text, s.maxChars)
	ids := s.tok.encode(sc.ids[:0], text, sc)
	sc.ids = ids
	out := make([]float32, s.dim)
	n := 0
	for _, id := range ids {
		if id < 0 || s.tok.drop[id] {
			continue
		}
		if n == maxTokens {
			break
		}
		n++
		row := int(id)
		if s.mapping != nil {
			row = int(s.mapping[id])
		}
		vec := s.vectors[row*s.dim : (row+1)*s.dim]
		if s.weights != nil {
			w := s.weights[id]
			for i, x := range vec {
				out[i] += w * x
			}
		} else {
			for i, x := range vec {
				out[i] += x
			}
		}
	}
	if n == 0 {
		return out
	}
	scale := 1 / float32(n)
	if s.normalize {
		var sum float64
		for _, x := range out {
			sum += float64(x) * float64(x)
		}
		if sum == 0 {
			return out
		}
		scale = float32(1 / math.Sqrt(sum)) // the mean's scale cancels out
	}
	for i := range out {
		out[i] *= scale
	}
	return out
}

// truncateRunes cuts s after n characters.
func truncateRunes(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for i := range s {
		if n == 0 {
			return s[:i]
		}
		n--
	}
	return s
}
