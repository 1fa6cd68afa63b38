package embedding

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"unicode/utf8"
)

// tokenizer is what a static model needs of a Hugging Face tokenizer.json:
// normalizer, pre-tokenizer and model, without special tokens added
// (model2vec encodes with add_special_tokens=False). Added tokens are not
// matched in the text; the special ones are only left out of the mean.
type tokenizer struct {
	normalizers []normalizer
	pre         []preTokenizer
	model       model
	size        int    // 1 + the largest token id
	drop        []bool // by id: the unknown and special tokens, which carry no meaning
	medianLen   int    // median token length in characters
}

// scratch is the per-call working memory of encoding, reused through a
// pool so that tokenizing allocates nothing once warm.
type scratch struct {
	a, b           []byte
	w1, w2         words
	pieces, merged []piece
	tmp, key       []byte
	lattice        []lattice
	symbols        []bpeSymbol
	queue          []bpeCandidate
	ids            []int32
}

// parseTokenizer reads a tokenizer.json.
func parseTokenizer(data []byte) (*tokenizer, error) {
	var f struct {
		AddedTokens []struct {
			ID      int64  `json:"id"`
			Content string `json:"content"`
			Special bool   `json:"special"`
		} `json:"added_tokens"`
		Normalizer   json.RawMessage `json:"normalizer"`
		PreTokenizer json.RawMessage `json:"pre_tokenizer"`
		Model        json.RawMessage `json:"model"`
	}
	if err := json.Unmarshal(data, &f); err != nil {
		return nil, fmt.Errorf("tokenizer.json: %w", err)
	}
	if isNull(f.Model) {
		return nil, errors.New("tokenizer.json has no model")
	}
	t := &tokenizer{}
	var err error
	if t.normalizers, err = parseNormalizer(f.Normalizer); err != nil {
		return nil, fmt.Errorf("tokenizer.json: %w", err)
	}
	t.normalizers = fuseReplaces(t.normalizers)
	if t.pre, err = parsePreTokenizer(f.PreTokenizer); err != nil {
		return nil, fmt.Errorf("tokenizer.json: %w", err)
	}
	if t.model, err = parseModel(f.Model); err != nil {
		return nil, fmt.Errorf("tokenizer.json: model: %w", err)
	}
	var lens []int
	t.model.vocab(func(tok string, id int32) {
		t.size = max(t.size, int(id)+1)
		lens = append(lens, utf8.RuneCountInString(tok))
	})
	t.drop = make([]bool, t.size)
	if unk := t.model.unk(); unk >= 0 {
		t.drop[unk] = true
	}
	for _, a := range f.AddedTokens {
		if a.Special && a.ID >= 0 && a.ID < int64(t.size) {
			t.drop[a.ID] = true
		}
	}
	// model2vec's median: numpy's, truncated to an int.
	slices.Sort(lens)
	if n := len(lens); n%2 == 1 {
		t.medianLen = lens[n/2]
	} else {
		t.medianLen = (lens[n/2-1] + lens[n/2]) / 2
	}
	return t, nil
}

func parseModel(raw json.RawMessage) (model, error) {
	var m struct {
		Type         string          `json:"type"`
		Vocab        json.RawMessage `json:"vocab"`
		Merges       json.RawMessage `json:"merges"`
		UnkToken     *string         `json:"unk_token"`
		UnkID        *int64          `json:"unk_id"`
		Prefix       *string         `json:"continuing_subword_prefix"`
		Suffix       *string         `json:"end_of_word_suffix"`
		MaxChars     *int            `json:"max_input_chars_per_word"`
		FuseUnk      bool            `json:"fuse_unk"`
		ByteFallback bool            `json:"byte_fallback"`
		IgnoreMerges bool            `json:"ignore_merges"`
	}
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, err
	}
	if isNull(m.Vocab) {
		return nil, errors.New("no vocab")
	}
	if m.Type == "" {
		// Old files leave the type out; the fields tell.
		switch {
		case !isNull(m.Merges):
			m.Type = "BPE"
		case m.Vocab[0] == '[':
			m.Type = "Unigram"
		case m.MaxChars != nil || m.Prefix != nil:
			m.Type = "WordPiece"
		default:
			m.Type = "WordLevel"
		}
	}
	str := func(p *string, def string) string {
		if p == nil {
			return def
		}
		return *p
	}
	switch m.Type {
	case "WordPiece":
		v, err := vocabMap(m.Vocab)
		if err != nil {
			return nil, err
		}
		w := &wordPiece{vocabulary: v, prefix: str(m.Prefix, "##"), maxChars: 100}
		w.unkID = lookup(v, str(m.UnkToken, "[UNK]"))
		if m.MaxChars != nil {
			w.maxChars = *m.MaxChars
		}
		return w, nil
	case "WordLevel":
		v, err := vocabMap(m.Vocab)
		if err != nil {
			return nil, err
		}
		return &wordLevel{vocabulary: v, unkID: lookup(v, str(m.UnkToken, "<unk>"))}, nil
	case "Unigram":
		return newUnigram(m.Vocab, m.UnkID, m.ByteFallback)
	case "BPE":
		v, err := vocabMap(m.Vocab)
		if err != nil {
			return nil, err
		}
		b, err := newBPE(v, m.Merges, str(m.Prefix, ""), str(m.Suffix, ""))
		if err != nil {
			return nil, err
		}
		b.unkID = -1
		if m.UnkToken != nil {
			b.unkID = lookup(v, *m.UnkToken)
		}
		b.fuseUnk, b.byteFallback, b.ignoreMerges = m.FuseUnk, m.ByteFallback, m.IgnoreMerges
		return b, nil
	}
	return nil, fmt.Errorf("unsupported model type %q (supported: WordPiece, WordLevel, Unigram, BPE)", m.Type)
}

// encode appends the token ids of text to ids; -1 marks an unknown piece
// when the vocabulary has no unknown token.
func (t *tokenizer) encode(ids []int32, text string, sc *scratch) []int32 {
	sc.a = append(sc.a[:0], text...)
	for _, n := range t.normalizers {
		sc.b = n.apply(sc.b[:0], sc.a)
		sc.a, sc.b = sc.b, sc.a
	}
	in, out := &sc.w1, &sc.w2
	in.reset()
	in.add(sc.a)
	for _, p := range t.pre {
		out.reset()
		p.split(out, in, sc)
		in, out = out, in
	}
	for _, s := range in.spans {
		ids = t.model.encode(ids, in.buf[s.start:s.end], sc)
	}
	return ids
}
