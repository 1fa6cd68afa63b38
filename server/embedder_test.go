package server_test

import (
	"context"
	"encoding/json"
	"hash/fnv"
	"math"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	data "github.com/aws/aws-sdk-go-v2/service/bedrockagentcore"

	"github.com/agentry/agentry/embed"
	"github.com/agentry/agentry/server"
)

// fakeEmbeddings is an OpenAI-compatible embeddings service (a true
// boundary of agentry): each word votes for one of 16 topic dimensions,
// and words listed in topics share one, so "inbox" lands near "email".
func fakeEmbeddings(t *testing.T, down *atomic.Bool) *httptest.Server {
	topics := map[string]int{"email": 1, "inbox": 1, "postbox": 1, "gmail": 1, "weather": 2, "forecast": 2, "rain": 2}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if down.Load() {
			http.Error(w, "down", http.StatusInternalServerError)
			return
		}
		var req struct{ Input []string }
		json.NewDecoder(r.Body).Decode(&req)
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
	var down atomic.Bool
	api := fakeEmbeddings(t, &down)
	e, err := embed.NewHTTP(embed.HTTPConfig{URL: api.URL, Model: "fake"})
	if err != nil {
		t.Fatal(err)
	}
	ts := startServerWith(t, func(c *server.Config) { c.Embedder = e })
	reg := seedCatalog(t, ts)
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
}
