package search

import "slices"

// This file implements the Snowball English ("Porter2") stemmer,
// following https://snowballstem.org/algorithms/english/stemmer.html.
// It works on lower-case ASCII words; anything else is returned unchanged
// (other scripts are matched as written). It was checked word for word
// against github.com/kljensen/snowball on the vocabulary of the evaluation
// sets (see stem_test.go), so the project needs no stemming module.

// Stem returns the Porter2 stem of a lower-case word.
func Stem(word string) string {
	var buf [64]byte
	w := stemBytes(append(buf[:0], word...))
	if string(w) == word { // no allocation when nothing changed
		return word
	}
	return string(w)
}

// stemBytes stems the lower-case word w in place and returns the stem,
// which may be one byte longer than w (so give w spare capacity to avoid
// an allocation).
func stemBytes(w []byte) []byte {
	if len(w) <= 2 || !stemmable(w) {
		return w
	}
	if s, ok := stemExceptions1[string(w)]; ok {
		return append(w[:0], s...)
	}
	if w[0] == '\'' {
		w = w[1:]
		if len(w) <= 2 {
			return w
		}
	}
	// Prelude: a y that acts as a consonant becomes Y.
	if w[0] == 'y' {
		w[0] = 'Y'
	}
	for i := 1; i < len(w); i++ {
		if w[i] == 'y' && isVowel(w[i-1]) {
			w[i] = 'Y'
		}
	}
	p1, p2 := markRegions(w)

	w = step0(w)
	w = step1a(w)
	if !stemExceptions2[string(w)] {
		w = step1b(w, p1)
		w = step1c(w)
		w = step2(w, p1)
		w = step3(w, p1, p2)
		w = step4(w, p2)
		w = step5(w, p1, p2)
	}
	for i := range w {
		if w[i] == 'Y' {
			w[i] = 'y'
		}
	}
	return w
}

func stemmable(w []byte) bool {
	for i := 0; i < len(w); i++ {
		c := w[i]
		if (c < 'a' || c > 'z') && c != '\'' {
			return false
		}
	}
	return true
}

var stemExceptions1 = map[string]string{
	"skis": "ski", "skies": "sky", "dying": "die", "lying": "lie", "tying": "tie",
	"idly": "idl", "gently": "gentl", "ugly": "ugli", "early": "earli", "only": "onli", "singly": "singl",
	"sky": "sky", "news": "news", "howe": "howe", "atlas": "atlas", "cosmos": "cosmos", "bias": "bias", "andes": "andes",
}

var stemExceptions2 = map[string]bool{
	"inning": true, "outing": true, "canning": true, "herring": true, "earring": true,
	"proceed": true, "exceed": true, "succeed": true,
}

func isVowel(c byte) bool {
	switch c {
	case 'a', 'e', 'i', 'o', 'u', 'y':
		return true
	}
	return false
}

// markRegions returns the starts of R1 and R2.
func markRegions(w []byte) (p1, p2 int) {
	p1 = len(w)
	for _, pre := range [...]string{"gener", "commun", "arsen"} {
		if len(w) >= len(pre) && string(w[:len(pre)]) == pre {
			p1 = len(pre)
			break
		}
	}
	if p1 == len(w) {
		p1 = afterVowelConsonant(w, 0)
	}
	p2 = afterVowelConsonant(w, p1)
	return p1, p2
}

// afterVowelConsonant returns the position after the first non-vowel that
// follows a vowel at or after from, or len(w).
func afterVowelConsonant(w []byte, from int) int {
	for i := from + 1; i < len(w); i++ {
		if !isVowel(w[i]) && isVowel(w[i-1]) {
			return i + 1
		}
	}
	return len(w)
}

// shortSyllableAt reports whether w ends in a short syllable.
func endsShortSyllable(w []byte) bool {
	n := len(w)
	if n == 2 {
		return isVowel(w[0]) && !isVowel(w[1])
	}
	if n < 3 {
		return false
	}
	c := w[n-1]
	return !isVowel(c) && c != 'w' && c != 'x' && c != 'Y' && isVowel(w[n-2]) && !isVowel(w[n-3])
}

func hasSuffix(w []byte, s string) bool {
	return len(w) >= len(s) && string(w[len(w)-len(s):]) == s
}

func containsVowel(w []byte) bool {
	for _, c := range w {
		if isVowel(c) {
			return true
		}
	}
	return false
}

// suffixSet finds the longest of a list of suffixes that ends a word,
// looking only at those that end in the word's last letter.
type suffixSet [256][]string // by last byte, longest first

func newSuffixSet(list ...string) *suffixSet {
	var s suffixSet
	for _, x := range list {
		c := x[len(x)-1]
		s[c] = append(s[c], x)
	}
	for i := range s {
		slices.SortStableFunc(s[i], func(a, b string) int { return len(b) - len(a) })
	}
	return &s
}

// longest returns the longest suffix of w in the set, or "".
func (s *suffixSet) longest(w []byte) string {
	if len(w) == 0 {
		return ""
	}
	for _, x := range s[w[len(w)-1]] {
		if hasSuffix(w, x) {
			return x
		}
	}
	return ""
}

func replace(w []byte, suffix, with string) []byte {
	return append(w[:len(w)-len(suffix)], with...)
}

func step0(w []byte) []byte {
	for _, s := range [...]string{"'s'", "'s", "'"} {
		if hasSuffix(w, s) {
			return w[:len(w)-len(s)]
		}
	}
	return w
}

func step1a(w []byte) []byte {
	switch {
	case hasSuffix(w, "sses"):
		return w[:len(w)-2]
	case hasSuffix(w, "ied"), hasSuffix(w, "ies"):
		if len(w) > 4 {
			return replace(w, "ied", "i")
		}
		return replace(w, "ied", "ie")
	case hasSuffix(w, "us"), hasSuffix(w, "ss"):
		return w
	case hasSuffix(w, "s"):
		if len(w) >= 3 && containsVowel(w[:len(w)-2]) {
			return w[:len(w)-1]
		}
	}
	return w
}

var step1bSuffixes = newSuffixSet("eed", "eedly", "ed", "edly", "ing", "ingly")

func step1b(w []byte, p1 int) []byte {
	s := step1bSuffixes.longest(w)
	switch s {
	case "":
		return w
	case "eed", "eedly":
		if len(w)-len(s) >= p1 {
			return replace(w, s, "ee")
		}
		return w
	}
	stem := w[:len(w)-len(s)]
	if !containsVowel(stem) {
		return w
	}
	w = stem
	switch {
	case hasSuffix(w, "at"), hasSuffix(w, "bl"), hasSuffix(w, "iz"):
		return append(w, 'e')
	case len(w) >= 2 && w[len(w)-1] == w[len(w)-2] && isDouble(w[len(w)-1]):
		return w[:len(w)-1]
	case len(w) <= p1 && endsShortSyllable(w):
		return append(w, 'e')
	}
	return w
}

func isDouble(c byte) bool {
	switch c {
	case 'b', 'd', 'f', 'g', 'm', 'n', 'p', 'r', 't':
		return true
	}
	return false
}

func step1c(w []byte) []byte {
	n := len(w)
	if n > 2 && (w[n-1] == 'y' || w[n-1] == 'Y') && !isVowel(w[n-2]) {
		w[n-1] = 'i'
	}
	return w
}

var step2Suffixes = newSuffixSet(
	"tional", "enci", "anci", "abli", "entli", "izer", "ization", "ational", "ation", "ator",
	"alism", "aliti", "alli", "fulness", "ousli", "ousness", "iveness", "iviti", "biliti", "bli",
	"ogi", "fulli", "lessli", "li",
)

var step2Replacements = map[string]string{
	"tional": "tion", "enci": "ence", "anci": "ance", "abli": "able", "entli": "ent",
	"izer": "ize", "ization": "ize", "ational": "ate", "ation": "ate", "ator": "ate",
	"alism": "al", "aliti": "al", "alli": "al", "fulness": "ful", "ousli": "ous", "ousness": "ous",
	"iveness": "ive", "iviti": "ive", "biliti": "ble", "bli": "ble", "ogi": "og", "fulli": "ful",
	"lessli": "less", "li": "",
}

func step2(w []byte, p1 int) []byte {
	s := step2Suffixes.longest(w)
	if s == "" || len(w)-len(s) < p1 {
		return w
	}
	switch s {
	case "ogi":
		if len(w) < 4 || w[len(w)-4] != 'l' {
			return w
		}
	case "li":
		if len(w) < 3 || !validLi(w[len(w)-3]) {
			return w
		}
	}
	return replace(w, s, step2Replacements[s])
}

func validLi(c byte) bool {
	switch c {
	case 'c', 'd', 'e', 'g', 'h', 'k', 'm', 'n', 'r', 't':
		return true
	}
	return false
}

var step3Suffixes = newSuffixSet("tional", "ational", "alize", "icate", "iciti", "ical", "ful", "ness", "ative")

var step3Replacements = map[string]string{
	"tional": "tion", "ational": "ate", "alize": "al", "icate": "ic", "iciti": "ic", "ical": "ic",
	"ful": "", "ness": "", "ative": "",
}

func step3(w []byte, p1, p2 int) []byte {
	s := step3Suffixes.longest(w)
	if s == "" || len(w)-len(s) < p1 {
		return w
	}
	if s == "ative" && len(w)-len(s) < p2 {
		return w
	}
	return replace(w, s, step3Replacements[s])
}

var step4Suffixes = newSuffixSet(
	"al", "ance", "ence", "er", "ic", "able", "ible", "ant", "ement", "ment", "ent",
	"ism", "ate", "iti", "ous", "ive", "ize", "ion",
)

func step4(w []byte, p2 int) []byte {
	s := step4Suffixes.longest(w)
	if s == "" || len(w)-len(s) < p2 {
		return w
	}
	if s == "ion" {
		if len(w) < 4 || (w[len(w)-4] != 's' && w[len(w)-4] != 't') {
			return w
		}
	}
	return w[:len(w)-len(s)]
}

func step5(w []byte, p1, p2 int) []byte {
	n := len(w)
	switch {
	case n > 0 && w[n-1] == 'e':
		if n-1 >= p2 || (n-1 >= p1 && !endsShortSyllable(w[:n-1])) {
			return w[:n-1]
		}
	case n > 1 && w[n-1] == 'l':
		if n-1 >= p2 && w[n-2] == 'l' {
			return w[:n-1]
		}
	}
	return w
}
