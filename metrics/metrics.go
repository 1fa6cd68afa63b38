// Package metrics holds agentry's Prometheus metrics: what the HTTP
// surfaces, search, the change feed, webhook delivery and JWT key fetches
// report, and the Go runtime and process collectors, in one registry that
// Handler serves in the Prometheus text format.
//
// Labels are bounded: operations, statuses, AWS error names, MCP methods
// and refusal reasons come from fixed sets; no record id, registry id or
// principal is ever a label.
package metrics

import (
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Metrics is the registry of agentry's metrics. The zero value is not
// usable; a nil *Metrics ignores every call, so callers need no checks.
type Metrics struct {
	reg *prometheus.Registry

	requests     *prometheus.CounterVec
	duration     *prometheus.HistogramVec
	mcpCalls     *prometheus.CounterVec
	searchTime   prometheus.Histogram
	searchHits   prometheus.Histogram
	legTime      *prometheus.HistogramVec
	legHits      *prometheus.HistogramVec
	refusals     *prometheus.CounterVec
	fetches      *prometheus.CounterVec
	deliveries   *prometheus.CounterVec
	deadLetters  prometheus.Counter
	deliveryTime prometheus.Histogram
}

// New returns the metrics with the Go runtime and process collectors.
func New() *Metrics {
	m := &Metrics{reg: prometheus.NewRegistry()}
	m.reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	m.requests = m.counterVec("agentry_http_requests_total",
		"HTTP requests answered, by API operation, status code and AWS error name.", "operation", "code", "error")
	m.duration = prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "agentry_http_request_duration_seconds",
		Help:    "Time to answer HTTP requests, by API operation.",
		Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10}}, []string{"operation"})
	m.reg.MustRegister(m.duration)
	m.mcpCalls = m.counterVec("agentry_mcp_requests_total",
		"MCP JSON-RPC requests (single messages), by method and tool.", "method", "tool")
	m.searchTime = m.histogram("agentry_search_duration_seconds",
		"Time to answer searches (REST and MCP), both legs fused.", []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5})
	m.searchHits = m.histogram("agentry_search_results", "Results returned per search.", []float64{0, 1, 2, 5, 10, 20})
	m.legTime = prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "agentry_search_leg_duration_seconds",
		Help:    "Time spent in each leg of a search: lexical, semantic, query_embedding, fusion.",
		Buckets: []float64{.00005, .0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5}}, []string{"leg"})
	m.legHits = prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "agentry_search_leg_results",
		Help:    "Results (candidates) each leg of a search gave; for query_embedding 1, or 0 when the search fell back to lexical.",
		Buckets: []float64{0, 1, 2, 5, 10, 20, 50, 100, 200}}, []string{"leg"})
	m.reg.MustRegister(m.legTime, m.legHits)
	m.refusals = m.counterVec("agentry_auth_refusals_total",
		"Requests refused by authentication or authorization, by reason: a SigV4 or bearer token error name, or iam_explicit_deny / iam_implicit_deny.", "reason")
	m.fetches = m.counterVec("agentry_jwt_fetches_total",
		"Fetches of OIDC discovery documents and JWKS, by outcome (ok, http_error, failed).", "outcome")
	m.deliveries = m.counterVec("agentry_webhook_deliveries_total",
		"Webhook delivery attempts, by outcome (delivered, failed).", "outcome")
	m.deadLetters = prometheus.NewCounter(prometheus.CounterOpts{Name: "agentry_webhook_dead_letters_total",
		Help: "Events given up on after the last try and put in the dead-letter list."})
	m.reg.MustRegister(m.deadLetters)
	m.deliveryTime = m.histogram("agentry_webhook_delivery_delay_seconds",
		"Time from an event's commit to its delivery.", []float64{.01, .05, .1, .25, .5, 1, 2, 5, 10, 30, 60, 300, 1800})
	return m
}

func (m *Metrics) counterVec(name, help string, labels ...string) *prometheus.CounterVec {
	c := prometheus.NewCounterVec(prometheus.CounterOpts{Name: name, Help: help}, labels)
	m.reg.MustRegister(c)
	return c
}

func (m *Metrics) histogram(name, help string, buckets []float64) prometheus.Histogram {
	h := prometheus.NewHistogram(prometheus.HistogramOpts{Name: name, Help: help, Buckets: buckets})
	m.reg.MustRegister(h)
	return h
}

// Handler serves the metrics in the Prometheus text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{ErrorHandling: promhttp.ContinueOnError})
}

// Gauge adds a gauge whose value value reads at each scrape. value must
// be quick and safe for concurrent use.
func (m *Metrics) Gauge(name, help string, value func() float64) {
	if m == nil {
		return
	}
	m.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: name, Help: help}, value))
}

// Request counts an answered HTTP request. operation "" is counted as
// "unknown".
func (m *Metrics) Request(operation string, code int, errorName string, d time.Duration) {
	if m == nil {
		return
	}
	if operation == "" {
		operation = "unknown"
	}
	m.requests.WithLabelValues(operation, strconv.Itoa(code), errorName).Inc()
	m.duration.WithLabelValues(operation).Observe(d.Seconds())
}

// MCP counts an MCP request by JSON-RPC method and tool ("" for none).
func (m *Metrics) MCP(method, tool string) {
	if m == nil {
		return
	}
	m.mcpCalls.WithLabelValues(method, tool).Inc()
}

// Search records a search's latency and result count.
func (m *Metrics) Search(d time.Duration, results int) {
	if m == nil {
		return
	}
	m.searchTime.Observe(d.Seconds())
	m.searchHits.Observe(float64(results))
}

// SearchLeg records the latency and result count of one leg of a search.
// leg is one of a fixed few names (search.Leg).
func (m *Metrics) SearchLeg(leg string, d time.Duration, results int) {
	if m == nil {
		return
	}
	m.legTime.WithLabelValues(leg).Observe(d.Seconds())
	m.legHits.WithLabelValues(leg).Observe(float64(results))
}

// Refused counts a request refused by authentication or authorization.
func (m *Metrics) Refused(reason string) {
	if m == nil {
		return
	}
	m.refusals.WithLabelValues(reason).Inc()
}

// Delivery counts a webhook delivery attempt; delay is the time since the
// event's commit when it succeeded.
func (m *Metrics) Delivery(ok bool, delay time.Duration) {
	if m == nil {
		return
	}
	if ok {
		m.deliveries.WithLabelValues("delivered").Inc()
		m.deliveryTime.Observe(delay.Seconds())
		return
	}
	m.deliveries.WithLabelValues("failed").Inc()
}

// DeadLetter counts an event given up on.
func (m *Metrics) DeadLetter() {
	if m == nil {
		return
	}
	m.deadLetters.Inc()
}

// CountFetches wraps rt so that each request it makes is counted as a JWT
// key or discovery fetch.
func (m *Metrics) CountFetches(rt http.RoundTripper) http.RoundTripper {
	if m == nil {
		return rt
	}
	return roundTripFunc(func(r *http.Request) (*http.Response, error) {
		resp, err := rt.RoundTrip(r)
		switch {
		case err != nil:
			m.fetches.WithLabelValues("failed").Inc()
		case resp.StatusCode >= 300:
			m.fetches.WithLabelValues("http_error").Inc()
		default:
			m.fetches.WithLabelValues("ok").Inc()
		}
		return resp, err
	})
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }
