// Package semantic is agentry's built-in semantic model: a static
// word-embedding table that search uses as its Embedder when no external
// embeddings API is configured. It needs no network and no model hub: the
// model is trained by agentry itself ("agentry model train", package
// semantic/train) on open software-domain text (package summaries and
// Debian descriptions) and shipped inside the binary (Default). This
// package holds only what serving needs: the model file, loading and
// embedding.
//
// Words are the tokens of search.Tokenize, so the semantic leg and the
// lexical leg share one vocabulary. A word's vector comes from a truncated
// SVD of a positive-PMI co-occurrence matrix; a text's vector is the
// SIF-weighted sum of its words' vectors less the common direction of all
// training texts. Embedding a query costs one table look-up per word.
//
// docs/model.md says how the shipped model was made and how to make it
// again.
package semantic
