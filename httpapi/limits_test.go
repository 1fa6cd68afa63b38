package httpapi

import (
	"errors"
	"testing"
)

// TestBudget checks the rules of the transfer budget: a client's share,
// the half that unauthenticated callers may hold, the whole, the clamp of
// one request to a share, and release.
func TestBudget(t *testing.T) {
	b := newBudget(TransferLimits{InFlightBytes: 100, ClientBytes: 40})
	busy := func(err error, client bool) {
		t.Helper()
		var e *errBusy
		if !errors.As(err, &e) || e.client != client {
			t.Fatalf("got %v, want busy (client share full: %v)", err, client)
		}
	}
	a1, a2 := &hold{b: b}, &hold{b: b}
	if err := a1.charge("10.0.0.1 alice", false, 30); err != nil {
		t.Fatal(err)
	}
	busy(a2.charge("10.0.0.1 alice", false, 11), true) // alice's share is 40
	if err := a2.charge("10.0.0.2 alice", false, 11); err != nil {
		t.Fatal(err) // the same principal from another address is another client
	}

	// Unauthenticated callers may hold half of the whole, from any address.
	anon := []*hold{{b: b}, {b: b}}
	if err := anon[0].charge("10.0.0.3 ", true, 40); err != nil {
		t.Fatal(err)
	}
	busy(anon[1].charge("10.0.0.4 ", true, 11), false)
	if err := anon[1].charge("10.0.0.4 ", true, 9); err != nil {
		t.Fatal(err)
	}
	// 30 + 11 + 40 + 9 = 90 of 100 are held.
	busy((&hold{b: b}).charge("10.0.0.5 bob", false, 11), false)

	// One request is charged at most a share: an answer larger than the
	// share goes out when the client holds nothing else.
	a1.release()
	big := &hold{b: b}
	if err := big.charge("10.0.0.1 alice", false, 5); err != nil {
		t.Fatal(err)
	}
	if err := big.charge("10.0.0.1 alice", false, 1000); err != nil {
		t.Fatal(err)
	}
	if got := b.clients["10.0.0.1 alice"]; got != 40 {
		t.Fatalf("alice holds %d, want her share, 40", got)
	}
	for _, h := range append(anon, big, a2) {
		h.release()
	}
	if b.used != 0 || b.anonymous != 0 || len(b.clients) != 0 {
		t.Fatalf("after release: used %d, anonymous %d, clients %v", b.used, b.anonymous, b.clients)
	}
}
