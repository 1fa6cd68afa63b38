package server_test

import (
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"github.com/agentry/agentry/credentials"
	"github.com/agentry/agentry/registry"
	"github.com/agentry/agentry/semantic"
	"github.com/agentry/agentry/server"
	"github.com/agentry/agentry/store/sqlite"
)

// BenchmarkStartup100k measures how long agentry takes to be ready to
// serve with 100,000 approved records in its SQLite database, with the
// built-in semantic model: the lexical index is built before New returns;
// the vectors are computed in the background on the first start and read
// back from the store on the next, and the approximate index of the
// semantic leg is built in the background as they come.
//
//	go test -run '^$' -bench BenchmarkStartup100k -benchtime 1x ./server/
func BenchmarkStartup100k(b *testing.B) {
	dir := b.TempDir()
	ctx := context.Background()
	store, err := sqlite.Open(ctx, filepath.Join(dir, server.DatabaseFile))
	if err != nil {
		b.Fatal(err)
	}
	seed := loadSeed(b)
	now := time.Now().UTC().Truncate(time.Millisecond)
	err = store.Update(ctx, func(tx registry.Tx) error {
		if err := tx.CreateRegistry(registry.Registry{ID: "startupbench1", Name: "startup", AuthorizerType: registry.AuthorizerAWSIAM,
			Status: registry.RegistryReady, CreatedAt: now, UpdatedAt: now}); err != nil {
			return err
		}
		for i := range 100_000 {
			s := seed[i%len(seed)]
			rev := registry.Revision{Name: fmt.Sprintf("server-%06d", i), Description: s.Description + " " + s.Name,
				DescriptorType: registry.DescriptorMCP, Version: "1.0.0", Status: registry.StatusApproved, UpdatedAt: now,
				Descriptors: registry.Descriptors{MCP: &registry.MCPDescriptor{Server: &registry.ServerDefinition{
					InlineContent: fmt.Sprintf(`{"name":"io.bench/s%d","description":"MCP server","version":"1.0.0"}`, i)}}}}
			if err := tx.CreateRecord(registry.Record{RegistryID: "startupbench1", ID: fmt.Sprintf("r%011d", i), CreatedAt: now,
				Latest: rev, Approved: &rev}); err != nil {
				return err
			}
		}
		return nil
	})
	store.Close()
	if err != nil {
		b.Fatal(err)
	}
	model, err := semantic.Default()
	if err != nil {
		b.Fatal(err)
	}
	start := func(label string) {
		var vectorsReady, approxReady time.Duration
		done := make(chan struct{})
		t0 := time.Now()
		logger := slog.New(&onMessage{fns: map[string]func(){
			"semantic vectors ready":           func() { vectorsReady = time.Since(t0) },
			"approximate semantic index ready": func() { approxReady = time.Since(t0); close(done) },
		}})
		srv, err := server.New(ctx, server.Config{DataDir: dir, Region: "us-east-1", AccountID: "123456789012",
			Root: credentials.Generate(), Embedder: model, Logger: logger})
		if err != nil {
			b.Fatal(err)
		}
		ready := time.Since(t0)
		select {
		case <-done:
		case <-time.After(5 * time.Minute):
			b.Fatal("approximate index not ready within 5 minutes")
		}
		srv.Close()
		b.ReportMetric(ready.Seconds(), label+"-ready-s")
		b.ReportMetric(vectorsReady.Seconds(), label+"-vectors-s")
		b.ReportMetric(approxReady.Seconds(), label+"-approx-s")
	}
	for b.Loop() {
		start("first")
		start("restart")
	}
}

// onMessage is a slog handler that calls fns[msg] when a record with msg
// is logged, and discards everything.
type onMessage struct {
	fns map[string]func()
}

func (h *onMessage) Enabled(context.Context, slog.Level) bool { return true }
func (h *onMessage) Handle(_ context.Context, r slog.Record) error {
	if fn := h.fns[r.Message]; fn != nil {
		fn()
	}
	return nil
}
func (h *onMessage) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h *onMessage) WithGroup(string) slog.Handler      { return h }
