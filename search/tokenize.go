package search

import (
	"sync"
	"unicode"
	"unicode/utf8"
)

// maxTokenBytes drops longer tokens: hashes, base64 blobs and minified
// code carry no meaning a person would search for.
const maxTokenBytes = 48

// analyzer turns text into index tokens. The switches exist so the
// evaluation can measure what each step contributes; production uses
// defaultAnalyzer.
type analyzer struct {
	splitIdentifiers bool // camelCase and letter-case boundaries split words
	compounds        bool // a camelCase word also yields its joined form (GitHub -> git, hub, github)
	stopWords        bool
	stem             bool
}

var defaultAnalyzer = analyzer{splitIdentifiers: true, compounds: true, stopWords: true, stem: true}

// Tokenize returns the lexical tokens of text, in order, as the index
// sees them: words are split at anything that is not a letter or digit
// (so github_list_issues and io.github.owner/name fall apart) and at
// camelCase boundaries (listIssues -> list, issues; a camelCase word also
// yields its joined form, so GitHub matches github), lower-cased, folded
// to plain Latin letters where accents are involved, stripped of English
// stop words and reduced to their Porter2 stem. Runs of Chinese or
// Japanese characters become overlapping character pairs. The semantic
// model uses the same tokens, so both legs speak one vocabulary.
func Tokenize(text string) []string {
	var out []string
	defaultAnalyzer.each(text, func(tok []byte) bool {
		out = append(out, string(tok))
		return true
	})
	return out
}

// tokenizer holds the scratch space of one pass over a text. Tokenizers
// are pooled: a pass allocates nothing once the pool is warm.
type tokenizer struct {
	a        *analyzer
	emit     func([]byte) bool
	runes    []rune // the current word, as written (case preserved)
	overlong bool   // the current word is too long to be one
	buf      []byte // the current token
	comp     []byte // the joined form of a split word
	stop     bool   // emit asked to stop
	// words remembers what token made of a word (its stem, or "" for a
	// stop word), one map per analyzer configuration: texts repeat a
	// small vocabulary, and a map look-up costs less than stemming.
	words  map[string]string
	caches map[analyzer]map[string]string
}

// Bounds of the pooled scratch space.
const (
	maxWordRunes   = 256 // longer runs of letters are blobs, not words
	maxCachedWords = 1 << 16
)

var tokenizers = sync.Pool{New: func() any {
	return &tokenizer{runes: make([]rune, 0, 64), buf: make([]byte, 0, 80), comp: make([]byte, 0, 80),
		caches: map[analyzer]map[string]string{}}
}}

// each calls emit for every token of text until emit returns false. The
// slice passed to emit is only valid during the call.
func (a *analyzer) each(text string, emit func([]byte) bool) {
	t := tokenizers.Get().(*tokenizer)
	defer func() {
		t.emit = nil
		tokenizers.Put(t)
	}()
	t.a, t.emit, t.stop, t.overlong = a, emit, false, false
	t.runes, t.buf, t.comp = t.runes[:0], t.buf[:0], t.comp[:0]
	if t.words = t.caches[*a]; t.words == nil {
		t.words = make(map[string]string, 1024)
		t.caches[*a] = t.words
	}
	prevApostrophe := false
	for i := 0; i < len(text) && !t.stop; {
		r, size := rune(text[i]), 1
		if r >= utf8.RuneSelf {
			r, size = utf8.DecodeRuneInString(text[i:])
		}
		i += size
		switch {
		case isWordRune(r):
			if len(t.runes) >= maxWordRunes-1 {
				t.overlong = true
				continue
			}
			if prevApostrophe {
				t.runes = append(t.runes, '\'')
				prevApostrophe = false
			}
			t.runes = append(t.runes, r)
		case (r == '\'' || r == '\u2019') && len(t.runes) > 0 && !prevApostrophe:
			// Kept only between letters: don't, today's.
			prevApostrophe = true
		default:
			prevApostrophe = false
			t.word()
		}
	}
	if !t.stop {
		t.word()
	}
}

func isWordRune(r rune) bool {
	if r < utf8.RuneSelf {
		return 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9'
	}
	return unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.In(r, unicode.Mn, unicode.Mc)
}

func isCJK(r rune) bool {
	return r >= 0x2E80 && (unicode.Is(unicode.Han, r) || unicode.Is(unicode.Hiragana, r) || unicode.Is(unicode.Katakana, r))
}

// word splits the collected word into parts and emits them.
func (t *tokenizer) word() {
	rs := t.runes
	t.runes = t.runes[:0]
	if t.overlong {
		t.overlong = false
		return
	}
	if len(rs) == 0 {
		return
	}
	start, parts := 0, 0
	t.comp = t.comp[:0]
	flushComp := func() {
		if parts > 1 && t.a.compounds && len(t.comp) <= maxTokenBytes {
			t.buf = append(t.buf[:0], t.comp...)
			t.token()
		}
		parts = 0
		t.comp = t.comp[:0]
	}
	for i := 0; i <= len(rs) && !t.stop; i++ {
		if i < len(rs) && rs[i] >= 0x2E80 && isCJK(rs[i]) {
			t.part(rs[start:i], &parts)
			flushComp()
			j := i
			for j < len(rs) && isCJK(rs[j]) {
				j++
			}
			t.cjk(rs[i:j])
			start, i = j, j-1
			continue
		}
		if i == len(rs) || (t.a.splitIdentifiers && i > start && maybeUpper(rs[i]) && caseBoundary(rs, i)) {
			t.part(rs[start:i], &parts)
			start = i
		}
	}
	flushComp()
}

// maybeUpper is a cheap first test: lower-case ASCII letters and digits,
// most of any text, are never upper case.
func maybeUpper(r rune) bool {
	return r >= utf8.RuneSelf || 'A' <= r && r <= 'Z'
}

// caseBoundary reports whether a camelCase word part starts at rs[i]:
// listIssues, getV2Data, HTMLParser (before the P).
func caseBoundary(rs []rune, i int) bool {
	r := rs[i]
	if !unicode.IsUpper(r) {
		return false
	}
	prev := rs[i-1]
	if unicode.IsLower(prev) || unicode.IsDigit(prev) {
		return true
	}
	return unicode.IsUpper(prev) && i+1 < len(rs) && unicode.IsLower(rs[i+1])
}

// part lower-cases and folds one word part, adds it to the joined form
// and emits it.
func (t *tokenizer) part(rs []rune, parts *int) {
	if len(rs) == 0 {
		return
	}
	b := t.buf[:0]
	for _, r := range rs {
		if r < utf8.RuneSelf { // the common case, inline
			if 'A' <= r && r <= 'Z' {
				r += 'a' - 'A'
			}
			b = append(b, byte(r))
			continue
		}
		b = appendFolded(b, r)
	}
	// Possessives and contractions: today's -> today, don't -> dont.
	if n := len(b); n > 2 && b[n-1] == 's' && b[n-2] == '\'' {
		b = b[:n-2]
	}
	w := b[:0]
	for _, c := range b {
		if c != '\'' {
			w = append(w, c)
		}
	}
	t.buf = w
	*parts++
	t.comp = append(t.comp, w...)
	t.token()
}

// token filters, stems and emits t.buf.
func (t *tokenizer) token() {
	w := t.buf
	if len(w) == 0 || len(w) > maxTokenBytes {
		return
	}
	if s, ok := t.words[string(w)]; ok {
		if s == "" {
			return // a stop word
		}
		w = append(w[:0], s...)
	} else {
		stop := t.a.stopWords && stopWords[string(w)]
		// The first words seen are the common ones; once the cache is
		// full, the rest are stemmed every time.
		remember := len(t.words) < maxCachedWords
		var key string
		if remember {
			key = string(w) // before w is stemmed in place
		}
		if !stop && t.a.stem {
			w = stemBytes(w)
		}
		if remember {
			switch {
			case stop:
				t.words[key] = ""
			case string(w) == key:
				t.words[key] = key
			default:
				t.words[key] = string(w)
			}
		}
		if stop {
			return
		}
	}
	if !t.emit(w) {
		t.stop = true
	}
}

// cjk emits overlapping character pairs (a single character alone), the
// usual way to index scripts written without spaces.
func (t *tokenizer) cjk(rs []rune) {
	if len(rs) == 1 {
		t.buf = utf8.AppendRune(t.buf[:0], rs[0])
		t.token()
		return
	}
	for i := 0; i+1 < len(rs) && !t.stop; i++ {
		b := utf8.AppendRune(t.buf[:0], rs[i])
		t.buf = utf8.AppendRune(b, rs[i+1])
		t.token()
	}
}

// appendFolded appends r lower-cased, with Latin accents removed and
// full-width forms narrowed, so café, CAFÉ and ｃａｆｅ index alike.
func appendFolded(b []byte, r rune) []byte {
	if r < utf8.RuneSelf {
		if 'A' <= r && r <= 'Z' {
			r += 'a' - 'A'
		}
		return append(b, byte(r))
	}
	if r >= 0xFF01 && r <= 0xFF5E { // full-width ASCII
		return appendFolded(b, r-0xFEE0)
	}
	r = unicode.ToLower(r)
	if r >= 0xC0 && r < 0x180 {
		if s, ok := latinFold[r]; ok {
			return append(b, s...)
		}
	}
	return utf8.AppendRune(b, r)
}

// latinFold maps the lower-case letters of Latin-1 and Latin Extended-A to
// plain ASCII.
var latinFold = func() map[rune]string {
	m := map[rune]string{'ß': "ss", 'æ': "ae", 'œ': "oe", 'þ': "th", 'ð': "d", 'ø': "o", 'ł': "l", 'đ': "d", 'ħ': "h", 'ı': "i", 'ŋ': "n", 'ĸ': "k", 'ŀ': "l", 'ŉ': "n", 'ſ': "s"}
	groups := map[string]string{
		"a": "àáâãäåāăą", "c": "çćĉċč", "d": "ď", "e": "èéêëēĕėęě", "g": "ĝğġģ", "h": "ĥ",
		"i": "ìíîïĩīĭį", "j": "ĵ", "k": "ķ", "l": "ĺļľ", "n": "ñńņň", "o": "òóôõöōŏő",
		"r": "ŕŗř", "s": "śŝşš", "t": "ţťŧ", "u": "ùúûüũūŭůűų", "w": "ŵ", "y": "ýÿŷ", "z": "źżž",
	}
	for base, letters := range groups {
		for _, r := range letters {
			if r >= 0xC0 {
				m[r] = base
			}
		}
	}
	return m
}()

// stopWords are dropped from documents and queries: English function
// words (the Snowball list) and the request phrasing people and agents wrap
// around what they need ("can you please find me ...").
var stopWords = func() map[string]bool {
	m := map[string]bool{}
	for _, w := range []string{
		// Snowball English stop words, apostrophes removed (but not where
		// that makes a word: id, shell, well).
		"i", "me", "my", "myself", "we", "us", "our", "ours", "ourselves", "you", "your", "yours",
		"yourself", "yourselves", "he", "him", "his", "himself", "she", "her", "hers", "herself",
		"it", "its", "itself", "they", "them", "their", "theirs", "themselves", "what", "which",
		"who", "whom", "this", "that", "these", "those", "am", "is", "are", "was", "were", "be",
		"been", "being", "have", "has", "had", "having", "do", "does", "did", "doing", "would",
		"should", "could", "ought", "im", "youre", "hes", "shes", "theyre", "ive",
		"youve", "weve", "theyve", "youd", "theyd", "youll", "theyll", "isnt", "arent", "wasnt", "werent", "hasnt", "havent",
		"hadnt", "doesnt", "dont", "didnt", "wont", "wouldnt", "shant", "shouldnt", "cant",
		"cannot", "couldnt", "mustnt", "lets", "thats", "whos", "whats", "heres", "theres",
		"whens", "wheres", "whys", "hows", "a", "an", "the", "and", "but", "if", "or", "because",
		"as", "until", "while", "of", "at", "by", "for", "with", "about", "against", "between",
		"into", "through", "during", "before", "after", "above", "below", "to", "from", "up",
		"down", "in", "out", "on", "off", "over", "under", "again", "further", "then", "once",
		"here", "there", "when", "where", "why", "how", "all", "any", "both", "each", "few",
		"more", "most", "other", "some", "such", "no", "nor", "not", "only", "own", "same", "so",
		"than", "too", "very",
		// Request phrasing.
		"can", "will", "shall", "may", "might", "must", "please", "also", "just", "like",
		"want", "need", "let", "tell", "give", "show",
	} {
		m[w] = true
	}
	return m
}()
