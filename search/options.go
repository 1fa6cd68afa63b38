package search

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
	// OnError, when set, hears of failures that search survives by falling
	// back to the lexical leg (an embedder that is down). It must be safe
	// for concurrent use.
	OnError func(error)

	// experiment switches features off for the ablation in the evaluation
	// tests; production code never sets it.
	experiment experiment
}

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

// experiment turns features off, to measure what each contributes.
type experiment struct {
	analyzer     *analyzer // nil: defaultAnalyzer
	noSynonyms   bool
	countRepeats bool // a word said twice in the query weighs twice
	flatAvg      bool // average field length over all records, not only those that have the field
	noFallback   bool // no retry without stop words when a query is only stop words
	singleField  bool // one bag of words, as plain BM25 (weights and b of FieldDescription)
	noPrune      bool // score every posting (to check that pruning is exact)
	stopNames    bool // drop stop words from names and titles too
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
	weight   [NumFields]float32
	b        [NumFields]float32
	k1       float32
	an       *analyzer
	nameAn   *analyzer // names and titles keep their stop words
	synonyms synonymTable
	exp      experiment
	embedder Embedder
	vectors  VectorStore
	deferVec bool
	approx   int // vectors from which a shard has an approximate index; -1: never
	fusion   Fusion
	onError  func(error)
}

func resolve(o Options) settings {
	s := settings{k1: defaultK1, an: &defaultAnalyzer, exp: o.experiment, embedder: o.Embedder, onError: o.OnError,
		vectors: o.Vectors, deferVec: o.DeferVectors}
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
	if o.experiment.analyzer != nil {
		s.an = o.experiment.analyzer
	}
	if s.an.stopWords && !o.experiment.stopNames {
		a := *s.an
		a.stopWords = false
		s.nameAn = &a
	}
	if !o.experiment.noSynonyms {
		s.synonyms = buildSynonyms(s.an)
	}
	s.fusion = o.Fusion.resolve()
	switch s.approx = o.ApproxThreshold; {
	case s.approx == 0:
		s.approx = DefaultApproxThreshold
	case s.approx < 0:
		s.approx = -1
	}
	return s
}
