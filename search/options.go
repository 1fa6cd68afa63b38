package search

import "time"

// Options configure an Index. The zero value gives the tuned defaults,
// which are what docs/search-quality.md measures.
type Options struct {
	// Fields overrides the weight and length normalisation of single
	// fields; a field not listed keeps its default.
	Fields map[Field]FieldParams
	// K1 is BM25's term-frequency saturation; 0 means the default.
	K1 float64

	// Embedder, when set, adds the semantic leg: records and queries are
	// embedded and the two rankings fused. Nil means lexical ranking only.
	Embedder Embedder
	// Fusion says how the two legs are combined; ignored without Embedder.
	Fusion Fusion
	// Vectors, when set, keeps computed vectors between runs, so that a
	// restart with the same model embeds nothing again; a new model finds
	// none of its vectors there and computes them.
	Vectors VectorStore
	// DeferVectors makes PutMany index records without computing their
	// vectors; FillVectors computes them later (in the background at
	// start-up, so that the index serves lexically at once).
	DeferVectors bool
	// ApproxThreshold is the number of vectors in a registry at or above
	// which the semantic leg searches an approximate index (HNSW) instead
	// of comparing the query with every vector. The index is built in the
	// background; until it is ready, and for filters that few records
	// pass, the exact scan answers. 0 means the default
	// (DefaultApproxThreshold); a negative value means never.
	ApproxThreshold int
	// QueryEmbedTimeout bounds how long a search waits for the embedder to
	// embed its query before it answers from the lexical leg alone: an
	// embedder that is slow or down must not make searches slow. 0 =
	// DefaultQueryEmbedTimeout.
	QueryEmbedTimeout time.Duration
	// OnError, when set, hears of failures that search survives by falling
	// back to the lexical leg (an embedder that is down). It must be safe
	// for concurrent use.
	OnError func(error)
	// Observe, when set, hears how long each leg of a search took and how
	// many results it gave (for the query embedding: 1, or 0 when the
	// search fell back to the lexical leg), for metrics. It must be quick
	// and safe for concurrent use; nil costs nothing per search.
	Observe func(leg Leg, d time.Duration, results int)

	// Ablation switches features off to measure what each contributes
	// (internal/searcheval, docs/search-quality.md). It is for evaluation
	// only: the features it turns off are the tuned defaults, and the
	// server never sets it.
	Ablation Ablation
}

// DefaultQueryEmbedTimeout is Options.QueryEmbedTimeout's default: an
// embeddings service answers a short query in tens of milliseconds, and
// the built-in model in microseconds.
const DefaultQueryEmbedTimeout = 2 * time.Second

// DefaultApproxThreshold is Options.ApproxThreshold's default: the
// smallest registry at which the approximate index measured clearly faster
// than the exact scan (hybrid p50 1.1 against 1.8 ms at 20,000 records; at
// 10,000 the scan is faster), docs/benchmarks.md.
const DefaultApproxThreshold = 20_000

// FieldParams weigh one field in BM25F.
type FieldParams struct {
	// Weight multiplies the field's term frequencies; 0 ignores the field.
	Weight float64
	// B is the strength of length normalisation, 0 (none) to 1 (full).
	B float64
}

// Ablation turns features of the lexical ranking off, for evaluation only
// (Options.Ablation). The zero value turns nothing off.
type Ablation struct {
	NoStemming            bool // words are not reduced to their stems
	NoStopWords           bool // stop words are indexed and searched like other words
	StopWordsInNames      bool // stop words are dropped from names and titles too
	NoIdentifierSplitting bool // camelCase words are not split (listIssues stays one word)
	NoCompounds           bool // a split camelCase word does not also yield its joined form
	NoSynonyms            bool
	CountRepeats          bool // a word said twice in the query weighs twice
	FlatAverageLength     bool // average field length over all records, not only those that have the field
	SingleField           bool // one bag of words, as plain BM25 (weights and b of FieldDescription)
	NoPruning             bool // score every posting (to check that pruning is exact)
	NoPathHint            bool // a file path in a query does not also search for files
}

// experiment is the part of Options.Ablation that the hot path reads.
type experiment struct {
	countRepeats bool
	flatAvg      bool
	singleField  bool
	noPrune      bool
	noPathHint   bool
}

// Tuned defaults (docs/search-quality.md shows how they were chosen). Names and tool
// names say most about what a record is for; descriptions are long and
// varied, so their length is normalised only mildly; k1 is on the high
// side of the usual range because BM25F sums weighted frequencies over
// fields before saturating them.
const defaultK1 = 2.0

var defaultFields = [NumFields]FieldParams{
	FieldName:            {Weight: 2.5, B: 0.5},
	FieldTitle:           {Weight: 2.5, B: 0.5},
	FieldToolName:        {Weight: 2.5, B: 0.5},
	FieldParam:           {Weight: 1.0, B: 0.5},
	FieldDescription:     {Weight: 1.0, B: 0.3},
	FieldToolDescription: {Weight: 0.7, B: 0.75},
	FieldBody:            {Weight: 0.3, B: 0.75},
}

// settings are Options resolved to the values the hot path uses.
type settings struct {
	weight       [NumFields]float32
	b            [NumFields]float32
	k1           float32
	an           *analyzer
	nameAn       *analyzer // names and titles keep their stop words
	synonyms     synonymTable
	exp          experiment
	embedder     Embedder
	vectors      VectorStore
	deferVec     bool
	approx       int // vectors from which a shard has an approximate index; -1: never
	queryTimeout time.Duration
	fusion       Fusion
	onError      func(error)
	observe      func(Leg, time.Duration, int)
}

func resolve(o Options) settings {
	ab := o.Ablation
	s := settings{k1: defaultK1, an: &defaultAnalyzer, embedder: o.Embedder, onError: o.OnError, observe: o.Observe,
		vectors: o.Vectors, deferVec: o.DeferVectors,
		exp: experiment{countRepeats: ab.CountRepeats, flatAvg: ab.FlatAverageLength, singleField: ab.SingleField, noPrune: ab.NoPruning, noPathHint: ab.NoPathHint}}
	if o.K1 > 0 {
		s.k1 = float32(o.K1)
	}
	for f := Field(0); f < NumFields; f++ {
		p := defaultFields[f]
		if q, ok := o.Fields[f]; ok {
			p = q
		}
		s.weight[f], s.b[f] = float32(max(p.Weight, 0)), float32(min(max(p.B, 0), 1))
	}
	if ab.NoStemming || ab.NoStopWords || ab.NoIdentifierSplitting || ab.NoCompounds {
		a := defaultAnalyzer
		a.stem = !ab.NoStemming
		a.stopWords = !ab.NoStopWords
		a.splitIdentifiers = !ab.NoIdentifierSplitting
		a.compounds = !ab.NoCompounds
		s.an = &a
	}
	if s.an.stopWords && !ab.StopWordsInNames {
		a := *s.an
		a.stopWords = false
		s.nameAn = &a
	}
	if !ab.NoSynonyms {
		s.synonyms = buildSynonyms(s.an)
	}
	s.fusion = o.Fusion.resolve()
	if s.queryTimeout = o.QueryEmbedTimeout; s.queryTimeout <= 0 {
		s.queryTimeout = DefaultQueryEmbedTimeout
	}
	switch s.approx = o.ApproxThreshold; {
	case s.approx == 0:
		s.approx = DefaultApproxThreshold
	case s.approx < 0:
		s.approx = -1
	}
	return s
}
