package httpapi

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"sync"
	"time"

	"github.com/agentry/agentry/registry"
)

// Clients can pin server memory by sending a request body slowly or by
// reading a large answer slowly: the bytes stay in memory until the transfer
// ends. A transfer budget bounds that memory. Each request body is charged
// before it is read, each answer larger than a socket buffer before it is
// written, and both are released when the request ends; what does not fit
// is refused at once, with 429 when the client's own share is full and 503
// when the server's is. A minimum transfer rate bounds how long a transfer
// may hold its bytes.

// Defaults of TransferLimits.
const (
	DefaultInFlightBytes  = 64 << 20
	DefaultClientBytes    = 16 << 20
	DefaultMinRate        = 64 << 10 // bytes per second
	DefaultTransferGrace  = 10 * time.Second
	smallAnswer           = 16 << 10 // fits a socket's send buffer: never charged
	chunkedBodyStep       = 32 << 10 // a body of unknown length is charged by this much at a time
	busyRetryAfterSeconds = 1
)

// TransferLimits bound the memory that clients' transfers hold.
type TransferLimits struct {
	// InFlightBytes bounds the bytes of request bodies being read or
	// handled and of large answers being written, across all clients;
	// callers not yet authenticated may hold half of it. 0 =
	// DefaultInFlightBytes.
	InFlightBytes int64
	// ClientBytes is one client's share: a client is a peer address and
	// the principal its credential names (callers without one share their
	// address's). 0 = DefaultClientBytes.
	ClientBytes int64
	// MinRate (bytes per second) and Grace bound the time a body may take
	// to arrive and a large answer to be read: Grace + size/MinRate. 0 =
	// the defaults.
	MinRate int64
	Grace   time.Duration
}

func (l TransferLimits) withDefaults() TransferLimits {
	if l.InFlightBytes <= 0 {
		l.InFlightBytes = DefaultInFlightBytes
	}
	if l.ClientBytes <= 0 {
		l.ClientBytes = DefaultClientBytes
	}
	l.ClientBytes = min(l.ClientBytes, l.InFlightBytes)
	if l.MinRate <= 0 {
		l.MinRate = DefaultMinRate
	}
	if l.Grace <= 0 {
		l.Grace = DefaultTransferGrace
	}
	return l
}

// deadline is when a transfer of n bytes that started at start must have
// ended.
func (l TransferLimits) deadline(start time.Time, n int64) time.Time {
	return start.Add(l.Grace + time.Duration(n)*time.Second/time.Duration(l.MinRate))
}

// budget is the transfer budget: bytes charged, in all and per client.
type budget struct {
	limits    TransferLimits
	mu        sync.Mutex
	used      int64
	anonymous int64            // charged to callers without a checked credential
	clients   map[string]int64 // client -> bytes charged
}

func newBudget(l TransferLimits) *budget {
	return &budget{limits: l.withDefaults(), clients: map[string]int64{}}
}

// errBusy is a charge that does not fit; client says whose share is full.
// busyError says how it is answered.
type errBusy struct{ client bool }

func (e *errBusy) Error() string { return "transfer budget exhausted" }

// charge takes n bytes for client, or reports why it cannot.
func (b *budget) charge(client string, anonymous bool, n int64) *errBusy {
	b.mu.Lock()
	defer b.mu.Unlock()
	switch {
	case b.clients[client]+n > b.limits.ClientBytes:
		return &errBusy{client: true}
	case b.used+n > b.limits.InFlightBytes, anonymous && b.anonymous+n > b.limits.InFlightBytes/2:
		return &errBusy{}
	}
	b.used += n
	b.clients[client] += n
	if anonymous {
		b.anonymous += n
	}
	return nil
}

func (b *budget) release(client string, anonymous bool, n int64) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.used -= n
	if b.clients[client] -= n; b.clients[client] <= 0 {
		delete(b.clients, client)
	}
	if anonymous {
		b.anonymous -= n
	}
}

// hold is what one request has charged; it is released when the request
// ends. The MCP SDK runs a tool on a goroutine of its own, which may still
// charge after the request ended (its client went away): such charges are
// refused.
type hold struct {
	b        *budget
	peer     string // the client's address
	mu       sync.Mutex
	charges  []charge
	answer   int64 // bytes charged for the answer so far
	released bool
}

type charge struct {
	client    string
	anonymous bool
	n         int64
}

// client names a client for the budget: the peer address and who it is
// ("" when it has no checked credential).
func (h *hold) client(who string) string { return h.peer + " " + who }

// charge takes n bytes for client. A request is charged at most a client's
// share in all, so that an answer larger than the share can still go out
// when the client has nothing else in transit.
func (h *hold) charge(client string, anonymous bool, n int64) *errBusy {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.chargeLocked(client, anonymous, n)
}

func (h *hold) chargeLocked(client string, anonymous bool, n int64) *errBusy {
	if h.released {
		return &errBusy{}
	}
	own := int64(0)
	for _, c := range h.charges {
		if c.client == client {
			own += c.n
		}
	}
	n = min(n, h.b.limits.ClientBytes-own)
	if busy := h.b.charge(client, anonymous, n); busy != nil {
		return busy
	}
	h.charges = append(h.charges, charge{client, anonymous, n})
	return nil
}

// chargeAnswer charges the answer's bytes up to total (so far) to the
// authenticated caller who.
func (h *hold) chargeAnswer(who string, total int64) *errBusy {
	h.mu.Lock()
	defer h.mu.Unlock()
	if total <= h.answer {
		return nil
	}
	if busy := h.chargeLocked(h.client(who), false, total-h.answer); busy != nil {
		return busy
	}
	h.answer = total
	return nil
}

func (h *hold) release() {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, c := range h.charges {
		h.b.release(c.client, c.anonymous, c.n)
	}
	h.charges, h.released = nil, true
}

type holdKey struct{}

func holdFrom(ctx context.Context) *hold { return ctx.Value(holdKey{}).(*hold) }

// chargeAnswer charges the answer of the request in ctx, n bytes, before
// it is encoded: a handler that knows the size of a large answer calls it
// first, so that encoding it needs the budget too.
func chargeAnswer(ctx context.Context, n int64) error {
	if busy := holdFrom(ctx).chargeAnswer(whoOf(ctx), n); busy != nil {
		return busy
	}
	return nil
}

// withTransferLimits gives each request a hold on the budget, released when
// the request ends, and charges its large answers (see answerWriter).
func withTransferLimits(b *budget, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := &hold{b: b, peer: peerAddr(r)}
		defer h.release()
		r = r.WithContext(context.WithValue(r.Context(), holdKey{}, h))
		aw := &answerWriter{ResponseWriter: w, r: r, hold: h}
		next.ServeHTTP(aw, r)
		aw.sendHeader() // a status set but never followed by a body
	})
}

// peerAddr is the IP address of r's peer.
func peerAddr(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	if ip, err := netip.ParseAddr(host); err == nil {
		return ip.Unmap().String()
	}
	return host
}

// answerWriter charges an answer larger than smallAnswer before writing
// it (what the handler has not charged already), and gives it a write
// deadline for its size. It holds back the status until the first write,
// so that an answer that does not fit can be replaced by a 429 or 503.
type answerWriter struct {
	http.ResponseWriter
	r       *http.Request
	hold    *hold
	status  int // held back; 0 = none yet
	sent    bool
	written int64
	start   time.Time
}

func (w *answerWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

func (w *answerWriter) WriteHeader(code int) {
	if w.sent || w.status != 0 {
		return
	}
	if code < 200 {
		w.ResponseWriter.WriteHeader(code)
		return
	}
	w.status = code
}

func (w *answerWriter) sendHeader() {
	if w.sent {
		return
	}
	w.sent = true
	if w.status != 0 {
		w.ResponseWriter.WriteHeader(w.status)
	}
}

// Write may run on another goroutine than the handler's (the MCP SDK
// writes its answers so), hence no panics.
func (w *answerWriter) Write(p []byte) (int, error) {
	if total := w.written + int64(len(p)); total > smallAnswer {
		rc := http.NewResponseController(w.ResponseWriter)
		if busy := w.hold.chargeAnswer(whoOf(w.r.Context()), total); busy != nil {
			if !w.sent {
				w.sent = true
				writeError(w.ResponseWriter, w.r, busy)
			} else {
				// Part of the answer is out: break the connection rather
				// than end the answer as if it were whole.
				rc.SetWriteDeadline(time.Now())
			}
			return 0, busy
		}
		if w.start.IsZero() {
			w.start = time.Now()
		}
		rc.SetWriteDeadline(w.hold.b.limits.deadline(w.start, total))
	}
	w.sendHeader()
	n, err := w.ResponseWriter.Write(p)
	w.written += int64(n)
	return n, err
}

func (w *answerWriter) Flush() {
	w.sendHeader()
	http.NewResponseController(w.ResponseWriter).Flush()
}

// whoOf is the checked identity of the caller of the request in ctx, for
// the budget.
func whoOf(ctx context.Context) string {
	info := requestInfoFrom(ctx)
	switch {
	case info == nil:
		return ""
	case info.principal != nil:
		return info.principal.ARN
	case info.subject != "":
		return "token " + info.subject
	}
	return ""
}

// expectBody gives r's body the time its declared size (or limit, for a
// body of unknown length) allows. Call it before the caller is
// authenticated: a request refused unread still has its body drained, or
// its connection closed, within that time.
func (a *api) expectBody(w http.ResponseWriter, r *http.Request, limit int64) {
	n := r.ContentLength
	if n < 0 {
		n = limit
	}
	if n > 0 {
		http.NewResponseController(w).SetReadDeadline(a.budget.limits.deadline(time.Now(), n))
	}
}

// readBody reads r's body, at most limit bytes, after charging it to the
// budget for client who ("" = no checked credential). The charge lasts until
// the request ends.
func (a *api) readBody(w http.ResponseWriter, r *http.Request, limit int64, who string) ([]byte, error) {
	if r.ContentLength > limit {
		return nil, tooLarge(limit)
	}
	h := holdFrom(r.Context())
	client, anonymous := h.client(who), who == ""
	var body []byte
	if r.ContentLength >= 0 {
		if busy := h.charge(client, anonymous, r.ContentLength); busy != nil {
			return nil, busy
		}
		body = make([]byte, r.ContentLength)
		if _, err := io.ReadFull(r.Body, body); err != nil {
			return nil, unreadable(err)
		}
	} else {
		// Unknown length: charge each growth of the buffer before it.
		for {
			if len(body) == cap(body) {
				if int64(len(body)) > limit {
					return nil, tooLarge(limit)
				}
				grow := min(max(int64(cap(body)), chunkedBodyStep), limit+1-int64(cap(body)))
				if busy := h.charge(client, anonymous, grow); busy != nil {
					return nil, busy
				}
				body = append(make([]byte, 0, int64(cap(body))+grow), body...)
			}
			n, err := r.Body.Read(body[len(body):cap(body)])
			body = body[:len(body)+n]
			if err == io.EOF {
				break
			}
			if err != nil {
				return nil, unreadable(err)
			}
		}
		if int64(len(body)) > limit {
			return nil, tooLarge(limit)
		}
	}
	// The body is in: no read deadline while the request is handled, or the
	// server's wait for the next request would cancel this one.
	http.NewResponseController(w).SetReadDeadline(time.Time{})
	return body, nil
}

func unreadable(err error) error {
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return registry.Errorf(registry.KindInvalid, "The request body did not arrive in time.")
	}
	return registry.Errorf(registry.KindInvalid, "Could not read the request body.")
}

func tooLarge(limit int64) error {
	return &registry.Error{Kind: registry.KindInvalid, Reason: registry.ReasonFieldValidationFailed,
		Message: fmt.Sprintf("The request body is larger than the limit of %d bytes.", limit)}
}
