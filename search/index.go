package search

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"hash/maphash"
	"math"
	"reflect"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/agentry/agentry/registry"
)

// Index is the in-memory search index of every registry's approved
// records. It is safe for concurrent use: searches of a registry run in
// parallel and only wait for a write to the same registry, and a Put or
// Remove is visible to every Search that starts after it returns (the
// semantic leg finds a record put once its vector is ready: vectors.go).
type Index struct {
	set    settings
	mu     sync.RWMutex // guards shards (the map, not the shards)
	shards map[string]*shard
	vq     *vectorQueue
}

// NewIndex returns an empty index.
func NewIndex(opts Options) *Index {
	ix := &Index{set: resolve(opts), shards: map[string]*shard{}}
	ix.vq = newVectorQueue(ix.fill)
	return ix
}

// shard is the index of one registry. Record slots are appended and never
// reused; a removed or replaced record leaves a dead slot whose postings
// are skipped until compact drops them. Term statistics (document
// frequency, field lengths) always count live records only, so ranking does
// not depend on the history of updates.
type shard struct {
	set      *settings
	mu       sync.RWMutex
	terms    map[string]uint32 // token -> term id
	postings []postings        // by term id
	df       []uint32          // live records per term id
	docs     []doc             // by slot
	dead     []bool            // by slot
	keys     []idKey           // by slot: idKeyOf the record id, for topK
	slotOf   map[string]uint32 // record id -> live slot

	live, deadSlots         int
	postingCount, deadCount int // postings in all lists, and those of dead slots
	sumLen                  [NumFields]uint64
	withField               [NumFields]uint32 // live records with a non-empty field
	vectors                 int               // live records with a vector
	norm                    [8 << 8]float32
	chunk                   []byte    // where keep puts packed revisions
	vec8                    vecs8     // the vectors in int8, for the scan
	ann                     *annIndex // nil below the approximate index's threshold
}

// postings list, for one term, the slots that contain it, in slot order,
// one entry per field the term occurs in. A meta packs the field (3 bits),
// the term frequency (5 bits, capped at 31: BM25 has long saturated by
// then) and a code of the field's length (8 bits), so that scoring reads
// nothing but the posting list and the shard's norm table.
type postings struct {
	slots []uint32
	meta  []uint16
}

const (
	metaFieldShift = 13
	metaTFShift    = 8
	maxTF          = 31
)

func packMeta(f Field, tf uint16, lenCode uint8) uint16 {
	return uint16(f)<<metaFieldShift | min(tf, maxTF)<<metaTFShift | uint16(lenCode)
}

// Field lengths are coded in a byte: exact below 64 tokens, then in steps
// of 5.2% up to about a million, as Lucene does to keep norms small.
const lengthStep = 1.052

func lengthCode(n uint32) uint8 {
	if n < 64 {
		return uint8(n)
	}
	return uint8(min(255, 64+math.Round(math.Log(float64(n)/64)/math.Log(lengthStep))))
}

func lengthOf(code uint8) float64 {
	if code < 64 {
		return float64(code)
	}
	return 64 * math.Pow(lengthStep, float64(code-64))
}

// refreshNorms recomputes the BM25F length normalisation of every field
// and length code, w / (1 - b + b*len/avgLen), after the statistics
// changed. The table has room for the 8 fields a meta's 3 bits can name,
// not just NumFields, so that indexing it by a meta needs no bounds check.
// It costs a couple of microseconds per write and saves a
// division and a random memory access per posting at query time.
func (s *shard) refreshNorms() {
	set := s.set
	for f := range NumFields {
		n := s.withField[f]
		if set.exp.flatAvg {
			n = uint32(s.live)
		}
		avg := 1.0
		if n > 0 && s.sumLen[f] > 0 {
			avg = float64(s.sumLen[f]) / float64(n)
		}
		b, w := float64(set.b[f]), float64(set.weight[f])
		for code := range 256 {
			if d := 1 - b + b*lengthOf(uint8(code))/avg; d > 0 {
				s.norm[int(f)<<8|code] = float32(w / d)
			}
		}
	}
}

// doc is one record slot. Filters read name, descriptor type and version;
// the rest of the revision is packed (content.go).
type doc struct {
	recordID       string
	name           string
	version        string
	descriptorType registry.DescriptorType
	createdAt      time.Time
	updatedAt      time.Time
	packed         []byte    // packRevision of the approved revision
	fingerprint    uint64    // fingerprintOf the slot, for Hit
	textBytes      int       // revisionTextBytes of the revision, for Hit
	postings       int       // entries this slot added
	vec            []float32 // unit length; nil without an embedder
	textKey        [32]byte  // SHA-256 of the text vec is of; zero when there is none to embed
}

// revision returns the approved revision the slot indexes.
func (d *doc) revision() registry.Revision {
	rev := registry.Revision{Name: d.name, DescriptorType: d.descriptorType, Version: d.version, UpdatedAt: d.updatedAt}
	if err := unpackRevision(d.packed, &rev); err != nil {
		// Only this package writes packed, from a revision: a failure
		// here is a bug, not bad input.
		panic(fmt.Sprintf("search: record %s: unpacking its revision: %v", d.recordID, err))
	}
	return rev
}

// idKey is the first 16 bytes of a record id (padded with zeros) as two
// big-endian numbers: two ids whose keys differ compare as their keys do,
// so that ties in a ranking are broken without reading the strings (record
// ids have 12 bytes).
type idKey [2]uint64

func idKeyOf(id string) idKey {
	var b [16]byte
	copy(b[:], id)
	return idKey{binary.BigEndian.Uint64(b[:8]), binary.BigEndian.Uint64(b[8:])}
}

// less reports whether k's id sorts before o's, when the keys differ.
func (k idKey) less(o idKey) bool {
	if k[0] != o[0] {
		return k[0] < o[0]
	}
	return k[1] < o[1]
}

// fingerprintOf hashes what revision and the slot's record id and
// creation time are made of. It is computed when the slot is filled:
// hashing at query time cost as much as a tenth of a lexical search.
func fingerprintOf(d *doc) uint64 {
	var h maphash.Hash
	h.SetSeed(hashSeed)
	h.WriteString(d.recordID)
	h.WriteByte(0)
	h.WriteString(d.name)
	h.WriteByte(0)
	h.WriteString(d.version)
	h.WriteByte(0)
	h.WriteString(string(d.descriptorType))
	h.WriteByte(0)
	var t [24]byte
	binary.LittleEndian.PutUint64(t[0:], uint64(d.createdAt.UnixNano()))
	binary.LittleEndian.PutUint64(t[8:], uint64(d.updatedAt.UnixNano()))
	binary.LittleEndian.PutUint64(t[16:], uint64(len(d.packed)))
	h.Write(t[:])
	h.Write(d.packed)
	return h.Sum64()
}

// revisionTextBytes is the length of rev's text: name, description,
// version and descriptor documents.
func revisionTextBytes(rev *registry.Revision) int {
	n := len(rev.Name) + len(rev.Description) + len(rev.Version)
	d := &rev.Descriptors
	if m := d.MCP; m != nil {
		if m.Server != nil {
			n += len(m.Server.InlineContent)
		}
		if m.Tools != nil {
			n += len(m.Tools.InlineContent)
		}
	}
	if a := d.A2A; a != nil && a.AgentCard != nil {
		n += len(a.AgentCard.InlineContent)
	}
	if s := d.AgentSkills; s != nil {
		if s.SkillMd != nil {
			n += len(s.SkillMd.InlineContent)
		}
		if s.SkillDefinition != nil {
			n += len(s.SkillDefinition.InlineContent)
		}
	}
	if d.Custom != nil {
		n += len(d.Custom.InlineContent)
	}
	return n
}

func newShard(set *settings) *shard {
	return &shard{set: set, terms: map[string]uint32{}, slotOf: map[string]uint32{}}
}

// shard returns the shard of a registry, creating it when asked to.
func (ix *Index) shard(registryID string, create bool) *shard {
	ix.mu.RLock()
	sh := ix.shards[registryID]
	ix.mu.RUnlock()
	if sh != nil || !create {
		return sh
	}
	ix.mu.Lock()
	defer ix.mu.Unlock()
	if sh = ix.shards[registryID]; sh == nil {
		sh = newShard(&ix.set)
		ix.shards[registryID] = sh
	}
	return sh
}

// Put indexes the approved revision of rec, replacing what was indexed for
// the record before, or removes the record when rec.Approved is nil. The
// index keeps its own copy of the revision. Calls for one record must come
// in the order of the changes they reflect.
//
// Put never waits for the embedder: the record is searchable lexically
// when Put returns, and its vector, unless its text is unchanged, is
// computed in the background (WaitVectors).
func (ix *Index) Put(rec registry.Record) {
	if rec.Approved == nil {
		ix.Remove(rec.RegistryID, rec.ID)
		return
	}
	if sh := ix.shard(rec.RegistryID, false); sh != nil && sh.unchanged(rec) {
		return
	}
	a := ix.set.analyze(rec.ID, rec.CreatedAt, *rec.Approved)
	a.packed = packRevision(&a.rev)
	sh := ix.shard(rec.RegistryID, true)
	sh.mu.Lock()
	sh.put(a)
	sh.refreshNorms()
	sh.mu.Unlock()
	if a.vec == nil && a.textKey != ([32]byte{}) {
		ix.vq.add(pendingVec{rec.RegistryID, rec.ID})
	}
}

// PutMany indexes many records at once, analysing them in parallel while
// earlier ones are inserted; it is how an index is filled at start-up. The
// result is the same as calling Put for each record in order, except that
// PutMany computes the records' vectors before it returns, unless
// DeferVectors is set (FillVectors computes them then) or the embedder
// fails (the background worker retries them then).
func (ix *Index) PutMany(recs []registry.Record) {
	const batch = 256
	nb := (len(recs) + batch - 1) / batch
	out := make([]*analyzed, len(recs))
	failed := make([]bool, nb) // the embedder failed on the batch
	done := make([]chan struct{}, nb)
	for i := range done {
		done[i] = make(chan struct{})
	}
	var next atomic.Int64
	for range min(runtime.GOMAXPROCS(0), nb) {
		go func() {
			for {
				b := int(next.Add(1) - 1)
				if b >= nb {
					return
				}
				part := out[b*batch : min((b+1)*batch, len(recs))]
				for i := range part {
					if rec := recs[b*batch+i]; rec.Approved != nil {
						part[i] = ix.set.analyze(rec.ID, rec.CreatedAt, *rec.Approved)
						part[i].packed = packRevision(&part[i].rev)
					}
				}
				if !ix.set.deferVec {
					failed[b] = ix.embedDocs(context.Background(), part) != nil
				}
				close(done[b])
			}
		}()
	}
	added := map[*shard]int{}
	var retry []pendingVec
	for b := range nb {
		<-done[b]
		var sh *shard
		for i := b * batch; i < min((b+1)*batch, len(recs)); i++ {
			if a := out[i]; failed[b] && a != nil && a.vec == nil && a.textKey != ([32]byte{}) {
				retry = append(retry, pendingVec{recs[i].RegistryID, recs[i].ID})
			}
			if s := ix.shard(recs[i].RegistryID, out[i] != nil); s != sh {
				if sh != nil {
					sh.refreshNorms()
					sh.mu.Unlock()
				}
				if sh = s; sh != nil {
					sh.mu.Lock()
				}
			}
			switch {
			case out[i] != nil:
				sh.put(out[i])
				added[sh]++
				out[i] = nil // let the collector have it
			case sh != nil:
				sh.remove(recs[i].ID)
			}
		}
		if sh != nil {
			sh.refreshNorms()
			sh.mu.Unlock()
		}
	}
	ix.vq.add(retry...)
	// Appending left spare capacity in the posting lists; after a large
	// load, give it back.
	for sh, n := range added {
		sh.mu.Lock()
		if n >= 1024 && n >= sh.live/4 {
			sh.trim()
		}
		sh.mu.Unlock()
	}
}

// Trim gives back the spare capacity that loading records in many calls
// left in the index's arrays. It is meant for the end of a bulk load.
func (ix *Index) Trim() {
	for _, sh := range ix.allShards() {
		sh.mu.Lock()
		sh.trim()
		sh.mu.Unlock()
	}
}

// trim reallocates the slot arrays and the posting lists that hold much
// spare capacity.
func (s *shard) trim() {
	s.docs = slices.Clone(s.docs)
	s.dead = slices.Clone(s.dead)
	s.keys = slices.Clone(s.keys)
	for i := range s.postings {
		p := &s.postings[i]
		if n := len(p.slots); cap(p.slots) > n+n/8+4 {
			p.slots = append([]uint32(nil), p.slots...)
			p.meta = append([]uint16(nil), p.meta...)
		}
	}
}

// Remove drops a record from the index.
func (ix *Index) Remove(registryID, recordID string) {
	sh := ix.shard(registryID, false)
	if sh == nil {
		return
	}
	sh.mu.Lock()
	sh.remove(recordID)
	sh.refreshNorms()
	sh.mu.Unlock()
}

// RemoveRegistry drops a registry and all its records.
func (ix *Index) RemoveRegistry(registryID string) {
	ix.mu.Lock()
	sh := ix.shards[registryID]
	delete(ix.shards, registryID)
	ix.mu.Unlock()
	if sh != nil {
		sh.stopBuilding()
	}
}

// Len returns the number of records indexed for a registry.
func (ix *Index) Len(registryID string) int {
	sh := ix.shard(registryID, false)
	if sh == nil {
		return 0
	}
	sh.mu.RLock()
	defer sh.mu.RUnlock()
	return sh.live
}

// unchanged reports whether rec's approved revision is what is indexed
// already, updating the creation time if that is all that differs. The
// change feed re-sends a record whenever its latest draft changes, while
// the approved revision search serves stays the same. A record still
// waiting for its vector is unchanged too: the vector queue has it.
func (s *shard) unchanged(rec registry.Record) bool {
	s.mu.RLock()
	slot, ok := s.slotOf[rec.ID]
	same := ok && s.holds(slot, rec.Approved)
	sameTime := same && s.docs[slot].createdAt.Equal(rec.CreatedAt)
	s.mu.RUnlock()
	if !same || sameTime {
		return same
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if slot, ok := s.slotOf[rec.ID]; ok && s.holds(slot, rec.Approved) {
		s.docs[slot].createdAt = rec.CreatedAt
		return true
	}
	return false
}

// holds reports whether slot indexes rev completely.
func (s *shard) holds(slot uint32, rev *registry.Revision) bool {
	d := &s.docs[slot]
	if d.name != rev.Name || d.version != rev.Version || d.descriptorType != rev.DescriptorType || !d.updatedAt.Equal(rev.UpdatedAt) {
		return false
	}
	return reflect.DeepEqual(d.revision(), *rev)
}

// analyzed is a record made ready for the index outside any lock: its
// distinct tokens, each with its frequency per field.
type analyzed struct {
	recordID  string
	createdAt time.Time
	rev       registry.Revision
	packed    []byte  // packRevision(&rev), for put
	arena     []byte  // the distinct tokens, back to back
	entries   []entry // one per distinct token
	lens      [NumFields]uint32
	embedText string
	textKey   [32]byte // SHA-256 of embedText, when there is one
	vec       []float32
}

type entry struct {
	off uint32
	n   uint8
	tf  [NumFields]uint16
}

func (a *analyzed) token(e *entry) []byte { return a.arena[e.off : e.off+uint32(e.n)] }

var (
	hashSeed = maphash.MakeSeed()
	tables   = sync.Pool{New: func() any { t := make([]int32, 256); return &t }}
)

func (set *settings) analyze(recordID string, createdAt time.Time, rev registry.Revision) *analyzed {
	text := extract(&rev)
	a := &analyzed{recordID: recordID, createdAt: createdAt, rev: rev}
	if set.embedder != nil {
		if a.embedText = text.embedText(); a.embedText != "" {
			a.textKey = sha256.Sum256([]byte(a.embedText))
		}
	}
	// Count tokens in a small open-addressing table of entry numbers
	// (+1; 0 is empty), cheaper than sorting them.
	size := 0
	for f := range NumFields {
		size += text.size[f]
	}
	a.arena = make([]byte, 0, size/2+16)
	a.entries = make([]entry, 0, size/12+8)
	want := 256
	for want < size/3 { // about two slots per distinct token
		want <<= 1
	}
	sc := tables.Get().(*[]int32)
	defer tables.Put(sc)
	if cap(*sc) < want {
		*sc = make([]int32, want)
	}
	table := (*sc)[:want]
	clear(table)
	insert := func(tok []byte, h uint64) int32 {
		mask := uint64(len(table) - 1)
		for i := h & mask; ; i = (i + 1) & mask {
			j := table[i]
			if j == 0 || bytes.Equal(a.token(&a.entries[j-1]), tok) {
				return int32(i)
			}
		}
	}
	for f := Field(0); f < NumFields; f++ {
		target := f
		if set.exp.singleField {
			target = FieldDescription
		}
		an := set.an
		if f <= FieldTitle && set.nameAn != nil {
			an = set.nameAn
		}
		for _, s := range text.fields[f] {
			an.each(s, func(tok []byte) bool {
				a.lens[target]++
				i := insert(tok, maphash.Bytes(hashSeed, tok))
				if j := table[i]; j != 0 {
					if e := &a.entries[j-1]; e.tf[target] < maxTF {
						e.tf[target]++
					}
					return true
				}
				e := entry{off: uint32(len(a.arena)), n: uint8(len(tok))}
				e.tf[target] = 1
				a.arena = append(a.arena, tok...)
				a.entries = append(a.entries, e)
				table[i] = int32(len(a.entries))
				if len(a.entries)*2 > len(table) { // keep the load under a half
					table = make([]int32, 2*len(table))
					*sc = table
					for j := range a.entries {
						tok := a.token(&a.entries[j])
						table[insert(tok, maphash.Bytes(hashSeed, tok))] = int32(j + 1)
					}
				}
				return true
			})
		}
	}
	a.entries = slices.Clip(a.entries)
	return a
}

// put adds an analysed record, replacing its previous slot. A record
// without a vector keeps the one it had if its text to embed is the same.
func (s *shard) put(a *analyzed) {
	if old, ok := s.slotOf[a.recordID]; ok && a.vec == nil && a.textKey != ([32]byte{}) && s.docs[old].textKey == a.textKey {
		a.vec = s.docs[old].vec
	}
	s.remove(a.recordID)
	slot := uint32(len(s.docs))
	// The strings kept are copies, so that the index never holds on to a
	// larger buffer the caller's strings may be part of.
	d := doc{recordID: strings.Clone(a.recordID), name: strings.Clone(a.rev.Name), version: strings.Clone(a.rev.Version),
		descriptorType: registry.DescriptorType(strings.Clone(string(a.rev.DescriptorType))),
		createdAt:      a.createdAt, updatedAt: a.rev.UpdatedAt, packed: s.keep(a.packed), vec: a.vec, textKey: a.textKey,
		textBytes: revisionTextBytes(&a.rev)}
	d.fingerprint = fingerprintOf(&d)

	for i := range a.entries {
		e := &a.entries[i]
		tok := a.token(e)
		id, ok := s.terms[string(tok)]
		if !ok {
			id = uint32(len(s.postings))
			s.terms[string(tok)] = id
			s.postings = append(s.postings, postings{})
			s.df = append(s.df, 0)
		}
		s.df[id]++
		p := &s.postings[id]
		for f, tf := range e.tf {
			if tf > 0 {
				p.slots = append(p.slots, slot)
				p.meta = append(p.meta, packMeta(Field(f), tf, lengthCode(a.lens[f])))
				d.postings++
			}
		}
	}
	s.docs = append(s.docs, d)
	s.dead = append(s.dead, false)
	s.keys = append(s.keys, idKeyOf(d.recordID))
	s.vec8.set(int(slot), d.vec)
	for f := range NumFields {
		s.sumLen[f] += uint64(a.lens[f])
		if a.lens[f] > 0 {
			s.withField[f]++
		}
	}
	if d.vec != nil {
		s.vectors++
		s.noteVector(slot)
	}
	s.slotOf[a.recordID] = slot
	s.live++
	s.postingCount += d.postings
}

// remove marks a record's slot dead and takes it out of the statistics.
func (s *shard) remove(recordID string) {
	slot, ok := s.slotOf[recordID]
	if !ok {
		return
	}
	delete(s.slotOf, recordID)
	d := &s.docs[slot]
	// The record's terms and field lengths are found again by analysing
	// its revision, which costs some microseconds per removal but no
	// memory per record.
	a := s.set.analyze(d.recordID, d.createdAt, d.revision())
	for i := range a.entries {
		if id, ok := s.terms[string(a.token(&a.entries[i]))]; ok {
			s.df[id]--
		}
	}
	for f := range NumFields {
		n := a.lens[f]
		s.sumLen[f] -= uint64(n)
		if n > 0 {
			s.withField[f]--
		}
	}
	if d.vec != nil {
		s.vectors--
	}
	s.vec8.set(int(slot), nil) // the vector goes with the doc's, below
	s.dead[slot] = true
	s.live--
	s.deadSlots++
	s.deadCount += d.postings
	// Keep the served content only as long as it is live.
	*d = doc{recordID: d.recordID}
	if s.deadSlots >= 8 && s.deadCount*3 > s.postingCount {
		s.compact()
	}
}

// chunkSize is the size of the blocks packed revisions are kept in.
const chunkSize = 256 << 10

// keep copies a packed revision into the shard's current chunk. Kept one
// by one, the revisions (a kilobyte or so each) would be small heap
// objects interleaved with the garbage of indexing, leaving partly used
// memory spans behind; back to back in large blocks they cost their size.
// A removed record's bytes stay in their chunk until compact.
func (s *shard) keep(b []byte) []byte {
	if len(b) > chunkSize/8 {
		return b
	}
	if cap(s.chunk)-len(s.chunk) < len(b) {
		s.chunk = make([]byte, 0, chunkSize)
	}
	s.chunk = append(s.chunk, b...)
	return s.chunk[len(s.chunk)-len(b) : len(s.chunk) : len(s.chunk)]
}

// compact drops dead slots and unused terms, renumbering both. It costs
// one pass over the postings and runs after about a third of them died.
func (s *shard) compact() {
	s.chunk = nil // live revisions move to new chunks; the old ones go
	remap := make([]uint32, len(s.docs))
	docs := make([]doc, 0, s.live)
	keys := make([]idKey, 0, s.live)
	vec8 := vecs8{dim: s.vec8.dim}
	for slot := range s.docs {
		if s.dead[slot] {
			continue
		}
		remap[slot] = uint32(len(docs))
		vec8.copySlot(len(docs), &s.vec8, slot)
		d := s.docs[slot]
		d.packed = s.keep(d.packed)
		docs = append(docs, d)
		keys = append(keys, s.keys[slot])
	}
	terms := make(map[string]uint32, len(s.terms))
	var lists []postings
	var df []uint32
	for tok, id := range s.terms {
		if s.df[id] == 0 {
			continue
		}
		old := s.postings[id]
		p := postings{slots: make([]uint32, 0, len(old.slots)), meta: make([]uint16, 0, len(old.slots))}
		for i, slot := range old.slots {
			if !s.dead[slot] {
				p.slots = append(p.slots, remap[slot])
				p.meta = append(p.meta, old.meta[i])
			}
		}
		terms[tok] = uint32(len(lists))
		lists = append(lists, postings{slots: slices.Clip(p.slots), meta: slices.Clip(p.meta)})
		df = append(df, s.df[id])
	}
	for id, slot := range s.slotOf {
		s.slotOf[id] = remap[slot]
	}
	if s.ann != nil {
		s.ann.remap(remap, s.dead)
	}
	s.docs, s.keys, s.terms, s.postings, s.df, s.vec8 = docs, keys, terms, lists, df, vec8
	s.dead = make([]bool, len(docs))
	s.deadSlots, s.deadCount, s.postingCount = 0, 0, s.postingCount-s.deadCount
}
