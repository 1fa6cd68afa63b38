package server

import (
	"context"
	"net/http"
	"time"

	"github.com/agentry/agentry/httpapi"
	"github.com/agentry/agentry/metrics"
	"github.com/agentry/agentry/registry"
	"github.com/agentry/agentry/search"
)

// newMetrics returns the metrics of a server, with gauges that read the
// index and the change feed at each scrape.
func newMetrics(store registry.Store, index *search.Index, feed *search.Follower) *metrics.Metrics {
	m := metrics.New()
	stat := func(f func(search.Stats) int) func() float64 {
		return func() float64 { return float64(f(index.Stats())) }
	}
	m.Gauge("agentry_index_registries", "Registries with records in this replica's search index.",
		stat(func(s search.Stats) int { return s.Registries }))
	m.Gauge("agentry_index_records", "Records in this replica's search index.",
		stat(func(s search.Stats) int { return s.Records }))
	m.Gauge("agentry_index_vectors", "Indexed records with their semantic vector.",
		stat(func(s search.Stats) int { return s.Vectors }))
	m.Gauge("agentry_index_vectors_pending", "Indexed records waiting for their semantic vector.",
		stat(func(s search.Stats) int { return s.VectorsPending }))
	m.Gauge("agentry_index_approx_serving", "Registries whose semantic leg an approximate (HNSW) index serves.",
		stat(func(s search.Stats) int { return s.ApproxServing }))
	m.Gauge("agentry_index_approx_building", "Registries whose first approximate (HNSW) index is being built.",
		stat(func(s search.Stats) int { return s.ApproxBuilding }))
	m.Gauge("agentry_change_feed_applied_seq", "The last change-feed entry this replica's index has applied.",
		func() float64 { return float64(feed.Applied()) })
	m.Gauge("agentry_change_feed_lag_entries", "Change-feed entries committed but not yet applied by this replica's index.",
		func() float64 {
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			defer cancel()
			latest, err := store.LatestChange(ctx)
			if err != nil {
				return -1
			}
			return float64(max(0, latest-feed.Applied()))
		})
	return m
}

// observeMetrics counts a finished request.
func observeMetrics(m *metrics.Metrics, f httpapi.Finished) {
	m.Request(f.Operation, f.Status, f.ErrorName, f.Duration)
	if f.MCPMethod != "" {
		m.MCP(f.MCPMethod, f.MCPTool)
	}
	if f.Results >= 0 {
		m.Search(f.Duration, f.Results)
	}
	if f.Status == http.StatusUnauthorized || f.Status == http.StatusForbidden {
		switch f.Denial {
		case "":
			m.Refused(f.ErrorName)
		default:
			m.Refused("iam_" + f.Denial + "_deny")
		}
	}
}
