package server_test

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"log/slog"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	data "github.com/aws/aws-sdk-go-v2/service/bedrockagentcore"
	ctl "github.com/aws/aws-sdk-go-v2/service/bedrockagentcorecontrol"
	"github.com/aws/aws-sdk-go-v2/service/bedrockagentcorecontrol/types"

	"github.com/agentry/agentry/embedding"
	"github.com/agentry/agentry/server"
)

// fakeEmbeddings is an OpenAI-compatible embeddings service (a true
// boundary of agentry): each word votes for one of 16 topic dimensions,
// and words listed in topics share one, so "inbox" lands near "email".
func fakeEmbeddings(t testing.TB, down *atomic.Bool) *httptest.Server {
	return fakeEmbeddingsLog(t, down, nil)
}

// fakeEmbeddingsLog is fakeEmbeddings that also counts, per model, the
// texts it was asked to embed.
func fakeEmbeddingsLog(t testing.TB, down *atomic.Bool, seen *textLog) *httptest.Server {
	return fakeEmbeddingsHook(t, down, seen, nil)
}

// fakeEmbeddingsHook is fakeEmbeddingsLog that calls before, when set, at
// the start of every request: to count calls, or to make them slow.
func fakeEmbeddingsHook(t testing.TB, down *atomic.Bool, seen *textLog, before func(*http.Request)) *httptest.Server {
	topics := map[string]int{"email": 1, "inbox": 1, "postbox": 1, "gmail": 1, "weather": 2, "forecast": 2, "rain": 2}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if before != nil {
			before(r)
		}
		if down.Load() {
			http.Error(w, "down", http.StatusInternalServerError)
			return
		}
		var req struct {
			Model string
			Input []string
		}
		json.NewDecoder(r.Body).Decode(&req)
		if seen != nil {
			seen.add(req.Model, req.Input)
		}
		type item struct {
			Index     int       `json:"index"`
			Embedding []float32 `json:"embedding"`
		}
		var out struct {
			Data []item `json:"data"`
		}
		for i, text := range req.Input {
			v := make([]float32, 16)
			for _, word := range strings.Fields(strings.ToLower(text)) {
				d, ok := topics[strings.Trim(word, ".,")]
				if !ok {
					h := fnv.New32a()
					h.Write([]byte(word))
					d = 3 + int(h.Sum32()%13)
				}
				v[d]++
			}
			var n float64
			for _, x := range v {
				n += float64(x * x)
			}
			for j := range v {
				v[j] /= float32(math.Sqrt(n) + 1e-9)
			}
			out.Data = append(out.Data, item{Index: i, Embedding: v})
		}
		json.NewEncoder(w).Encode(out)
	}))
	t.Cleanup(srv.Close)
	return srv
}

func TestHybridSearchWithEmbedder(t *testing.T) {
	// Threshold 1 puts every registry's vectors in an approximate index.
	for _, threshold := range []int{0, 1} {
		t.Run(fmt.Sprintf("approx-threshold=%d", threshold), func(t *testing.T) {
			var down atomic.Bool
			api := fakeEmbeddings(t, &down)
			ts := startServerWith(t, func(c *server.Config) { c.EmbedderURL, c.EmbedderModel, c.ApproxThreshold = api.URL, "fake", threshold })
			reg := seedCatalog(t, ts)
			ts.waitVectors(t)
			dc := ts.dataClient(ts.Key.AccessKeyID, ts.Key.SecretAccessKey)
			find := func(q string) []string {
				t.Helper()
				out, err := dc.SearchRegistryRecords(context.Background(), &data.SearchRegistryRecordsInput{RegistryIds: []string{reg}, SearchQuery: aws.String(q)})
				if err != nil {
					t.Fatal(err)
				}
				return names(out.RegistryRecords)
			}
			// No record says "postbox": only the semantic leg connects it to gmail.
			if got := find("postbox"); len(got) == 0 || got[0] != "gmail" {
				t.Fatalf("hybrid search for mail: %v", got)
			}
			// With the embedding service down, search still answers, lexically.
			down.Store(true)
			if got := find("weather forecast"); len(got) == 0 || got[0] != "weather" {
				t.Fatalf("lexical fallback: %v", got)
			}
		})
	}
}

type textLog struct {
	mu    sync.Mutex
	texts map[string][]string // model -> texts
}

func (l *textLog) add(model string, texts []string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.texts == nil {
		l.texts = map[string][]string{}
	}
	l.texts[model] = append(l.texts[model], texts...)
}

// count returns how many texts containing substr model was asked for.
func (l *textLog) count(model, substr string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	for _, t := range l.texts[model] {
		if strings.Contains(t, substr) {
			n++
		}
	}
	return n
}

// TestVectorsStoredReusedRecomputed: record vectors are stored with the
// record's content under the model's fingerprint, reused after a restart,
// computed again for a new model, and fused into the ranking.
func TestVectorsStoredReusedRecomputed(t *testing.T) {
	var down atomic.Bool
	seen := &textLog{}
	api := fakeEmbeddingsLog(t, &down, seen)
	embedder := func(model string) *embedding.HTTP {
		e, err := embedding.NewHTTP(embedding.HTTPConfig{URL: api.URL, Model: model})
		if err != nil {
			t.Fatal(err)
		}
		return e
	}
	dir := t.TempDir()
	ts := startServerWith(t, func(c *server.Config) { c.DataDir, c.Embedder = dir, embedder("model-a") })
	reg := seedCatalog(t, ts)
	ts.waitVectors(t)
	const gmailText = "Read and send email from a Gmail inbox"
	if n := seen.count("model-a", gmailText); n != 1 {
		t.Fatalf("model-a embedded gmail's text %d times, want 1", n)
	}
	key, dbURL := ts.Key, ts.cfg.DatabaseURL
	ts.srv.Close()

	// waitSemantic waits until the semantic leg finds gmail for "postbox",
	// a word no record contains.
	waitSemantic := func(ts *testServer) {
		t.Helper()
		dc := ts.dataClient(key.AccessKeyID, key.SecretAccessKey)
		deadline := time.Now().Add(10 * time.Second)
		for {
			out, err := dc.SearchRegistryRecords(context.Background(), &data.SearchRegistryRecordsInput{
				RegistryIds: []string{reg}, SearchQuery: aws.String("postbox")})
			if err == nil && len(out.RegistryRecords) > 0 && aws.ToString(out.RegistryRecords[0].Name) == "gmail" {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("the semantic leg never found gmail: %v", err)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}

	// restart starts the server again on the same store with a model
	// (and log), waits until the semantic leg serves, checks how many times
	// in all the model has embedded gmail's text, waits for done if given,
	// and stops the server.
	restart := func(model string, embedded int, log *slog.Logger, done <-chan struct{}) {
		t.Helper()
		ts := startServerWith(t, func(c *server.Config) {
			c.DataDir, c.DatabaseURL, c.Root, c.Embedder = dir, dbURL, key, embedder(model)
			if log != nil {
				c.Logger = log
			}
		})
		waitSemantic(ts)
		if n := seen.count(model, gmailText); n != embedded {
			t.Fatalf("%s embedded gmail's text %d times in all, want %d", model, n, embedded)
		}
		if done != nil {
			select {
			case <-done:
			case <-time.After(10 * time.Second):
				t.Fatalf("%s: the server never logged what the test waits for", model)
			}
		}
		ts.srv.Close()
	}

	// The same model after a restart: the stored vectors are used.
	restart("model-a", 1, nil, nil)

	// Another model: its vectors are computed (in the background) and used,
	// and then model-a's, which nothing uses now, are deleted.
	pruned := make(chan struct{})
	var once sync.Once
	restart("model-b", 1, slog.New(&onMessage{fns: map[string]func(){
		"stale stored vectors deleted": func() { once.Do(func() { close(pruned) }) }}}), pruned)

	// model-b again: its own vectors were kept.
	restart("model-b", 1, nil, nil)
	// model-a again: its vectors are gone from the store, so they are
	// computed again.
	restart("model-a", 2, nil, nil)
}

// writeStaticModel writes a tiny model2vec model (WordPiece tokenizer.json
// and an F32 model.safetensors) in which mail words share one dimension
// and weather words another; every other word gets a dimension of its own.
func writeStaticModel(t *testing.T) string {
	t.Helper()
	vocab := []string{"[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]",
		"email", "inbox", "postbox", "gmail", "mail", "weather", "forecast", "github", "issues", "sql", "database", "read", "send", "from", "a"}
	const dim = 16
	topic := map[string]int{"email": 1, "inbox": 1, "postbox": 1, "gmail": 1, "mail": 1, "weather": 2, "forecast": 2}
	ids := map[string]int{}
	var table []byte
	for i, w := range vocab {
		ids[w] = i
		row := make([]float32, dim)
		if d, ok := topic[w]; ok {
			row[d] = 1
		} else {
			row[3+i%(dim-3)] = 1
		}
		for _, x := range row {
			table = binary.LittleEndian.AppendUint32(table, math.Float32bits(x))
		}
	}
	header, _ := json.Marshal(map[string]any{"embeddings": map[string]any{
		"dtype": "F32", "shape": []int{len(vocab), dim}, "data_offsets": []int{0, len(table)}}})
	for len(header)%8 != 0 {
		header = append(header, ' ')
	}
	model := append(binary.LittleEndian.AppendUint64(nil, uint64(len(header))), header...)
	tokenizer, _ := json.Marshal(map[string]any{
		"version":       "1.0",
		"normalizer":    map[string]any{"type": "BertNormalizer", "clean_text": true, "handle_chinese_chars": true, "strip_accents": nil, "lowercase": true},
		"pre_tokenizer": map[string]any{"type": "BertPreTokenizer"},
		"model":         map[string]any{"type": "WordPiece", "unk_token": "[UNK]", "continuing_subword_prefix": "##", "max_input_chars_per_word": 100, "vocab": ids},
	})
	dir := t.TempDir()
	for name, b := range map[string][]byte{"model.safetensors": append(model, table...), "tokenizer.json": tokenizer} {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// TestHybridSearchWithStaticModel runs the semantic leg on a model2vec
// directory loaded by agentry itself.
func TestHybridSearchWithStaticModel(t *testing.T) {
	dir := writeStaticModel(t)
	ts := startServerWith(t, func(c *server.Config) { c.EmbedderModelDir = dir })
	reg := seedCatalog(t, ts)
	ts.waitVectors(t)
	out, err := ts.dataClient(ts.Key.AccessKeyID, ts.Key.SecretAccessKey).SearchRegistryRecords(context.Background(),
		&data.SearchRegistryRecordsInput{RegistryIds: []string{reg}, SearchQuery: aws.String("postbox")})
	if err != nil {
		t.Fatal(err)
	}
	if got := names(out.RegistryRecords); len(got) == 0 || got[0] != "gmail" {
		t.Fatalf("static-model search for postbox: %v", got)
	}
}

// waitVectors waits until every record written so far has its vector.
func (ts *testServer) waitVectors(t testing.TB) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := ts.srv.WaitVectors(ctx); err != nil {
		t.Fatalf("vectors not ready: %v", err)
	}
}

// promptly runs a write with a deadline well beyond what it may take, and
// fails the test if it errs or takes more than a second.
func promptly(t *testing.T, what string, write func(context.Context) error) {
	t.Helper()
	if err := within(what, time.Second, write); err != nil {
		t.Fatal(err)
	}
}

// within runs write and returns its error, or one that says it took
// longer than limit.
func within(what string, limit time.Duration, write func(context.Context) error) error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*limit)
	defer cancel()
	start := time.Now()
	if err := write(ctx); err != nil {
		return fmt.Errorf("%s: %w (after %v)", what, err, time.Since(start))
	}
	if d := time.Since(start); d > limit {
		return fmt.Errorf("%s took %v", what, d)
	}
	return nil
}

// searchNames returns the names SearchRegistryRecords finds for q in reg.
func (ts *testServer) searchNames(t *testing.T, reg, q string) []string {
	t.Helper()
	out, err := ts.dataClient(ts.Key.AccessKeyID, ts.Key.SecretAccessKey).SearchRegistryRecords(context.Background(),
		&data.SearchRegistryRecordsInput{RegistryIds: []string{reg}, SearchQuery: aws.String(q)})
	if err != nil {
		t.Fatal(err)
	}
	return names(out.RegistryRecords)
}

// TestWritesDoNotWaitForTheEmbedder: with an embedding service that does
// not answer, records are created, approved and updated at once, and are
// searchable lexically at once; semantically once the service answers.
func TestWritesDoNotWaitForTheEmbedder(t *testing.T) {
	release := make(chan struct{})
	var calls atomic.Int64
	var down atomic.Bool
	api := fakeEmbeddingsHook(t, &down, nil, func(r *http.Request) {
		calls.Add(1)
		select {
		case <-release:
		case <-r.Context().Done():
		}
	})
	e, err := embedding.NewHTTP(embedding.HTTPConfig{URL: api.URL, Model: "stuck"})
	if err != nil {
		t.Fatal(err)
	}
	ts := startServerWith(t, func(c *server.Config) { c.Embedder = e })
	var once sync.Once
	t.Cleanup(func() { once.Do(func() { close(release) }) }) // runs first: lets the server stop
	auto, manual := ts.createRegistry(t, "auto", true), ts.createRegistry(t, "manual", false)

	create := func(reg, name, description string) (id string) {
		t.Helper()
		promptly(t, "create "+name, func(ctx context.Context) error {
			out, err := ts.Client.CreateRegistryRecord(ctx, &ctl.CreateRegistryRecordInput{
				RegistryId: aws.String(reg), Name: aws.String(name), Description: aws.String(description),
				DescriptorType: types.DescriptorTypeMcp, Descriptors: mcpDescriptors(serverJSON("io.example/"+name, description, "1.0.0"))})
			if err == nil {
				id = aws.ToString(out.RecordArn)[strings.LastIndex(aws.ToString(out.RecordArn), "/")+1:]
			}
			return err
		})
		return id
	}
	submit := func(reg, id string) func(context.Context) error {
		return func(ctx context.Context) error {
			_, err := ts.Client.SubmitRegistryRecordForApproval(ctx, &ctl.SubmitRegistryRecordForApprovalInput{
				RegistryId: aws.String(reg), RecordId: aws.String(id)})
			return err
		}
	}

	// An automatic approval and, while the embedder holds its vector,
	// another client's create and a curator's approval: none of them
	// waits for the embedder, nor for one another.
	gmail := create(auto, "gmail", "Read and send email from a Gmail inbox")
	weather := create(manual, "weather", "Weather forecasts and severe weather alerts")
	promptly(t, "submit weather", submit(manual, weather))
	approved := make(chan error, 1)
	go func() { approved <- within("submit gmail", time.Second, submit(auto, gmail)) }()
	for deadline := time.Now().Add(5 * time.Second); calls.Load() == 0; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the embedder was never asked for the approved record's vector")
		}
	}
	create(auto, "github", "Manage GitHub repositories and issues")
	promptly(t, "approve weather", func(ctx context.Context) error {
		_, err := ts.Client.UpdateRegistryRecordStatus(ctx, &ctl.UpdateRegistryRecordStatusInput{RegistryId: aws.String(manual),
			RecordId: aws.String(weather), Status: types.RegistryRecordStatusApproved, StatusReason: aws.String("ok")})
		return err
	})
	if err := <-approved; err != nil {
		t.Fatal(err)
	}
	// An edit of the approved record, approved again.
	promptly(t, "update gmail", func(ctx context.Context) error {
		_, err := ts.Client.UpdateRegistryRecord(ctx, &ctl.UpdateRegistryRecordInput{RegistryId: aws.String(auto), RecordId: aws.String(gmail),
			Description: &types.UpdatedDescription{OptionalValue: aws.String("Read, search and send email from a Gmail inbox")}})
		return err
	})
	promptly(t, "submit gmail again", submit(auto, gmail))

	// Lexically searchable at once; not semantically while no vector is
	// ready ("postbox" is in no record).
	if got := ts.searchNames(t, auto, "gmail"); len(got) != 1 || got[0] != "gmail" {
		t.Fatalf("lexical search for gmail: %v", got)
	}
	if got := ts.searchNames(t, manual, "forecast"); len(got) != 1 || got[0] != "weather" {
		t.Fatalf("lexical search for forecast: %v", got)
	}
	if got := ts.searchNames(t, auto, "postbox"); len(got) != 0 {
		t.Fatalf("semantic search before any vector: %v", got)
	}
	once.Do(func() { close(release) })
	ts.waitVectors(t)
	if got := ts.searchNames(t, auto, "postbox"); len(got) == 0 || got[0] != "gmail" {
		t.Fatalf("semantic search once the embedder answered: %v", got)
	}
}

// TestEmbedderOutageNeverFailsAWrite: with the embedding service down,
// writes succeed at once, and the vectors arrive once it is back.
func TestEmbedderOutageNeverFailsAWrite(t *testing.T) {
	var down atomic.Bool
	down.Store(true)
	var failed atomic.Int64
	api := fakeEmbeddingsHook(t, &down, nil, func(*http.Request) {
		if down.Load() {
			failed.Add(1)
		}
	})
	e, err := embedding.NewHTTP(embedding.HTTPConfig{URL: api.URL, Model: "flaky"})
	if err != nil {
		t.Fatal(err)
	}
	ts := startServerWith(t, func(c *server.Config) { c.Embedder = e })
	reg := ts.createRegistry(t, "outage", true)
	for _, r := range [][2]string{{"gmail", "Read and send email from a Gmail inbox"}, {"weather", "Weather forecasts"}, {"github", "GitHub issues"}} {
		promptly(t, "publish "+r[0], func(ctx context.Context) error {
			out, err := ts.Client.CreateRegistryRecord(ctx, &ctl.CreateRegistryRecordInput{
				RegistryId: aws.String(reg), Name: aws.String(r[0]), Description: aws.String(r[1]),
				DescriptorType: types.DescriptorTypeMcp, Descriptors: mcpDescriptors(serverJSON("io.example/"+r[0], r[1], "1.0.0"))})
			if err != nil {
				return err
			}
			_, err = ts.Client.SubmitRegistryRecordForApproval(ctx, &ctl.SubmitRegistryRecordForApprovalInput{
				RegistryId: aws.String(reg), RecordId: out.RecordArn})
			return err
		})
	}
	if got := ts.searchNames(t, reg, "gmail"); len(got) != 1 || got[0] != "gmail" {
		t.Fatalf("lexical search during the outage: %v", got)
	}
	for deadline := time.Now().Add(10 * time.Second); failed.Load() == 0; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the embedder was never asked for a vector")
		}
	}
	down.Store(false)
	ts.waitVectors(t)
	if got := ts.searchNames(t, reg, "postbox"); len(got) == 0 || got[0] != "gmail" {
		t.Fatalf("semantic search after the outage: %v", got)
	}
}
