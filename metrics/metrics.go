// Package metrics is what the service counts, on a Prometheus registry of
// its own (never the global one, so that nothing a library registers
// leaks in): requests by route and status, their latency, every call to
// DNSimple by operation and outcome, the rate budget DNSimple reports, the
// cache's hits and misses, refused tokens by reason, whether the shared
// state answers, and the build.
package metrics

import (
	"net/http"
	"runtime/debug"
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/dns-api/dns-api/upstream"
)

// Metrics are the service's collectors.
type Metrics struct {
	registry        *prometheus.Registry
	sharedOnce      sync.Once
	sharedState     prometheus.Gauge
	requests        *prometheus.CounterVec
	latency         *prometheus.HistogramVec
	upstreamCalls   *prometheus.CounterVec
	upstreamLatency *prometheus.HistogramVec
	budgetLeft      prometheus.Gauge
	budgetReset     prometheus.Gauge
	cache           *prometheus.CounterVec
	refusals        *prometheus.CounterVec
}

// New registers the collectors, with the build's version.
func New(version string) *Metrics {
	r := prometheus.NewRegistry()
	m := &Metrics{
		registry: r,
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "dnsapi_http_requests_total", Help: "Requests answered, by route pattern, method and status.",
		}, []string{"route", "method", "status"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "dnsapi_http_request_duration_seconds", Help: "Time to answer a request, by route pattern and method.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 25},
		}, []string{"route", "method"}),
		upstreamCalls: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "dnsapi_dnsimple_calls_total", Help: "Calls to DNSimple, by operation and outcome.",
		}, []string{"operation", "outcome"}),
		upstreamLatency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "dnsapi_dnsimple_call_duration_seconds", Help: "Time DNSimple took to answer, by operation.",
			Buckets: prometheus.DefBuckets,
		}, []string{"operation"}),
		budgetLeft: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "dnsapi_dnsimple_rate_limit_remaining", Help: "Calls left in DNSimple's rate window, as its last answer said.",
		}),
		budgetReset: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "dnsapi_dnsimple_rate_limit_reset_timestamp_seconds", Help: "When DNSimple's rate window resets (Unix time), as its last answer said.",
		}),
		cache: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "dnsapi_cache_lookups_total", Help: "Lookups in the read cache, by kind (set, zone) and result (hit, miss).",
		}, []string{"kind", "result"}),
		refusals: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "dnsapi_auth_refusals_total", Help: "Requests refused for want of a valid token, by reason.",
		}, []string{"reason"}),
	}
	build := prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "dnsapi_build_info", Help: "The build: its version and Go version.",
	}, []string{"version", "goversion"})
	goVersion := "unknown"
	if info, ok := debug.ReadBuildInfo(); ok {
		goVersion = info.GoVersion
	}
	build.WithLabelValues(version, goVersion).Set(1)
	r.MustRegister(m.requests, m.latency, m.upstreamCalls, m.upstreamLatency, m.budgetLeft, m.budgetReset,
		m.cache, m.refusals, build,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// Handler serves the metrics in Prometheus's text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.registry, promhttp.HandlerOpts{})
}

// Request counts one answered request; route is the route's pattern,
// never the raw path.
func (m *Metrics) Request(route, method string, status int, took time.Duration) {
	method = methodLabel(method)
	m.requests.WithLabelValues(route, method, strconv.Itoa(status)).Inc()
	m.latency.WithLabelValues(route, method).Observe(took.Seconds())
}

// methodLabel is the method as a label: HTTP's own, or "other", so that
// nobody can grow the metrics with methods of their own invention.
func methodLabel(method string) string {
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch,
		http.MethodDelete, http.MethodOptions, http.MethodConnect, http.MethodTrace:
		return method
	}
	return "other"
}

// Call counts one call to DNSimple, and what it said of the budget.
func (m *Metrics) Call(c upstream.Call) {
	m.upstreamCalls.WithLabelValues(c.Op, c.Outcome).Inc()
	m.upstreamLatency.WithLabelValues(c.Op).Observe(c.Duration.Seconds())
	if c.RateKnown {
		m.budgetLeft.Set(float64(c.Remaining))
		m.budgetReset.Set(float64(c.Reset.Unix()))
	}
}

// CacheLookup counts a lookup in the read cache.
func (m *Metrics) CacheLookup(kind string, hit bool) {
	result := "miss"
	if hit {
		result = "hit"
	}
	m.cache.WithLabelValues(kind, result).Inc()
}

// Refused counts a request refused for want of a valid token.
func (m *Metrics) Refused(reason string) { m.refusals.WithLabelValues(reason).Inc() }

// SharedState reports whether the shared state (Redis) answers. The gauge
// exists only where a shared state is used.
func (m *Metrics) SharedState(up bool) {
	m.sharedOnce.Do(func() {
		m.sharedState = prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "dnsapi_shared_state_up", Help: "1 while the shared state (Redis) answers; 0 while this instance goes on with state of its own.",
		})
		m.registry.MustRegister(m.sharedState)
	})
	v := 0.0
	if up {
		v = 1
	}
	m.sharedState.Set(v)
}
