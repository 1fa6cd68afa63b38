// Package embedding provides the embedders behind agentry's semantic search
// (search.Embedder):
//
//   - HTTP is a client for the OpenAI-compatible POST /v1/embeddings API,
//     served by Ollama, vLLM, text-embeddings-inference, the llama.cpp
//     server, LiteLLM and hosted services.
//   - Static loads a static embedding model in the model2vec layout
//     (tokenizer.json, model.safetensors, config.json) and embeds in
//     process: a text's vector is the mean of its tokens' rows. It needs no
//     server, no network and no GPU, and embeds thousands of texts a second
//     on one core.
//
// Both are safe for concurrent use. The package uses the standard library
// and golang.org/x/text's canonical decompositions (for accent stripping)
// only: the safetensors format and the parts of the Hugging Face
// tokenizers format that static models use are read by hand.
package embedding
