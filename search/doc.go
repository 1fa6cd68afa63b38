// Package search is agentry's search engine: an in-memory index of the
// approved revision of every record, per registry, answering natural
// language queries in well under a millisecond at ten thousand records.
//
// The lexical leg is BM25F over separately weighted fields (name, title,
// tool names, parameter names, descriptions, tool descriptions, other
// text) read from the record and its descriptors (server.json, tools/list,
// agent card, SKILL.md, skill definition, custom JSON). Text is split into
// words and identifiers (github_list_issues, listIssues,
// io.github.owner/name), folded, stripped of stop words and stemmed
// (Porter2); a short list of domain synonyms widens queries. Tokenize
// exposes the tokens so that a semantic model can be trained on the same
// vocabulary.
//
// The semantic leg is optional: given an Embedder, records and queries are
// embedded and the two rankings fused (Fusion). Without one, the ranking
// is exactly the lexical one. Record vectors are computed by a background
// worker, so that indexing a record never waits for the embedder: a record
// is found lexically as soon as it is put, semantically once its vector
// is ready (WaitVectors). The leg compares the query with every
// vector, or, in registries of Options.ApproxThreshold vectors or more,
// searches an approximate nearest-neighbour index (HNSW) that is built and
// kept up to date in the background.
//
// A Follower keeps an Index in step with the registry's store: it applies
// the store's change feed, and a write returns once its own change is
// applied (read-your-writes on the replica that took it). Record vectors
// are kept between runs in a VectorStore, search's port to the database.
//
// Filters (ParseFilter) restrict results by name, descriptor type and
// version before the cut to the requested number of results.
//
// Quality (nDCG@10, Recall@10, MRR@10, P@1 on labelled queries) is
// measured by package internal/searcheval, outside the server;
// docs/search-quality.md records the figures on public benchmarks and what
// each feature contributes (Options.Ablation, for that measurement only).
package search
