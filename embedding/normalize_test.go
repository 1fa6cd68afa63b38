package embedding

import (
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// TestDecomposeMatchesNFD checks decompose against the full NFD
// algorithm of golang.org/x/text on every rune, Hangul syllables included,
// and that no decomposition outgrows the four runes its callers keep on
// the stack.
func TestDecomposeMatchesNFD(t *testing.T) {
	bad := 0
	for r := rune(0); r <= utf8.MaxRune; r++ {
		if r >= 0xD800 && r <= 0xDFFF {
			continue // surrogates are not runes of valid UTF-8
		}
		got := decompose(nil, r)
		want := []rune(norm.NFD.String(string(r)))
		if !slices.Equal(got, want) || len(got) > 4 {
			if bad++; bad <= 10 {
				t.Errorf("decompose(%U) = %U, want %U (at most 4 runes)", r, got, want)
			}
		}
	}
	if bad > 0 {
		t.Errorf("%d runes differ", bad)
	}
}

// normalizeTexts are what the normalizers see: English tool descriptions,
// the same with the accents of European languages, Vietnamese (several
// marks a letter) and Korean (Hangul syllables decompose by formula).
var normalizeTexts = map[string]string{
	"ascii":      "Lists the GitHub issues of a repository, finds agents and tools for the team; returns JSON. ",
	"latin":      "Café résumé naïve: Größe, Straße, señor, façade, Ærøskøbing, Dvořák, Łódź and the GitHub issues. ",
	"vietnamese": "Tìm kiếm các công cụ và tác nhân trong sổ đăng ký của nhóm, trả về kết quả. ",
	"hangul":     "저장소의 깃허브 이슈를 나열하고 팀의 에이전트와 도구를 찾습니다. ",
}

// BenchmarkNormalize measures the normalizers that decompose: BERT's
// (uncased: accents stripped) and NFD.
func BenchmarkNormalize(b *testing.B) {
	normalizers := []struct {
		name string
		n    normalizer
	}{
		{"bert", bertNormalizer{clean: true, chinese: true, strip: true, lower: true}},
		{"nfd", nfdNormalizer{}},
	}
	for _, n := range normalizers {
		for _, lang := range []string{"ascii", "latin", "vietnamese", "hangul"} {
			text := []byte(strings.Repeat(normalizeTexts[lang], 4))
			b.Run(n.name+"/"+lang, func(b *testing.B) {
				dst := make([]byte, 0, 4*len(text))
				b.SetBytes(int64(len(text)))
				b.ReportAllocs()
				for b.Loop() {
					dst = n.n.apply(dst[:0], text)
				}
			})
		}
	}
}
