package sigv4

import (
	"net/http"
	"sync"
	"time"
)

// ReplayGuard refuses a signed write request that was already accepted:
// a signature is unique to its request and its second, so one seen twice
// within the clock-skew window is a captured request played back. Reads
// are not guarded (repeating them changes nothing). It remembers signatures
// in this process only, so behind a load balancer it guards each replica
// separately.
type ReplayGuard struct {
	mu       sync.Mutex
	seen     map[string]time.Time // signature -> when it stops mattering
	order    []string             // signatures in arrival order, for expiry
	capacity int
}

// NewReplayGuard remembers at most capacity signatures (0 = one million);
// past that the oldest are forgotten first.
func NewReplayGuard(capacity int) *ReplayGuard {
	if capacity <= 0 {
		capacity = 1 << 20
	}
	return &ReplayGuard{seen: make(map[string]time.Time), capacity: capacity}
}

// check records signature and reports whether it was seen already. until
// is when the request's signature could no longer pass the time check.
func (g *ReplayGuard) check(signature string, now, until time.Time) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	for len(g.order) > 0 {
		oldest := g.order[0]
		if exp, ok := g.seen[oldest]; ok && exp.After(now) && len(g.order) < g.capacity {
			break
		}
		delete(g.seen, oldest)
		g.order = g.order[1:]
	}
	if exp, ok := g.seen[signature]; ok && exp.After(now) {
		return true
	}
	g.seen[signature] = until
	g.order = append(g.order, signature)
	return false
}

// isWrite reports whether a request of this method can change state.
func isWrite(method string) bool {
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodOptions:
		return false
	}
	return true
}
