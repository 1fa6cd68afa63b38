// Package train makes agentry's built-in semantic model (package
// semantic) from open software-domain text: it reads corpus files
// (ReadCorpus), keeps one copy of each text and none that quotes an
// evaluation set (Corpus, Decontaminator), and learns word vectors from a
// positive-PMI co-occurrence matrix by a randomized truncated SVD (Run).
// An optional second stage (Contrast) trains those word rows, or a weight
// per word, for retrieval with a contrastive loss on pairs from the same
// corpus (a package's name and its summary, two halves of a summary).
// "agentry model corpus" and "agentry model train" use it; the server
// does not: it only loads the model that this package wrote.
//
// docs/model.md says how the shipped model was made and how to make it
// again.
package train
