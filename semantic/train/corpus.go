package train

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/agentry/agentry/search"
)

// Record is one training context as a source gives it: the name of what it
// describes (a package; may be empty) and its text. Duplicates are judged
// by Body alone: package lists carry the same boilerplate summary under
// many names.
type Record struct {
	Name string
	Body string
}

// Text is the context as one line: name and body, whitespace collapsed.
func (r Record) Text() string {
	s := r.Body
	if r.Name != "" {
		s = r.Name + " " + s
	}
	return strings.Join(strings.Fields(s), " ")
}

// Format is the layout of a corpus file.
type Format int

const (
	// FormatText is plain text, one context per line.
	FormatText Format = iota
	// FormatPackageTSV is a package list: a header line, then
	// name<TAB>...<TAB>summary; a bracketed note before a summary is
	// dropped, and name and summary form the context.
	FormatPackageTSV
	// FormatDebian is a Debian Packages or Translation file: a stanza's
	// Description (or Description-en) line and its indented continuation
	// lines form one context, named by the stanza's Package.
	FormatDebian
)

func (f Format) String() string {
	switch f {
	case FormatPackageTSV:
		return "package list (TSV)"
	case FormatDebian:
		return "Debian descriptions"
	default:
		return "plain text"
	}
}

// maxLineBytes bounds one line of a corpus file; longer lines are cut.
const maxLineBytes = 1 << 20

// ReadCorpus reads the records of a corpus file, gzip-compressed or not,
// calling fn for each. The format is told by the content: a first line
// starting "Package: " is Debian's; a first line that starts with a "name"
// column followed by a tab is a package list; anything else is plain text.
func ReadCorpus(r io.Reader, fn func(Record) error) (Format, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	if head, _ := br.Peek(2); len(head) == 2 && head[0] == 0x1f && head[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return FormatText, err
		}
		defer zr.Close()
		br = bufio.NewReaderSize(zr, 64<<10)
	}
	head, _ := br.Peek(4096)
	first, _, _ := bytes.Cut(head, []byte("\n"))
	switch {
	case bytes.HasPrefix(first, []byte("Package: ")):
		return FormatDebian, readDebian(br, fn)
	case bytes.HasPrefix(bytes.ToLower(first), []byte("name\t")):
		return FormatPackageTSV, readPackageTSV(br, fn)
	default:
		return FormatText, readText(br, fn)
	}
}

// eachLine calls fn for every line of r without its line ending; lines
// longer than maxLineBytes are cut there.
func eachLine(br *bufio.Reader, fn func(line string) error) error {
	var long []byte
	for {
		chunk, err := br.ReadSlice('\n')
		if errors.Is(err, bufio.ErrBufferFull) {
			if len(long) < maxLineBytes {
				long = append(long, chunk[:min(len(chunk), maxLineBytes-len(long))]...)
			}
			continue
		}
		line := chunk
		if long != nil {
			if len(long) < maxLineBytes {
				long = append(long, chunk[:min(len(chunk), maxLineBytes-len(long))]...)
			}
			line, long = long, nil
		}
		line = bytes.TrimSuffix(bytes.TrimSuffix(line, []byte("\n")), []byte("\r"))
		if len(line) > 0 || err == nil {
			if ferr := fn(string(line)); ferr != nil {
				return ferr
			}
		}
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

func readText(br *bufio.Reader, fn func(Record) error) error {
	return eachLine(br, func(line string) error {
		if strings.TrimSpace(line) == "" {
			return nil
		}
		return fn(Record{Body: line})
	})
}

func readPackageTSV(br *bufio.Reader, fn func(Record) error) error {
	nameCol, summaryCol := 0, -1
	header := true
	return eachLine(br, func(line string) error {
		cols := strings.Split(line, "\t")
		if header {
			header = false
			for i, c := range cols {
				c = strings.ToLower(strings.TrimSpace(c))
				switch {
				case c == "name":
					nameCol = i
				case strings.HasPrefix(c, "summary") && summaryCol < 0:
					summaryCol = i
				}
			}
			if summaryCol < 0 {
				summaryCol = len(cols) - 1
			}
			return nil
		}
		if summaryCol >= len(cols) || nameCol >= len(cols) {
			return nil // no summary
		}
		body := stripNotes(cols[summaryCol])
		if body == "" {
			return nil
		}
		return fn(Record{Name: strings.TrimSpace(cols[nameCol]), Body: body})
	})
}

// stripNotes drops bracketed notes before a summary ("[DEPRECATED] ...",
// "[tested here: ...] ..."); a summary that is only a note is empty.
func stripNotes(s string) string {
	s = strings.TrimSpace(s)
	for strings.HasPrefix(s, "[") {
		depth, end := 0, -1
		for i := 0; i < len(s) && end < 0; i++ {
			switch s[i] {
			case '[':
				depth++
			case ']':
				if depth--; depth == 0 {
					end = i
				}
			}
		}
		if end < 0 {
			break
		}
		s = strings.TrimSpace(s[end+1:])
	}
	return s
}

func readDebian(br *bufio.Reader, fn func(Record) error) error {
	var name string
	var desc strings.Builder
	inDesc := false
	flush := func() error {
		inDesc = false
		if desc.Len() == 0 {
			return nil
		}
		body := desc.String()
		desc.Reset()
		return fn(Record{Name: name, Body: body})
	}
	err := eachLine(br, func(line string) error {
		switch {
		case line == "":
			if err := flush(); err != nil {
				return err
			}
			name = ""
		case line[0] == ' ' || line[0] == '\t':
			if !inDesc {
				return nil // continuation of another field
			}
			if t := strings.TrimSpace(line); t != "." && t != "" {
				desc.WriteByte(' ')
				desc.WriteString(t)
			}
		default:
			if err := flush(); err != nil {
				return err
			}
			key, value, _ := strings.Cut(line, ":")
			switch key {
			case "Package":
				name = strings.TrimSpace(value)
			case "Description", "Description-en":
				inDesc = true
				desc.WriteString(strings.TrimSpace(value))
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	return flush()
}

// Dedup remembers the bodies seen, by a hash of their tokens, so that
// texts differing only in case, punctuation or stop words count as one.
type Dedup struct {
	seen map[uint64]struct{}
}

// NewDedup returns an empty Dedup.
func NewDedup() *Dedup { return &Dedup{seen: map[uint64]struct{}{}} }

// First reports whether tokens (a body's) are seen for the first time,
// and remembers them.
func (d *Dedup) First(tokens []string) bool {
	h := hashTokens(tokens)
	if _, ok := d.seen[h]; ok {
		return false
	}
	d.seen[h] = struct{}{}
	return true
}

func hashTokens(tokens []string) uint64 {
	h := fnv.New64a()
	for _, t := range tokens {
		h.Write([]byte(t))
		h.Write([]byte{0})
	}
	return h.Sum64()
}

// ContaminationRun is the length of the word runs that decontamination
// compares: a training line sharing this many consecutive tokens with an
// evaluation text is dropped.
const ContaminationRun = 8

// Decontaminator holds the 8-token runs of evaluation texts, so that
// training lines that quote them can be dropped and the evaluation stays
// honest.
type Decontaminator struct {
	runs map[uint64]struct{}
}

// NewDecontaminator returns a Decontaminator that knows no texts.
func NewDecontaminator() *Decontaminator {
	return &Decontaminator{runs: map[uint64]struct{}{}}
}

// AddText adds the runs of an evaluation text.
func (d *Decontaminator) AddText(text string) {
	toks := search.Tokenize(text)
	for i := 0; i+ContaminationRun <= len(toks); i++ {
		d.runs[hashTokens(toks[i:i+ContaminationRun])] = struct{}{}
	}
}

// ReadEvalFile adds the texts of an evaluation file: every string of every
// JSON value when it is JSON Lines (descriptions, queries, names: all of
// it, to be safe), otherwise every line. It returns how many texts it
// added.
func (d *Decontaminator) ReadEvalFile(r io.Reader) (int, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return 0, err
	}
	// A whole-file JSON document (such as the MCP Registry seed, one
	// pretty-printed array) is read as one value, so that a string split
	// over lines by its keys is still seen whole.
	if t := bytes.TrimSpace(data); len(t) > 0 && (t[0] == '{' || t[0] == '[') {
		var v any
		if json.Unmarshal(t, &v) == nil {
			n := 0
			walkStrings(v, func(s string) { d.AddText(s); n++ })
			return n, nil
		}
	}
	n := 0
	err = eachLine(bufio.NewReaderSize(bytes.NewReader(data), 64<<10), func(line string) error {
		t := strings.TrimSpace(line)
		if t == "" {
			return nil
		}
		var v any
		if (t[0] == '{' || t[0] == '[') && json.Unmarshal([]byte(t), &v) == nil {
			walkStrings(v, func(s string) { d.AddText(s); n++ })
			return nil
		}
		d.AddText(t)
		n++
		return nil
	})
	return n, err
}

func walkStrings(v any, fn func(string)) {
	switch x := v.(type) {
	case string:
		fn(x)
	case []any:
		for _, e := range x {
			walkStrings(e, fn)
		}
	case map[string]any:
		for _, e := range x {
			walkStrings(e, fn)
		}
	}
}

// Contaminated reports whether tokens share a run with an evaluation text.
func (d *Decontaminator) Contaminated(tokens []string) bool {
	if d == nil || len(d.runs) == 0 {
		return false
	}
	for i := 0; i+ContaminationRun <= len(tokens); i++ {
		if _, ok := d.runs[hashTokens(tokens[i:i+ContaminationRun])]; ok {
			return true
		}
	}
	return false
}

// CorpusStats count what happened to the records offered to a Corpus.
type CorpusStats struct {
	Records      int64 // offered
	Empty        int64 // dropped: no token in the body
	Duplicates   int64 // dropped: a body seen before
	Contaminated int64 // dropped: shares a run with an evaluation text
	Contexts     int64 // kept
	Tokens       int64 // tokens of the kept contexts
}

func (s CorpusStats) String() string {
	return fmt.Sprintf("%d records: %d kept (%d tokens), %d duplicate, %d contaminated, %d empty",
		s.Records, s.Contexts, s.Tokens, s.Duplicates, s.Contaminated, s.Empty)
}

// Corpus is the training text as token ids: the records added to it,
// tokenized with search.Tokenize, duplicates and contaminated lines
// dropped.
type Corpus struct {
	ids    map[string]uint32
	words  []string
	counts []int64
	tokens []uint32
	ends   []int
	heads  []int32 // per context, how many of its first tokens are its name
	dedup  *Dedup
	decon  *Decontaminator
	stats  CorpusStats
}

// NewCorpus returns an empty corpus that drops the lines d finds
// contaminated (d may be nil).
func NewCorpus(d *Decontaminator) *Corpus {
	return &Corpus{ids: map[string]uint32{}, dedup: NewDedup(), decon: d}
}

// Add adds a record as one context and reports whether it was kept.
func (c *Corpus) Add(r Record) bool {
	c.stats.Records++
	body := search.Tokenize(r.Body)
	if len(body) == 0 {
		c.stats.Empty++
		return false
	}
	if !c.dedup.First(body) {
		c.stats.Duplicates++
		return false
	}
	toks := body
	head := 0
	if r.Name != "" {
		toks = append(search.Tokenize(r.Name), body...)
		head = len(toks) - len(body)
	} else if first, _, ok := strings.Cut(strings.TrimSpace(r.Body), " "); ok {
		// A plain-text line as "agentry model corpus" writes it: the
		// name, then the body.
		head = min(len(search.Tokenize(first)), len(toks)-1)
	}
	if c.decon.Contaminated(toks) {
		c.stats.Contaminated++
		return false
	}
	for _, t := range toks {
		id, ok := c.ids[t]
		if !ok {
			id = uint32(len(c.words))
			c.ids[t] = id
			c.words = append(c.words, t)
			c.counts = append(c.counts, 0)
		}
		c.counts[id]++
		c.tokens = append(c.tokens, id)
	}
	c.ends = append(c.ends, len(c.tokens))
	c.heads = append(c.heads, int32(head))
	c.stats.Contexts++
	c.stats.Tokens += int64(len(toks))
	return true
}

// Stats returns the counts so far.
func (c *Corpus) Stats() CorpusStats { return c.stats }

// validWord reports whether a token may be in the vocabulary: not a lone
// character, not only digits (versions, years, counts).
func validWord(w string) bool {
	if utf8.RuneCountInString(w) < 2 {
		return false
	}
	for _, r := range w {
		if r < '0' || r > '9' {
			return true
		}
	}
	return false
}
