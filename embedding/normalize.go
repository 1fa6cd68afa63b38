package embedding

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// A normalizer rewrites a whole text before it is split into words, as
// the "normalizer" of tokenizer.json does. apply appends the result of
// rewriting src to dst; the two never overlap.
type normalizer interface {
	apply(dst, src []byte) []byte
}

// parseNormalizer reads a tokenizer.json normalizer, flattening
// sequences. A null normalizer gives none.
func parseNormalizer(raw json.RawMessage) ([]normalizer, error) {
	if isNull(raw) {
		return nil, nil
	}
	var n struct {
		Type         string            `json:"type"`
		Normalizers  []json.RawMessage `json:"normalizers"`
		CleanText    *bool             `json:"clean_text"`
		HandleCJK    *bool             `json:"handle_chinese_chars"`
		StripAccents *bool             `json:"strip_accents"`
		Lowercase    *bool             `json:"lowercase"`
		StripLeft    *bool             `json:"strip_left"`
		StripRight   *bool             `json:"strip_right"`
		Pattern      struct {
			String *string `json:"String"`
			Regex  *string `json:"Regex"`
		} `json:"pattern"`
		Content string `json:"content"`
		Prepend string `json:"prepend"`
	}
	if err := json.Unmarshal(raw, &n); err != nil {
		return nil, fmt.Errorf("normalizer: %w", err)
	}
	switch n.Type {
	case "Sequence":
		var out []normalizer
		for _, r := range n.Normalizers {
			sub, err := parseNormalizer(r)
			if err != nil {
				return nil, err
			}
			out = append(out, sub...)
		}
		return out, nil
	case "BertNormalizer":
		b := bertNormalizer{clean: orTrue(n.CleanText), chinese: orTrue(n.HandleCJK), lower: orTrue(n.Lowercase)}
		b.strip = b.lower // strip_accents: null follows lowercase
		if n.StripAccents != nil {
			b.strip = *n.StripAccents
		}
		return []normalizer{b}, nil
	case "Lowercase":
		return []normalizer{lowercaseNormalizer{}}, nil
	case "StripAccents":
		return []normalizer{stripAccentsNormalizer{}}, nil
	case "NFD":
		return []normalizer{nfdNormalizer{}}, nil
	case "Strip":
		return []normalizer{stripNormalizer{left: orTrue(n.StripLeft), right: orTrue(n.StripRight)}}, nil
	case "Prepend":
		return []normalizer{prependNormalizer(n.Prepend)}, nil
	case "Replace":
		switch {
		case n.Pattern.String != nil:
			if *n.Pattern.String == "" {
				return nil, fmt.Errorf("normalizer Replace: empty pattern")
			}
			return []normalizer{replaceNormalizer{old: *n.Pattern.String, new: n.Content}}, nil
		case n.Pattern.Regex != nil && *n.Pattern.Regex == `\s+`:
			// model2vec's whitespace collapse, done by hand with Unicode
			// whitespace as Oniguruma's \s has it.
			return []normalizer{collapseSpaceNormalizer(n.Content)}, nil
		case n.Pattern.Regex != nil:
			re, err := regexp.Compile(*n.Pattern.Regex)
			if err != nil {
				return nil, fmt.Errorf("normalizer Replace: unsupported regex %q: %w", *n.Pattern.Regex, err)
			}
			return []normalizer{regexNormalizer{re: re, new: []byte(n.Content)}}, nil
		}
		return nil, fmt.Errorf("normalizer Replace: no pattern")
	case "":
		return nil, fmt.Errorf("normalizer without a type")
	}
	return nil, fmt.Errorf("unsupported normalizer %q (supported: BertNormalizer, Lowercase, StripAccents, NFD, Strip, Replace, Prepend, Sequence)", n.Type)
}

func orTrue(b *bool) bool { return b == nil || *b }

func isNull(raw json.RawMessage) bool {
	return len(raw) == 0 || string(raw) == "null"
}

// bertNormalizer is BERT's: drop control characters and map whitespace
// to spaces, put spaces around CJK ideographs, strip accents (NFD, then
// drop nonspacing marks) and lowercase, in that order.
type bertNormalizer struct {
	clean, chinese, strip, lower bool
}

func (b bertNormalizer) apply(dst, src []byte) []byte {
	for i := 0; i < len(src); {
		r, n := utf8.DecodeRune(src[i:])
		i += n
		if r < utf8.RuneSelf && (!b.clean || r >= ' ' && r != 0x7f) {
			if b.lower && 'A' <= r && r <= 'Z' {
				r += 'a' - 'A'
			}
			dst = append(dst, byte(r))
			continue
		}
		if b.clean {
			if r == 0 || r == utf8.RuneError || isControl(r) {
				continue
			}
			if unicode.IsSpace(r) {
				dst = append(dst, ' ')
				continue
			}
		}
		if b.chinese && isCJK(r) {
			dst = append(dst, ' ')
			dst = b.emit(dst, r)
			dst = append(dst, ' ')
			continue
		}
		dst = b.emit(dst, r)
	}
	return dst
}

func (b bertNormalizer) emit(dst []byte, r rune) []byte {
	if !b.strip {
		if b.lower {
			return appendLower(dst, r)
		}
		return utf8.AppendRune(dst, r)
	}
	var buf [4]rune
	for _, c := range decompose(buf[:0], r) {
		if unicode.Is(unicode.Mn, c) {
			continue
		}
		if b.lower {
			dst = appendLower(dst, c)
		} else {
			dst = utf8.AppendRune(dst, c)
		}
	}
	return dst
}

// isControl is the tokenizers library's: a character of category Cc, Cf,
// Co or Cs other than tab and line breaks. (Unassigned characters stay.)
func isControl(r rune) bool {
	switch r {
	case '\t', '\n', '\r':
		return false
	}
	return unicode.In(r, unicode.Cc, unicode.Cf, unicode.Co, unicode.Cs) // unicode.C has Cn too
}

// isCJK reports the CJK Unified Ideographs blocks that BERT isolates.
func isCJK(r rune) bool {
	return r >= 0x4E00 && r <= 0x9FFF ||
		r >= 0x3400 && r <= 0x4DBF ||
		r >= 0x20000 && r <= 0x2A6DF ||
		r >= 0x2A700 && r <= 0x2B73F ||
		r >= 0x2B740 && r <= 0x2B81F ||
		r >= 0x2B920 && r <= 0x2CEAF ||
		r >= 0xF900 && r <= 0xFAFF ||
		r >= 0x2F800 && r <= 0x2FA1F
}

// appendLower appends the full lower case of r (Rust's to_lowercase, which
// the tokenizers library uses: İ becomes two characters).
func appendLower(dst []byte, r rune) []byte {
	if r == 0x130 {
		return append(dst, "i\u0307"...)
	}
	return utf8.AppendRune(dst, unicode.ToLower(r))
}

// decompose appends r's canonical decomposition (at most four runes) to
// buf: by formula for Hangul, which norm's Properties leave out, from
// norm's tables for the rest, or r itself. It decomposes one rune at a
// time, without the reordering of combining marks that norm.NFD applied
// to a whole text would do.
func decompose(buf []rune, r rune) []rune {
	if r < 0xC0 {
		return append(buf, r)
	}
	const sBase, lBase, vBase, tBase, tCount, nCount, sCount = 0xAC00, 0x1100, 0x1161, 0x11A7, 28, 588, 11172
	if r >= sBase && r < sBase+sCount {
		s := r - sBase
		buf = append(buf, lBase+s/nCount, vBase+(s%nCount)/tCount)
		if t := tBase + s%tCount; t != tBase {
			buf = append(buf, t)
		}
		return buf
	}
	var enc [utf8.UTFMax]byte
	if d := norm.NFD.Properties(utf8.AppendRune(enc[:0], r)).Decomposition(); d != nil {
		for _, c := range string(d) {
			buf = append(buf, c)
		}
		return buf
	}
	return append(buf, r)
}

type lowercaseNormalizer struct{}

func (lowercaseNormalizer) apply(dst, src []byte) []byte {
	for i := 0; i < len(src); {
		r, n := utf8.DecodeRune(src[i:])
		i += n
		if r < utf8.RuneSelf {
			if 'A' <= r && r <= 'Z' {
				r += 'a' - 'A'
			}
			dst = append(dst, byte(r))
			continue
		}
		dst = appendLower(dst, r)
	}
	return dst
}

// stripAccentsNormalizer drops combining marks (category M), as the
// tokenizers library's StripAccents does; it follows an NFD.
type stripAccentsNormalizer struct{}

func (stripAccentsNormalizer) apply(dst, src []byte) []byte {
	for i := 0; i < len(src); {
		r, n := utf8.DecodeRune(src[i:])
		if r >= utf8.RuneSelf && unicode.Is(unicode.M, r) {
			i += n
			continue
		}
		dst = append(dst, src[i:i+n]...)
		i += n
	}
	return dst
}

// nfdNormalizer decomposes characters (without reordering runs of
// combining marks, which only matters for text that already has them in
// an unusual order).
type nfdNormalizer struct{}

func (nfdNormalizer) apply(dst, src []byte) []byte {
	for i := 0; i < len(src); {
		r, n := utf8.DecodeRune(src[i:])
		if r < 0xC0 {
			dst = append(dst, src[i:i+n]...)
		} else {
			var buf [4]rune
			for _, c := range decompose(buf[:0], r) {
				dst = utf8.AppendRune(dst, c)
			}
		}
		i += n
	}
	return dst
}

type stripNormalizer struct{ left, right bool }

func (s stripNormalizer) apply(dst, src []byte) []byte {
	if s.left {
		for len(src) > 0 {
			r, n := utf8.DecodeRune(src)
			if !unicode.IsSpace(r) {
				break
			}
			src = src[n:]
		}
	}
	if s.right {
		for len(src) > 0 {
			r, n := utf8.DecodeLastRune(src)
			if !unicode.IsSpace(r) {
				break
			}
			src = src[:len(src)-n]
		}
	}
	return append(dst, src...)
}

// prependNormalizer puts a string before any non-empty text.
type prependNormalizer string

func (p prependNormalizer) apply(dst, src []byte) []byte {
	if len(src) == 0 {
		return dst
	}
	return append(append(dst, p...), src...)
}

type replaceNormalizer struct{ old, new string }

func (p replaceNormalizer) apply(dst, src []byte) []byte {
	for {
		i := indexString(src, p.old)
		if i < 0 {
			return append(dst, src...)
		}
		dst = append(append(dst, src[:i]...), p.new...)
		src = src[i+len(p.old):]
	}
}

func indexString(b []byte, s string) int {
	if len(s) == 1 {
		return bytes.IndexByte(b, s[0])
	}
	return bytes.Index(b, []byte(s))
}

// byteReplaceNormalizer is a run of Replace normalizers of single ASCII
// characters done in one pass (model2vec puts spaces around each of 32
// punctuation characters that way).
type byteReplaceNormalizer struct {
	to [128]string
	on [128]bool
}

func (p *byteReplaceNormalizer) apply(dst, src []byte) []byte {
	for _, c := range src {
		if c < 128 && p.on[c] {
			dst = append(dst, p.to[c]...)
		} else {
			dst = append(dst, c)
		}
	}
	return dst
}

// fuseReplaces merges each run of single-character Replace normalizers
// into one pass, where that gives the same text: no replacement may
// contain a character that a later one in the run replaces.
func fuseReplaces(ns []normalizer) []normalizer {
	var out []normalizer
	for i := 0; i < len(ns); {
		j := i
		var fused byteReplaceNormalizer
		for ; j < len(ns); j++ {
			r, ok := ns[j].(replaceNormalizer)
			if !ok || len(r.old) != 1 || r.old[0] >= 128 || fused.on[r.old[0]] {
				break
			}
			clash := false
			for k := i; k < j && !clash; k++ {
				clash = strings.Contains(ns[k].(replaceNormalizer).new, r.old)
			}
			if clash {
				break
			}
			fused.on[r.old[0]], fused.to[r.old[0]] = true, r.new
		}
		if j-i < 2 {
			out = append(out, ns[i])
			i++
			continue
		}
		out = append(out, &fused)
		i = j
	}
	return out
}

// collapseSpaceNormalizer replaces each run of white space.
type collapseSpaceNormalizer string

func (c collapseSpaceNormalizer) apply(dst, src []byte) []byte {
	inSpace := false
	for i := 0; i < len(src); {
		r, n := utf8.DecodeRune(src[i:])
		if unicode.IsSpace(r) {
			if !inSpace {
				dst = append(dst, c...)
			}
			inSpace = true
		} else {
			dst = append(dst, src[i:i+n]...)
			inSpace = false
		}
		i += n
	}
	return dst
}

// regexNormalizer is any other Replace regex, in Go's syntax (RE2), which
// agrees with Oniguruma's on the simple patterns tokenizers use.
type regexNormalizer struct {
	re  *regexp.Regexp
	new []byte
}

func (p regexNormalizer) apply(dst, src []byte) []byte {
	return append(dst, p.re.ReplaceAllLiteral(src, p.new)...)
}
