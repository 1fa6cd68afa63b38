package embedding

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
)

// testVocab is a WordPiece vocabulary in id order.
var testVocab = []string{
	"[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]",
	"the", "agent", "search", "tool", "registry", // 5-9
	"github", "issue", "##s", "list", "un", // 10-14
	"##able", "##ing", "play", "cafe", "resume", // 15-19
	"naive", "!", ",", ".", "-", // 20-24
	"_", "中", "文", "hello", "world", // 25-29
	"model", "find", "##er", "a", "##b", // 30-34
	"##c", "i", "\u0307", "straße", "ﬁ", // 35-39
	"strasse", "go", "##lang", "mcp", "server", // 40-44
	"skill", "data", "base", "##base", "$", // 45-49
	"+", "é", // 50-51
}

const testDim = 4

// testRow is token id's vector: small integers, exact in F16 and I8.
func testRow(id int) []float32 {
	return []float32{float32(id%7 - 3), float32(id%5 + 1), float32(id % 3), float32((id*3)%11 - 5)}
}

type testTensor struct {
	name  string
	dtype string
	shape []int64
	data  []byte
}

// safetensorsBytes lays tensors out in the order given.
func safetensorsBytes(t testing.TB, tensors ...testTensor) []byte {
	header := map[string]any{"__metadata__": map[string]string{"format": "pt"}}
	var data []byte
	for _, ts := range tensors {
		header[ts.name] = map[string]any{"dtype": ts.dtype, "shape": ts.shape, "data_offsets": []int{len(data), len(data) + len(ts.data)}}
		data = append(data, ts.data...)
	}
	h, err := json.Marshal(header)
	if err != nil {
		t.Fatal(err)
	}
	for len(h)%8 != 0 { // the reference writer pads with spaces
		h = append(h, ' ')
	}
	out := binary.LittleEndian.AppendUint64(nil, uint64(len(h)))
	return append(append(out, h...), data...)
}

func f32Bytes(v []float32) []byte {
	var b []byte
	for _, x := range v {
		b = binary.LittleEndian.AppendUint32(b, math.Float32bits(x))
	}
	return b
}

// float32ToHalf encodes x, which must be exact in half precision.
func float32ToHalf(t testing.TB, x float32) uint16 {
	for h := range 1 << 16 {
		if halfToFloat32(uint16(h)) == x && (x != 0 || math.Signbit(float64(x)) == (h>>15 == 1)) {
			return uint16(h)
		}
	}
	t.Fatalf("%v is not exact in half precision", x)
	return 0
}

func tableValues(rows int) []float32 {
	var v []float32
	for id := range rows {
		v = append(v, testRow(id)...)
	}
	return v
}

func embeddingsTensor(t testing.TB, dtype string, rows int) testTensor {
	v := tableValues(rows)
	var data []byte
	switch dtype {
	case "F32":
		data = f32Bytes(v)
	case "F16":
		for _, x := range v {
			data = binary.LittleEndian.AppendUint16(data, float32ToHalf(t, x))
		}
	case "I8":
		for _, x := range v {
			data = append(data, byte(int8(x)))
		}
	default:
		t.Fatalf("dtype %s", dtype)
	}
	return testTensor{"embeddings", dtype, []int64{int64(rows), testDim}, data}
}

func wordPieceTokenizer(vocab []string) map[string]any {
	v := map[string]int{}
	for i, tok := range vocab {
		v[tok] = i
	}
	var added []map[string]any
	for i, tok := range vocab[:5] {
		added = append(added, map[string]any{"id": i, "content": tok, "special": true, "normalized": false})
	}
	return map[string]any{
		"version":       "1.0",
		"added_tokens":  added,
		"normalizer":    map[string]any{"type": "BertNormalizer", "clean_text": true, "handle_chinese_chars": true, "strip_accents": nil, "lowercase": true},
		"pre_tokenizer": map[string]any{"type": "BertPreTokenizer"},
		"model":         map[string]any{"type": "WordPiece", "unk_token": "[UNK]", "continuing_subword_prefix": "##", "max_input_chars_per_word": 100, "vocab": v},
	}
}

// writeModel writes a model directory; config nil leaves config.json out.
func writeModel(t testing.TB, tok any, model []byte, config any) string {
	t.Helper()
	dir := t.TempDir()
	write := func(name string, v any) {
		var b []byte
		switch v := v.(type) {
		case []byte:
			b = v
		default:
			var err error
			if b, err = json.Marshal(v); err != nil {
				t.Fatal(err)
			}
		}
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("tokenizer.json", tok)
	write("model.safetensors", model)
	if config != nil {
		write("config.json", config)
	}
	return dir
}

func loadTestModel(t testing.TB, dtype string, config any) *Static {
	t.Helper()
	dir := writeModel(t, wordPieceTokenizer(testVocab), safetensorsBytes(t, embeddingsTensor(t, dtype, len(testVocab))), config)
	s, err := LoadStatic(dir)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// expected is the model2vec embedding of the tokens: the mean of their
// rows, normalised when asked.
func expected(normalize bool, tokens ...string) []float32 {
	out := make([]float64, testDim)
	for _, tok := range tokens {
		for i, x := range testRow(slices.Index(testVocab, tok)) {
			out[i] += float64(x)
		}
	}
	var norm float64
	for i := range out {
		out[i] /= float64(len(tokens))
		norm += out[i] * out[i]
	}
	v := make([]float32, testDim)
	for i, x := range out {
		if normalize {
			x /= math.Sqrt(norm)
		}
		v[i] = float32(x)
	}
	return v
}

func assertVec(t *testing.T, what string, got, want []float32) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %v, want %v", what, got, want)
	}
	for i := range got {
		if math.Abs(float64(got[i]-want[i])) > 1e-6 {
			t.Fatalf("%s: %v, want %v", what, got, want)
		}
	}
}

// tokenIDs is the ids of the tokens of text that count.
func (s *Static) tokenIDs(text string) []int32 {
	var ids []int32
	for _, id := range s.tok.encode(nil, truncateRunes(text, s.maxChars), new(scratch)) {
		if id >= 0 && !s.tok.drop[id] {
			ids = append(ids, id)
		}
	}
	return ids
}

func tokenNames(s *Static, text string, vocab []string) []string {
	var out []string
	for _, id := range s.tokenIDs(text) {
		out = append(out, vocab[id])
	}
	return out
}

func TestStaticWordPiece(t *testing.T) {
	cases := []struct {
		text   string
		tokens []string
	}{
		{"the agent", []string{"the", "agent"}},
		{"The AGENTS!", []string{"the", "agent", "##s", "!"}},         // case, subword, punctuation
		{"unable playing", []string{"un", "##able", "play", "##ing"}}, // longest match first
		{"Café RÉSUMÉ naïve", []string{"cafe", "resume", "naive"}},    // accents stripped
		{"the zzz agent", []string{"the", "agent"}},                   // unknown word dropped
		{"list issues-search_tool.", []string{"list", "issue", "##s", "-", "search", "_", "tool", "."}},
		{"agentx", nil}, // one unknown piece makes the word unknown
		{"中文model", []string{"中", "文", "model"}},                                       // CJK ideographs isolated
		{"  hello\t\n world\u00a0\u2003github ", []string{"hello", "world", "github"}}, // Unicode white space
		{"hel\u0000lo wor\u200bld", []string{"hello", "world"}},                        // control and format characters dropped
		{"$+", []string{"$", "+"}},                                                     // ASCII symbols are punctuation to BERT
		{"İ", []string{"i"}},                                                           // İ decomposes; the dot is stripped
		{"[CLS] the [SEP]", []string{"the"}},                                           // special tokens are text, not tokens
		{"golang database", []string{"go", "##lang", "data", "##base"}},
		{"abc", []string{"a", "##b", "##c"}},
		{"", nil},
		{"\u00e9", nil},                                      // é is stripped to e, which is not in the vocabulary
		{strings.Repeat("a", 101) + " the", []string{"the"}}, // past max_input_chars_per_word
	}
	s := loadTestModel(t, "F32", nil)
	for _, c := range cases {
		if got := tokenNames(s, c.text, testVocab); !slices.Equal(got, c.tokens) {
			t.Errorf("tokens of %q = %q, want %q", c.text, got, c.tokens)
		}
	}
	texts := make([]string, len(cases))
	for i, c := range cases {
		texts[i] = c.text
	}
	vecs, err := s.Embed(context.Background(), texts)
	if err != nil {
		t.Fatal(err)
	}
	for i, c := range cases {
		want := make([]float32, testDim)
		if len(c.tokens) > 0 {
			want = expected(true, c.tokens...)
		}
		assertVec(t, fmt.Sprintf("embedding of %q", c.text), vecs[i], want)
	}
	if s.Dimension() != testDim {
		t.Errorf("Dimension = %d", s.Dimension())
	}
}

func TestStaticDtypesAndConfig(t *testing.T) {
	texts := []string{"The AGENTS!", "unable playing", "zzz"}
	want := [][]float32{
		expected(true, "the", "agent", "##s", "!"),
		expected(true, "un", "##able", "play", "##ing"),
		make([]float32, testDim),
	}
	for _, dtype := range []string{"F32", "F16", "I8"} {
		for _, config := range []any{nil, map[string]any{"normalize": true, "model_type": "model2vec"}} {
			s := loadTestModel(t, dtype, config)
			vecs, err := s.Embed(context.Background(), texts)
			if err != nil {
				t.Fatal(err)
			}
			for i := range texts {
				assertVec(t, fmt.Sprintf("%s, config %v: %q", dtype, config, texts[i]), vecs[i], want[i])
			}
		}
	}
	s := loadTestModel(t, "F16", map[string]any{"normalize": false})
	vecs, err := s.Embed(context.Background(), texts[:2])
	if err != nil {
		t.Fatal(err)
	}
	assertVec(t, "normalize=false", vecs[0], expected(false, "the", "agent", "##s", "!"))
	assertVec(t, "normalize=false", vecs[1], expected(false, "un", "##able", "play", "##ing"))
}

func TestHalfToFloat32(t *testing.T) {
	for _, c := range []struct {
		h    uint16
		want float32
	}{
		{0x0000, 0}, {0x3c00, 1}, {0xc000, -2}, {0x3555, 0.33325195}, {0x7bff, 65504},
		{0x0001, 5.9604645e-08}, {0x03ff, 6.097555e-05}, {0x8001, -5.9604645e-08},
		{0x7c00, float32(math.Inf(1))}, {0xfc00, float32(math.Inf(-1))},
	} {
		if got := halfToFloat32(c.h); got != c.want {
			t.Errorf("halfToFloat32(%#04x) = %v, want %v", c.h, got, c.want)
		}
	}
	if got := halfToFloat32(0x7e00); !math.IsNaN(float64(got)) {
		t.Errorf("NaN: %v", got)
	}
	if got := halfToFloat32(0x8000); got != 0 || !math.Signbit(float64(got)) {
		t.Errorf("-0: %v", got)
	}
}

func TestStaticWeightsAndMapping(t *testing.T) {
	// Vocabulary quantisation: tokens share rows through "mapping", each
	// scaled by its "weights" entry.
	rows := 3
	mapping := make([]byte, 0)
	weights := make([]float32, len(testVocab))
	for id := range testVocab {
		mapping = binary.LittleEndian.AppendUint64(mapping, uint64(id%rows))
		weights[id] = float32(id%4) + 0.5
	}
	model := safetensorsBytes(t,
		testTensor{"mapping", "I64", []int64{int64(len(testVocab))}, mapping},
		embeddingsTensor(t, "F32", rows),
		testTensor{"weights", "F32", []int64{int64(len(testVocab))}, f32Bytes(weights)},
	)
	dir := writeModel(t, wordPieceTokenizer(testVocab), model, map[string]any{"normalize": false})
	s, err := LoadStatic(dir)
	if err != nil {
		t.Fatal(err)
	}
	vecs, err := s.Embed(context.Background(), []string{"the agent"})
	if err != nil {
		t.Fatal(err)
	}
	want := make([]float32, testDim)
	for _, id := range []int{5, 6} {
		for i, x := range testRow(id % rows) {
			want[i] += weights[id] * x / 2
		}
	}
	assertVec(t, "weighted, mapped", vecs[0], want)
}

func TestStaticFingerprint(t *testing.T) {
	model := safetensorsBytes(t, embeddingsTensor(t, "F32", len(testVocab)))
	tok := wordPieceTokenizer(testVocab)
	a, err := LoadStatic(writeModel(t, tok, model, nil))
	if err != nil {
		t.Fatal(err)
	}
	b, err := LoadStatic(writeModel(t, tok, model, map[string]any{"normalize": true}))
	if err != nil {
		t.Fatal(err)
	}
	if a.Fingerprint() != b.Fingerprint() || !strings.HasPrefix(a.Fingerprint(), "model2vec:") || len(a.Fingerprint()) != len("model2vec:")+16 {
		t.Errorf("fingerprints %q, %q", a.Fingerprint(), b.Fingerprint())
	}
	changed := slices.Clone(model)
	changed[len(changed)-1] ^= 1
	c, err := LoadStatic(writeModel(t, tok, changed, nil))
	if err != nil {
		t.Fatal(err)
	}
	tok2 := wordPieceTokenizer(append(slices.Clone(testVocab[:len(testVocab)-1]), "ü"))
	d, err := LoadStatic(writeModel(t, tok2, model, nil))
	if err != nil {
		t.Fatal(err)
	}
	if c.Fingerprint() == a.Fingerprint() || d.Fingerprint() == a.Fingerprint() || c.Fingerprint() == d.Fingerprint() {
		t.Errorf("fingerprints do not follow the files: %q %q %q", a.Fingerprint(), c.Fingerprint(), d.Fingerprint())
	}
	if !strings.Contains(a.String(), a.Fingerprint()) {
		t.Errorf("String() = %q", a.String())
	}
}

func TestStaticMalformed(t *testing.T) {
	good := safetensorsBytes(t, embeddingsTensor(t, "F32", len(testVocab)))
	headerLen := int(binary.LittleEndian.Uint64(good))
	withHeader := func(h string) []byte {
		b := binary.LittleEndian.AppendUint64(nil, uint64(len(h)))
		return append(append(b, h...), good[8+headerLen:]...)
	}
	dataLen := len(good) - 8 - headerLen
	rowsHeader := func(dtype string, shape string, begin, end int) []byte {
		return withHeader(fmt.Sprintf(`{"embeddings":{"dtype":%q,"shape":%s,"data_offsets":[%d,%d]}}`, dtype, shape, begin, end))
	}
	n := len(testVocab)
	cases := map[string]struct {
		model []byte
		want  string
	}{
		"empty":                {nil, "too short"},
		"truncated header":     {good[:8+headerLen/2], "impossible"},
		"truncated data":       {good[:len(good)-3], "outside"},
		"header length huge":   {append(binary.LittleEndian.AppendUint64(nil, 1<<62), good[8:]...), "impossible"},
		"header not JSON":      {withHeader("{not json}"), "header JSON"},
		"header not object":    {withHeader(`["x"]`), "not a JSON object"},
		"bad tensor entry":     {withHeader(`{"embeddings":7}`), "embeddings"},
		"offsets past end":     {rowsHeader("F32", fmt.Sprintf("[%d,4]", n), 0, dataLen+16), "outside"},
		"offsets reversed":     {rowsHeader("F32", fmt.Sprintf("[%d,4]", n), 16, 0), "outside"},
		"negative offset":      {rowsHeader("F32", fmt.Sprintf("[%d,4]", n), -16, dataLen-16), "outside"},
		"gap at start":         {rowsHeader("F32", fmt.Sprintf("[%d,4]", n-1), 16, dataLen), "tile"},
		"shape mismatch":       {rowsHeader("F32", fmt.Sprintf("[%d,5]", n), 0, dataLen), "bytes of data for shape"},
		"negative shape":       {rowsHeader("F32", fmt.Sprintf("[%d,-4]", -n), 0, dataLen), "bad shape"},
		"overflowing shape":    {rowsHeader("F32", "[4611686018427387904,4611686018427387904]", 0, dataLen), "bad shape"},
		"1-D embeddings":       {rowsHeader("F32", fmt.Sprint("[", n*4, "]"), 0, dataLen), "want [vocabulary, dimension]"},
		"zero columns":         {withHeader(`{"embeddings":{"dtype":"F32","shape":[4,0],"data_offsets":[0,0]},"x":{"dtype":"U8","shape":[` + fmt.Sprint(dataLen) + `],"data_offsets":[0,` + fmt.Sprint(dataLen) + `]}}`), "want [vocabulary, dimension]"},
		"unsupported dtype":    {rowsHeader("I32", fmt.Sprintf("[%d,4]", n), 0, dataLen), "unsupported dtype I32"},
		"unknown dtype":        {rowsHeader("F12", fmt.Sprintf("[%d,4]", n), 0, dataLen), "unknown dtype"},
		"no embeddings":        {withHeader(`{"x":{"dtype":"F32","shape":[` + fmt.Sprint(dataLen/4) + `],"data_offsets":[0,` + fmt.Sprint(dataLen) + `]}}`), "no 2-D tensor"},
		"two 2-D tensors":      {withHeader(`{"a":{"dtype":"F32","shape":[1,4],"data_offsets":[0,16]},"b":{"dtype":"F32","shape":[` + fmt.Sprint(n-1) + `,4],"data_offsets":[16,` + fmt.Sprint(dataLen) + `]}}`), "several 2-D tensors"},
		"too few rows":         {safetensorsBytes(t, embeddingsTensor(t, "F32", n-1)), "covers"},
		"NaN row":              {safetensorsBytes(t, testTensor{"embeddings", "F32", []int64{int64(n), 1}, f32Bytes(append(make([]float32, n-1), float32(math.NaN())))}), "not finite"},
		"mapping out of range": {safetensorsBytes(t, embeddingsTensor(t, "F32", 2), testTensor{"mapping", "I32", []int64{int64(n)}, slices.Repeat([]byte{2, 0, 0, 0}, n)}), "mapping sends"},
		"weights wrong length": {safetensorsBytes(t, embeddingsTensor(t, "F32", n), testTensor{"weights", "F32", []int64{3}, f32Bytes([]float32{1, 2, 3})}), "3 weights"},
		"weights wrong dtype":  {safetensorsBytes(t, embeddingsTensor(t, "F32", n), testTensor{"weights", "U8", []int64{int64(n)}, make([]byte, n)}), "unsupported dtype U8"},
	}
	names := make([]string, 0, len(cases))
	for name := range cases {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		c := cases[name]
		t.Run(name, func(t *testing.T) {
			dir := writeModel(t, wordPieceTokenizer(testVocab), c.model, nil)
			_, err := LoadStatic(dir)
			if err == nil {
				t.Fatal("loaded")
			}
			if !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %q does not contain %q", err, c.want)
			}
			// The same bytes straight to the parser.
			if _, err := readStaticTensors(bytes.NewReader(c.model), int64(len(c.model))); err == nil && name != "too few rows" {
				t.Errorf("parser accepted it")
			}
		})
	}
	if len(good) < 100 {
		t.Fatal("test model too small")
	}
}

func TestStaticBadDirectory(t *testing.T) {
	model := safetensorsBytes(t, embeddingsTensor(t, "F32", len(testVocab)))
	tok := wordPieceTokenizer(testVocab)
	cases := map[string]struct {
		dir  func() string
		want string
	}{
		"missing dir": {func() string { return filepath.Join(t.TempDir(), "nope") }, "tokenizer.json"},
		"missing model": {func() string {
			dir := writeModel(t, tok, model, nil)
			os.Remove(filepath.Join(dir, "model.safetensors"))
			return dir
		}, "model.safetensors"},
		"bad config":         {func() string { return writeModel(t, tok, model, []byte("{")) }, "config.json"},
		"bad tokenizer JSON": {func() string { return writeModel(t, []byte("{"), model, nil) }, "tokenizer.json"},
		"no model":           {func() string { return writeModel(t, map[string]any{"normalizer": nil}, model, nil) }, "no model"},
		"unsupported model": {func() string {
			return writeModel(t, map[string]any{"model": map[string]any{"type": "Magic", "vocab": map[string]int{"a": 0}}}, model, nil)
		}, `unsupported model type "Magic"`},
		"unsupported normalizer": {func() string {
			tk := wordPieceTokenizer(testVocab)
			tk["normalizer"] = map[string]any{"type": "Precompiled", "precompiled_charsmap": "AAAA"}
			return writeModel(t, tk, model, nil)
		}, `unsupported normalizer "Precompiled"`},
		"unsupported pre-tokenizer": {func() string {
			tk := wordPieceTokenizer(testVocab)
			tk["pre_tokenizer"] = map[string]any{"type": "Sequence", "pretokenizers": []any{map[string]any{"type": "UnicodeScripts"}}}
			return writeModel(t, tk, model, nil)
		}, `unsupported pre_tokenizer "UnicodeScripts"`},
		"negative id": {func() string {
			return writeModel(t, map[string]any{"model": map[string]any{"type": "WordPiece", "vocab": map[string]int{"a": -1}}}, model, nil)
		}, "outside"},
		"huge id": {func() string {
			return writeModel(t, map[string]any{"model": map[string]any{"type": "WordPiece", "vocab": map[string]int{"a": 1 << 40}}}, model, nil)
		}, "outside"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := LoadStatic(c.dir())
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("err = %v, want it to mention %q", err, c.want)
			}
		})
	}
}

func TestStaticTruncation(t *testing.T) {
	s := loadTestModel(t, "F32", nil)
	// The median token is 4 characters: texts are cut at 2,048.
	if s.maxChars != maxTokens*4 {
		t.Fatalf("maxChars = %d (median %d)", s.maxChars, s.tok.medianLen)
	}
	long := strings.Repeat("agent ", 1000) + "the"
	vecs, err := s.Embed(context.Background(), []string{long, strings.Repeat("a ", 600) + "the"})
	if err != nil {
		t.Fatal(err)
	}
	// The tail is past the cut, and only 512 tokens count.
	assertVec(t, "long text", vecs[0], expected(true, "agent"))
	assertVec(t, "many tokens", vecs[1], expected(true, "a"))
	if got := truncateRunes("héllo", 2); got != "hé" {
		t.Errorf("truncateRunes = %q", got)
	}
}

func TestStaticCancelled(t *testing.T) {
	s := loadTestModel(t, "F32", nil)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := s.Embed(ctx, []string{"the"}); err == nil {
		t.Error("no error from a cancelled context")
	}
}

func TestStaticConcurrent(t *testing.T) {
	s := loadTestModel(t, "F32", nil)
	want := expected(true, "the", "agent", "##s", "!")
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for range 50 {
				vecs, err := s.Embed(context.Background(), []string{"The AGENTS!", "unable playing café"})
				if err != nil {
					t.Error(err)
					return
				}
				for i := range want {
					if math.Abs(float64(vecs[0][i]-want[i])) > 1e-6 {
						t.Errorf("got %v", vecs[0])
						return
					}
				}
			}
		})
	}
	wg.Wait()
}

// staticFor wraps a test tokenizer in a model with made-up rows.
func staticFor(t testing.TB, name string) *Static {
	tok := loadTestTokenizer(t, name)
	s := &Static{tok: tok, dim: testDim, vectors: tableValues(tok.size), normalize: true, maxChars: maxTokens * max(tok.medianLen, 1)}
	s.pool.New = func() any { return new(scratch) }
	return s
}

func TestStaticAllocations(t *testing.T) {
	text := "Lists the GitHub issues of a repository, finds agents and tools: unable, playing, Café résumé 中文! hello world"
	check := func(name string, s *Static) {
		sc := new(scratch)
		s.embed(text, sc)
		if n := testing.AllocsPerRun(50, func() { s.embed(text, sc) }); n != 1 {
			t.Errorf("%s: %v allocations per text, want 1 (the vector)", name, n)
		}
	}
	check("test model", loadTestModel(t, "F32", nil))
	for name := range loadGolden(t).Tokenizers {
		check(name, staticFor(t, name))
	}
}

func BenchmarkStaticEmbed(b *testing.B) {
	text := strings.Repeat("Lists the GitHub issues of a registry, finds agents and tools; unable, playing, Café résumé. ", 4)
	for _, name := range []string{"bert_uncased", "unigram_m2v"} {
		b.Run(name, func(b *testing.B) {
			s := staticFor(b, name+".json")
			b.SetBytes(int64(len(text)))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := s.Embed(context.Background(), []string{text}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
