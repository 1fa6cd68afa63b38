package embedding

import (
	"encoding/json"
	"fmt"
	"unicode"
	"unicode/utf8"
)

// span is a word: a byte range of a buffer.
type span struct{ start, end int }

// words is a list of words in one buffer.
type words struct {
	buf   []byte
	spans []span
}

func (w *words) reset() {
	w.buf, w.spans = w.buf[:0], w.spans[:0]
}

// add appends a word; empty words are dropped, as the tokenizers library
// drops them.
func (w *words) add(b []byte) {
	if len(b) > 0 {
		w.spans = append(w.spans, span{len(w.buf), len(w.buf) + len(b)})
		w.buf = append(w.buf, b...)
	}
}

// A preTokenizer splits each word of in into words of out, as the
// "pre_tokenizer" of tokenizer.json does.
type preTokenizer interface {
	split(out, in *words, sc *scratch)
}

// Split behaviours of the tokenizers library: what happens to the
// delimiters found in a word.
type behavior int

const (
	removed            behavior = iota // dropped
	isolated                           // each a word of its own
	contiguous                         // each run a word of its own
	mergedWithPrevious                 // appended to the word before
	mergedWithNext                     // prepended to the word after
)

func parseBehavior(s string) (behavior, error) {
	switch s {
	case "Removed":
		return removed, nil
	case "Isolated", "":
		return isolated, nil
	case "Contiguous":
		return contiguous, nil
	case "MergedWithPrevious":
		return mergedWithPrevious, nil
	case "MergedWithNext":
		return mergedWithNext, nil
	}
	return 0, fmt.Errorf("unknown split behavior %q", s)
}

// piece is a part of a word while it is split: a run of non-delimiters,
// or one delimiter character.
type piece struct {
	start, end int
	delim      bool
}

// splitWord splits word at the characters for which isDelim holds,
// following the tokenizers library's rules for each behaviour.
func splitWord(out *words, word []byte, isDelim func(rune) bool, how behavior, sc *scratch) {
	ps := sc.pieces[:0]
	last := 0
	for i := 0; i < len(word); {
		r, n := utf8.DecodeRune(word[i:])
		if isDelim(r) {
			if last < i {
				ps = append(ps, piece{last, i, false})
			}
			ps = append(ps, piece{i, i + n, true})
			last = i + n
		}
		i += n
	}
	if last < len(word) {
		ps = append(ps, piece{last, len(word), false})
	}
	sc.pieces = ps
	switch how {
	case removed:
		for _, p := range ps {
			if !p.delim {
				out.add(word[p.start:p.end])
			}
		}
	case isolated:
		for _, p := range ps {
			out.add(word[p.start:p.end])
		}
	case contiguous:
		for i := 0; i < len(ps); {
			j := i + 1
			for ps[i].delim && j < len(ps) && ps[j].delim {
				j++
			}
			out.add(word[ps[i].start:ps[j-1].end])
			i = j
		}
	case mergedWithPrevious:
		// A delimiter joins the piece before it unless that piece is a
		// delimiter too.
		var merged []piece = sc.merged[:0]
		prevDelim := false
		for _, p := range ps {
			if p.delim && !prevDelim && len(merged) > 0 {
				merged[len(merged)-1].end = p.end
			} else {
				merged = append(merged, p)
			}
			prevDelim = p.delim
		}
		sc.merged = merged
		for _, p := range merged {
			out.add(word[p.start:p.end])
		}
	case mergedWithNext:
		// The mirror image: a delimiter joins the piece after it unless
		// that piece is a delimiter too.
		merged := sc.merged[:0]
		nextDelim := false
		for i := len(ps) - 1; i >= 0; i-- {
			p := ps[i]
			if p.delim && !nextDelim && len(merged) > 0 {
				merged[len(merged)-1].start = p.start
			} else {
				merged = append(merged, p)
			}
			nextDelim = p.delim
		}
		sc.merged = merged
		for i := len(merged) - 1; i >= 0; i-- {
			out.add(word[merged[i].start:merged[i].end])
		}
	}
}

// parsePreTokenizer reads a tokenizer.json pre_tokenizer, flattening
// sequences. A null pre-tokenizer leaves the text one word.
func parsePreTokenizer(raw json.RawMessage) ([]preTokenizer, error) {
	if isNull(raw) {
		return nil, nil
	}
	var p struct {
		Type           string            `json:"type"`
		PreTokenizers  []json.RawMessage `json:"pretokenizers"`
		Replacement    *string           `json:"replacement"`
		PrependScheme  string            `json:"prepend_scheme"`
		AddPrefixSpace *bool             `json:"add_prefix_space"`
		Split          *bool             `json:"split"`
		Behavior       string            `json:"behavior"`
		Individual     bool              `json:"individual_digits"`
		UseRegex       *bool             `json:"use_regex"`
	}
	if err := json.Unmarshal(raw, &p); err != nil {
		return nil, fmt.Errorf("pre_tokenizer: %w", err)
	}
	switch p.Type {
	case "Sequence":
		var out []preTokenizer
		for _, r := range p.PreTokenizers {
			sub, err := parsePreTokenizer(r)
			if err != nil {
				return nil, err
			}
			out = append(out, sub...)
		}
		return out, nil
	case "BertPreTokenizer":
		return []preTokenizer{bertPreTokenizer{}}, nil
	case "Whitespace":
		return []preTokenizer{whitespacePreTokenizer{}}, nil
	case "WhitespaceSplit":
		return []preTokenizer{delimPreTokenizer{unicode.IsSpace, removed}}, nil
	case "Punctuation":
		how, err := parseBehavior(p.Behavior)
		if err != nil {
			return nil, fmt.Errorf("pre_tokenizer Punctuation: %w", err)
		}
		return []preTokenizer{delimPreTokenizer{isBertPunct, how}}, nil
	case "Digits":
		how := contiguous
		if p.Individual {
			how = isolated
		}
		return []preTokenizer{delimPreTokenizer{unicode.IsNumber, how}}, nil
	case "Metaspace":
		m := metaspace{replacement: '▁', prepend: "always", splitWords: p.Split == nil || *p.Split}
		if p.Replacement != nil {
			r, n := utf8.DecodeRuneInString(*p.Replacement)
			if n == 0 || n != len(*p.Replacement) || r == utf8.RuneError {
				return nil, fmt.Errorf("pre_tokenizer Metaspace: replacement %q is not one character", *p.Replacement)
			}
			m.replacement = r
		}
		switch {
		case p.PrependScheme != "":
			m.prepend = p.PrependScheme
		case p.AddPrefixSpace != nil && !*p.AddPrefixSpace:
			m.prepend = "never" // the older spelling
		}
		if m.prepend != "always" && m.prepend != "first" && m.prepend != "never" {
			return nil, fmt.Errorf("pre_tokenizer Metaspace: unknown prepend_scheme %q", m.prepend)
		}
		m.rep = string(m.replacement)
		return []preTokenizer{m}, nil
	case "ByteLevel":
		return []preTokenizer{byteLevel{addPrefixSpace: orTrue(p.AddPrefixSpace), useRegex: orTrue(p.UseRegex)}}, nil
	case "":
		return nil, fmt.Errorf("pre_tokenizer without a type")
	}
	return nil, fmt.Errorf("unsupported pre_tokenizer %q (supported: BertPreTokenizer, Whitespace, WhitespaceSplit, Punctuation, Digits, Metaspace, ByteLevel, Sequence)", p.Type)
}

// isBertPunct is the tokenizers library's punctuation: ASCII punctuation
// (which includes symbols such as $ and +) and Unicode category P.
func isBertPunct(r rune) bool {
	if r < utf8.RuneSelf {
		return r > ' ' && r < 0x7f && !('0' <= r && r <= '9' || 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z')
	}
	return unicode.IsPunct(r)
}

// bertPreTokenizer splits at white space, which it drops, and makes each
// punctuation character a word.
type bertPreTokenizer struct{}

func (bertPreTokenizer) split(out, in *words, sc *scratch) {
	for _, s := range in.spans {
		word := in.buf[s.start:s.end]
		start := -1
		for i := 0; i < len(word); {
			r, n := rune(word[i]), 1
			if r >= utf8.RuneSelf {
				r, n = utf8.DecodeRune(word[i:])
			}
			space, punct := unicode.IsSpace(r), isBertPunct(r)
			if space || punct {
				if start >= 0 {
					out.add(word[start:i])
					start = -1
				}
				if punct {
					out.add(word[i : i+n])
				}
			} else if start < 0 {
				start = i
			}
			i += n
		}
		if start >= 0 {
			out.add(word[start:])
		}
	}
}

// whitespacePreTokenizer is the regex \w+|[^\w\s]+: runs of word
// characters and runs of other non-space characters.
type whitespacePreTokenizer struct{}

func isWordChar(r rune) bool {
	if r < utf8.RuneSelf {
		return r == '_' || '0' <= r && r <= '9' || 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z'
	}
	// Oniguruma's Unicode \w: alphabetic, marks, digits, connectors and
	// the joiners.
	return r == 0x200C || r == 0x200D || unicode.In(r, unicode.L, unicode.M, unicode.Nd, unicode.Nl, unicode.Pc, unicode.Other_Alphabetic)
}

func (whitespacePreTokenizer) split(out, in *words, sc *scratch) {
	for _, s := range in.spans {
		word := in.buf[s.start:s.end]
		start, kind := 0, 0 // kind: 0 space, 1 word, 2 other
		for i := 0; i <= len(word); {
			k, n := 0, 1
			if i < len(word) {
				var r rune
				r, n = utf8.DecodeRune(word[i:])
				switch {
				case isWordChar(r):
					k = 1
				case !unicode.IsSpace(r):
					k = 2
				}
			} else {
				k = -1
			}
			if k != kind {
				if kind != 0 {
					out.add(word[start:i])
				}
				start, kind = i, k
			}
			i += n
		}
	}
}

// delimPreTokenizer splits at the characters for which isDelim holds.
type delimPreTokenizer struct {
	isDelim func(rune) bool
	how     behavior
}

func (d delimPreTokenizer) split(out, in *words, sc *scratch) {
	for _, s := range in.spans {
		splitWord(out, in.buf[s.start:s.end], d.isDelim, d.how, sc)
	}
}

// metaspace replaces spaces with the replacement character (▁), puts one
// before each word (or only the first, or none) and optionally splits
// before each replacement character. The tokenizers library's "first"
// means the word that starts at the first character of the original
// text; here it is the first word, which differs only when a normalizer
// or pre-tokenizer dropped the text's first character.
type metaspace struct {
	replacement rune
	rep         string
	prepend     string // always, first or never
	splitWords  bool
}

func (m metaspace) split(out, in *words, sc *scratch) {
	for i, s := range in.spans {
		word := in.buf[s.start:s.end]
		t := sc.tmp[:0]
		// Spaces become the replacement first, so a word that starts
		// with a space gets no second one.
		if r, _ := utf8.DecodeRune(word); r != ' ' && r != m.replacement && (m.prepend == "always" || m.prepend == "first" && i == 0) {
			t = append(t, m.rep...)
		}
		for _, c := range word {
			if c == ' ' {
				t = append(t, m.rep...)
			} else {
				t = append(t, c)
			}
		}
		sc.tmp = t
		if !m.splitWords {
			out.add(t)
			continue
		}
		splitWord(out, t, func(r rune) bool { return r == m.replacement }, mergedWithNext, sc)
	}
}

// byteLevel is GPT-2's pre-tokenizer: optionally a space before each word,
// optionally GPT-2's split into words, numbers, other characters and
// spaces, then each byte written as a printable character.
type byteLevel struct {
	addPrefixSpace, useRegex bool
}

// byteChars maps each byte to the character GPT-2 writes it as.
var byteChars = func() (t [256]string) {
	n := 0
	for b := range 256 {
		if '!' <= b && b <= '~' || 0xA1 <= b && b <= 0xAC || 0xAE <= b && b <= 0xFF {
			t[b] = string(rune(b))
		} else {
			t[b] = string(rune(256 + n))
			n++
		}
	}
	return t
}()

func (bl byteLevel) split(out, in *words, sc *scratch) {
	for _, s := range in.spans {
		word := in.buf[s.start:s.end]
		t := sc.tmp[:0]
		if bl.addPrefixSpace && word[0] != ' ' {
			t = append(t, ' ')
		}
		t = append(t, word...)
		sc.tmp = t
		for len(t) > 0 {
			n := len(t)
			if bl.useRegex {
				n = gpt2Match(t)
			}
			start := len(out.buf)
			for _, b := range t[:n] {
				out.buf = append(out.buf, byteChars[b]...)
			}
			out.spans = append(out.spans, span{start, len(out.buf)})
			t = t[n:]
		}
	}
}

// gpt2Match returns the length of the match at the start of the non-empty
// b of GPT-2's pattern
//
//	's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
func gpt2Match(b []byte) int {
	if b[0] == '\'' && len(b) > 1 {
		switch b[1] {
		case 's', 't', 'm', 'd':
			return 2
		case 'r', 'v', 'l':
			if len(b) > 2 && (b[1] == 'r' && b[2] == 'e' || b[1] == 'v' && b[2] == 'e' || b[1] == 'l' && b[2] == 'l') {
				return 3
			}
		}
	}
	class := func(r rune) int {
		switch {
		case unicode.IsLetter(r):
			return 1
		case unicode.IsNumber(r):
			return 2
		case unicode.IsSpace(r):
			return 0
		}
		return 3
	}
	i := 0
	if b[0] == ' ' && len(b) > 1 {
		if r, _ := utf8.DecodeRune(b[1:]); class(r) != 0 {
			i = 1
		}
	}
	r, n := utf8.DecodeRune(b[i:])
	if c := class(r); c != 0 {
		j := i + n
		for j < len(b) {
			r, n := utf8.DecodeRune(b[j:])
			if class(r) != c {
				break
			}
			j += n
		}
		return j
	}
	// White space: all of it at the end of the text, else all but the
	// last character, which goes with the word that follows; a single
	// space before a word is a match of its own.
	j, lastStart := 0, 0
	for j < len(b) {
		r, n := utf8.DecodeRune(b[j:])
		if !unicode.IsSpace(r) {
			break
		}
		lastStart = j
		j += n
	}
	if j < len(b) && lastStart > 0 {
		return lastStart
	}
	return j
}
