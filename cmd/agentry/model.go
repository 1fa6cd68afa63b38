package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/agentry/agentry/search"
	"github.com/agentry/agentry/semantic"
	"github.com/agentry/agentry/semantic/train"
)

const modelUsage = `Usage: agentry model <command> [flags]

Builds and inspects agentry's built-in semantic model (docs/model.md).

Commands:
  corpus --out FILE INPUT...     gather training text into one file, one
                                 context per line, duplicate bodies dropped
  train --corpus FILE... --out DIR
                                 train a model, written to DIR/` + semantic.ModelFile + `
  neighbors [--model FILE] WORD...
                                 print the words closest to each word
  info [--model FILE]            print how a model was trained

Inputs are plain text (one context per line), package lists (TSV whose
first line is a header starting "name<TAB>"; name and summary form a
context) or Debian Packages/Translation files (a description is a context),
told apart by their first line; gzip is read as well.

Run "agentry model COMMAND -h" for a command's flags.
`

// pathList collects a repeatable path flag.
type pathList []string

func (p *pathList) String() string     { return strings.Join(*p, ",") }
func (p *pathList) Set(v string) error { *p = append(*p, v); return nil }

// modelCommand is "agentry model".
func modelCommand(args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, modelUsage)
		return errors.New("model: a command is required")
	}
	switch args[0] {
	case "corpus":
		return modelCorpus(args[1:], stdout, stderr)
	case "train":
		return modelTrain(args[1:], stdout, stderr)
	case "neighbors", "neighbours":
		return modelNeighbors(args[1:], stdout, stderr)
	case "info":
		return modelInfo(args[1:], stdout, stderr)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, modelUsage)
		return nil
	default:
		fmt.Fprint(stderr, modelUsage)
		return fmt.Errorf("model: unknown command %q", args[0])
	}
}

func newModelFlags(name, usage string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("agentry model "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), usage)
		fs.PrintDefaults()
	}
	return fs
}

// parseInterspersed parses flags that may come before or after the
// positional arguments.
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		if fs.NArg() == 0 {
			return positional, nil
		}
		positional = append(positional, fs.Arg(0))
		args = fs.Args()[1:]
	}
}

// readCorpusFile reads one corpus input, calling fn for each record.
func readCorpusFile(path string, fn func(train.Record) error) (train.Format, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	format, err := train.ReadCorpus(f, fn)
	if err != nil {
		return format, fmt.Errorf("%s: %w", path, err)
	}
	return format, nil
}

func modelCorpus(args []string, stdout, stderr io.Writer) error {
	fs := newModelFlags("corpus", `Usage: agentry model corpus --out FILE INPUT...

Reads the inputs in order and writes one context per line to FILE, dropping
contexts whose body (a summary or description) has been seen before.

Flags:
`, stderr)
	out := fs.String("out", "", "write the corpus to `FILE` (required)")
	inputs, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	if *out == "" || len(inputs) == 0 {
		fs.Usage()
		return errors.New("model corpus: --out and at least one input are required")
	}
	f, err := os.Create(*out)
	if err != nil {
		return err
	}
	w := bufio.NewWriterSize(f, 1<<20)
	dedup := train.NewDedup()
	var total, kept int64
	for _, in := range inputs {
		var read, wrote int64
		format, err := readCorpusFile(in, func(r train.Record) error {
			read++
			toks := search.Tokenize(r.Body)
			if len(toks) == 0 || !dedup.First(toks) {
				return nil
			}
			wrote++
			_, err := fmt.Fprintln(w, r.Text())
			return err
		})
		if err != nil {
			f.Close()
			return err
		}
		fmt.Fprintf(stdout, "%s (%s): %d contexts read, %d new\n", in, format, read, wrote)
		total, kept = total+read, kept+wrote
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s: %d contexts of %d\n", *out, kept, total)
	return nil
}

func modelTrain(args []string, stdout, stderr io.Writer) error {
	fs := newModelFlags("train", `Usage: agentry model train --corpus FILE [FILE...] --out DIR [flags]

Trains a static word-embedding model on the corpus files and writes it to
DIR/`+semantic.ModelFile+`. The same inputs and flags give the same bytes.

Flags:
`, stderr)
	def := train.DefaultConfig()
	var corpora, decontaminate pathList
	fs.Var(&corpora, "corpus", "train on `FILE` (repeatable; plain text, package list TSV or Debian descriptions)")
	fs.Var(&decontaminate, "decontaminate", "drop training lines that share an 8-word run with any text of `FILE`, an evaluation set (repeatable; JSON Lines or text)")
	out := fs.String("out", "", "write the model into `DIR` (required)")
	seed := fs.Uint64("seed", def.Seed, "`seed` of the random projection")
	dim := fs.Int("dim", def.Dim, "vector length: `N` numbers")
	minCount := fs.Int("min-count", def.MinCount, "learn words seen at least `N` times")
	window := fs.Int("window", def.Window, "co-occurrence window: `N` words either side")
	vocab := fs.Int("vocab", def.Words, "keep the `N` most frequent words in the model (0: all)")
	oversample := fs.Int("oversample", def.Oversample, "`N` extra random directions of the SVD")
	power := fs.Int("power-iterations", def.PowerIterations, "`N` power iterations of the SVD")
	sigmaPower := fs.Float64("sigma-power", def.SigmaPower, "word vectors are U Sigma^`P`")
	smoothing := fs.Float64("smoothing", def.Smoothing, "context-distribution smoothing `exponent` of PPMI")
	shift := fs.Float64("shift", def.Shift, "subtract `log(k)` from every PMI (shifted PPMI)")
	cdef := train.DefaultContrastConfig()
	epochs := fs.Int("contrastive-epochs", cdef.Epochs, "then train the rows for retrieval for `N` contrastive epochs (0: none)")
	pairs := fs.Int("contrastive-pairs", cdef.Pairs, "`N` pairs per contrastive epoch")
	batch := fs.Int("contrastive-batch", cdef.Batch, "`N` pairs per contrastive step (in-batch negatives)")
	temperature := fs.Float64("temperature", cdef.Temperature, "softmax `temperature` of the contrastive loss")
	lr := fs.Float64("contrastive-lr", cdef.LearningRate, "Adam step `size` of the contrastive stage")
	learnWeights := fs.Bool("contrastive-weights", false, "the contrastive stage learns a weight per word too")
	weightRate := fs.Float64("contrastive-weight-rate", cdef.WeightRate, "Adam step `size` of the log of those weights")
	fixedRows := fs.Bool("contrastive-fixed-rows", false, "the contrastive stage learns only the weights (with --contrastive-weights)")
	anchored := fs.Float64("contrastive-anchored", cdef.Anchored, "`share` of contrastive batches drawn from contexts that share one frequent word")
	disjoint := fs.Bool("contrastive-disjoint", false, "drop from each pair's second text the words of its first")
	spread := fs.Float64("contrastive-spread", 0, "add `S` times the mean squared cosine of unrelated texts to the contrastive loss")
	initModel := fs.String("init", "", "skip the SVD: start the contrastive stage from the model `FILE` (made by train from the same corpus)")
	rest, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	corpora = append(corpora, rest...) // "--corpus a b c" means three files
	if len(corpora) == 0 || *out == "" {
		fs.Usage()
		return errors.New("model train: --corpus and --out are required")
	}
	cfg := def
	cfg.Seed, cfg.Dim, cfg.MinCount, cfg.Window, cfg.Words = *seed, *dim, *minCount, *window, *vocab
	cfg.Oversample, cfg.PowerIterations = *oversample, *power
	cfg.SigmaPower, cfg.Smoothing, cfg.Shift = *sigmaPower, *smoothing, *shift
	cfg.Logf = func(format string, args ...any) { fmt.Fprintf(stderr, format+"\n", args...) }

	start := time.Now()
	decon := train.NewDecontaminator()
	for _, path := range decontaminate {
		f, err := os.Open(path)
		if err != nil {
			return err
		}
		n, err := decon.ReadEvalFile(f)
		f.Close()
		if err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		fmt.Fprintf(stdout, "decontaminate: %s: %d texts\n", path, n)
	}
	corpus := train.NewCorpus(decon)
	for _, path := range corpora {
		before := corpus.Stats()
		format, err := readCorpusFile(path, func(r train.Record) error {
			corpus.Add(r)
			return nil
		})
		if err != nil {
			return err
		}
		s := corpus.Stats()
		fmt.Fprintf(stdout, "corpus: %s (%s): %d records, %d kept\n", path, format, s.Records-before.Records, s.Contexts-before.Contexts)
	}
	fmt.Fprintf(stdout, "corpus: %s (read in %.1fs)\n", corpus.Stats(), time.Since(start).Seconds())

	var model *semantic.Model
	if *initModel != "" {
		if *epochs == 0 {
			return errors.New("model train: --init needs --contrastive-epochs")
		}
		model, err = loadModelFlag(*initModel)
	} else {
		model, err = train.Run(context.Background(), corpus, cfg)
	}
	if err != nil {
		return err
	}
	if *epochs > 0 {
		ccfg := cdef
		ccfg.Epochs, ccfg.Pairs, ccfg.Batch, ccfg.Temperature, ccfg.LearningRate = *epochs, *pairs, *batch, *temperature, *lr
		ccfg.Seed, ccfg.Logf = *seed, cfg.Logf
		ccfg.Weights, ccfg.WeightRate, ccfg.FixedRows, ccfg.Anchored = *learnWeights, *weightRate, *fixedRows, *anchored
		ccfg.Disjoint, ccfg.Spread = *disjoint, *spread
		if model, err = train.Contrast(context.Background(), corpus, model, ccfg); err != nil {
			return err
		}
	}
	if err := os.MkdirAll(*out, 0o755); err != nil {
		return err
	}
	path := filepath.Join(*out, semantic.ModelFile)
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	size, err := model.WriteTo(f)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	info := model.Info()
	fmt.Fprintf(stdout, "model: %s: %d bytes, %d words (of %d trained) x %d, %s, trained in %.1fs\n",
		path, size, info.Words, info.TrainedWords, info.Dim, model.Fingerprint(), time.Since(start).Seconds())
	return nil
}

// loadModelFlag loads --model, or the built-in model when it is empty.
func loadModelFlag(path string) (*semantic.Model, error) {
	if path == "" {
		return semantic.Default()
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return semantic.Load(f)
}

func modelNeighbors(args []string, stdout, stderr io.Writer) error {
	fs := newModelFlags("neighbors", `Usage: agentry model neighbors [--model FILE] [-n N] WORD...

Prints the words whose vectors are closest to each word's (words are
tokenized as search does, so "databases" looks up "databas").

Flags:
`, stderr)
	path := fs.String("model", "", "model `FILE` (default: the built-in model)")
	n := fs.Int("n", 10, "how many `neighbors` to print")
	words, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	if len(words) == 0 {
		fs.Usage()
		return errors.New("model neighbors: a word is required")
	}
	m, err := loadModelFlag(*path)
	if err != nil {
		return err
	}
	for _, w := range words {
		toks := search.Tokenize(w)
		if len(toks) == 0 {
			fmt.Fprintf(stdout, "%s: no token\n", w)
			continue
		}
		near := m.Nearest(toks[0], *n)
		if near == nil {
			fmt.Fprintf(stdout, "%s (%s): not in the vocabulary\n", w, toks[0])
			continue
		}
		parts := make([]string, len(near))
		for i, nb := range near {
			parts[i] = fmt.Sprintf("%s %.2f", nb.Word, nb.Cosine)
		}
		fmt.Fprintf(stdout, "%s (%s): %s\n", w, toks[0], strings.Join(parts, ", "))
	}
	return nil
}

func modelInfo(args []string, stdout, stderr io.Writer) error {
	fs := newModelFlags("info", `Usage: agentry model info [--model FILE]

Flags:
`, stderr)
	path := fs.String("model", "", "model `FILE` (default: the built-in model)")
	if _, err := parseInterspersed(fs, args); err != nil {
		return err
	}
	m, err := loadModelFlag(*path)
	if err != nil {
		return err
	}
	i := m.Info()
	fmt.Fprintf(stdout, "fingerprint %s\nwords %d (of %d trained) x %d dimensions\n", m.Fingerprint(), i.Words, i.TrainedWords, i.Dim)
	fmt.Fprintf(stdout, "corpus %d contexts, %d tokens\n", i.Contexts, i.Tokens)
	fmt.Fprintf(stdout, "window %d, min count %d, smoothing %g, PMI shift %g, SVD oversampling %d and %d power iterations, seed %d, vectors U Sigma^%g, SIF a %g\n",
		i.Window, i.MinCount, i.Smoothing, i.Shift, i.Oversample, i.PowerIterations, i.Seed, i.SigmaPower, i.SIFA)
	return nil
}
