package httpapi

import (
	"bytes"
	"encoding/json"
	"math"
	"strconv"
	"sync"

	"github.com/agentry/agentry/search"
)

// The search tool's answer is its records twice, as structured content and
// as the text of a text block, in JSON escaped as a string. Encoding a
// record both ways costs far more than searching for it, and a record
// reads the same in every answer but for its relevance score: each record
// revision is encoded once, kept in recordJSONCache, and answers are
// spliced from the pieces. The bytes are those json.Marshal and
// appendJSONString would write (TestSpliceSearchAnswerMatches).

// recordJSONBudget bounds the bytes of encoded records kept: about 3 KB a
// record (both encodings) of the benchmark's seed records, so the hot part
// of a large registry.
const recordJSONBudget = 32 << 20

// relevanceTail is how a record's JSON ends before its score is set.
const relevanceTail = `,"relevanceScore":0}`

// encodedRecord is a record of an answer, without its relevance score and
// the closing brace: as JSON, and escaped as inside a JSON string.
type encodedRecord struct {
	raw, text []byte
}

type recordKey struct {
	registryID  string
	fingerprint uint64
}

// recordJSONCache holds encoded records by revision. When it is full, it
// drops entries picked by map iteration order, a random choice good enough
// for a cache whose misses cost a few microseconds.
type recordJSONCache struct {
	mu     sync.Mutex
	m      map[recordKey]encodedRecord
	bytes  int
	budget int
}

func newRecordJSONCache(budget int) *recordJSONCache {
	return &recordJSONCache{m: map[recordKey]encodedRecord{}, budget: budget}
}

// answerRecords are the records of an answer, in order. Only the
// fingerprint and score of a record kept encoded are read: making its
// searchRecordJSON unpacks the revision, the cost the cache saves.
type answerRecords interface {
	len() int
	key(i int) (fingerprint uint64, score float64)
	record(i int) searchRecordJSON
}

// hitRecords are the records of search hits.
type hitRecords struct {
	a          *api
	registryID string
	hits       []search.Hit
}

func (h hitRecords) len() int { return len(h.hits) }
func (h hitRecords) key(i int) (uint64, float64) {
	return h.hits[i].Fingerprint, relevanceScore(h.hits[i].Relevance)
}
func (h hitRecords) record(i int) searchRecordJSON {
	return h.a.searchRecord(h.registryID, &h.hits[i])
}

// get returns the encoding of recs' record i, making and keeping it when
// it is not kept already; false if it does not encode as expected.
func (c *recordJSONCache) get(registryID string, recs answerRecords, i int) (encodedRecord, bool) {
	fingerprint, _ := recs.key(i)
	k := recordKey{registryID, fingerprint}
	c.mu.Lock()
	e, ok := c.m[k]
	c.mu.Unlock()
	if ok {
		return e, true
	}
	rec := recs.record(i)
	rec.RelevanceScore = 0
	raw, err := json.Marshal(rec)
	if err != nil || !bytes.HasSuffix(raw, []byte(relevanceTail)) {
		return encodedRecord{}, false
	}
	raw = raw[:len(raw)-len(relevanceTail)]
	text := appendJSONString(make([]byte, 0, len(raw)+len(raw)/4+2), string(raw))
	e = encodedRecord{raw: raw, text: text[1 : len(text)-1]}
	size := len(e.raw) + len(e.text) + 64
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.m[k]; !ok && size <= c.budget {
		for key, old := range c.m {
			if c.bytes+size <= c.budget {
				break
			}
			delete(c.m, key)
			c.bytes -= len(old.raw) + len(old.text) + 64
		}
		c.m[k] = e
		c.bytes += size
	}
	return e, true
}

// preEncoded is a search tool answer already encoded: encodeToolResults
// sends wire as it is. It marshals as the structured content, so that the
// result is right without that middleware too.
type preEncoded struct {
	structured json.RawMessage
	wire       []byte
}

func (p *preEncoded) MarshalJSON() ([]byte, error) { return p.structured, nil }

// spliceSearchAnswer returns the tools/call result of answer: the same
// bytes as encodeCallToolResult of the result with searchResultJSON of its
// records marshalled as structured content and text. False when a record
// does not encode as expected.
func (a *api) spliceSearchAnswer(registryID string, answer answerRecords) (*preEncoded, bool) {
	n := answer.len()
	recs := make([]encodedRecord, n)
	scores := make([]float64, n)
	size := 128
	for i := range n {
		e, ok := a.encodedRecords.get(registryID, answer, i)
		if !ok {
			return nil, false
		}
		recs[i] = e
		_, scores[i] = answer.key(i)
		size += len(e.raw) + len(e.text) + 64
	}
	// The text block, then the structured content: the same records, in
	// the same order, escaped and not.
	wire := make([]byte, 0, size)
	wire = append(wire, `{"content":[{"type":"text","text":"{\"registryRecords\":[`...)
	for i, e := range recs {
		if i > 0 {
			wire = append(wire, ',')
		}
		wire = append(wire, e.text...)
		wire = append(wire, `,\"relevanceScore\":`...)
		wire = appendJSONFloat(wire, scores[i])
		wire = append(wire, '}')
	}
	wire = append(wire, `]}"}],"structuredContent":`...)
	start := len(wire)
	wire = append(wire, `{"registryRecords":[`...)
	for i, e := range recs {
		if i > 0 {
			wire = append(wire, ',')
		}
		wire = append(wire, e.raw...)
		wire = append(wire, `,"relevanceScore":`...)
		wire = appendJSONFloat(wire, scores[i])
		wire = append(wire, '}')
	}
	wire = append(wire, "]}"...)
	structured := wire[start:len(wire):len(wire)]
	wire = append(wire, '}')
	return &preEncoded{structured: structured, wire: wire}, true
}

// appendJSONFloat appends f as encoding/json writes a float64.
func appendJSONFloat(b []byte, f float64) []byte {
	if math.IsInf(f, 0) || math.IsNaN(f) {
		return append(b, '0') // never a score: relevanceScore clamps to [0, 1]
	}
	format := byte('f')
	if abs := math.Abs(f); abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	b = strconv.AppendFloat(b, f, format, -1, 64)
	if format == 'e' {
		// clean up e-09 to e-9, as encoding/json does
		if n := len(b); n >= 4 && b[n-4] == 'e' && b[n-3] == '-' && b[n-2] == '0' {
			b[n-2] = b[n-1]
			b = b[:n-1]
		}
	}
	return b
}
