// Package safehttp fetches URLs that callers or configuration supply (OIDC
// discovery and JWKS today; URL synchronization and webhooks next) without
// letting them reach the server's own network: NewClient is an HTTP client
// with time and size limits that, unless private targets are allowed,
// requires https and refuses loopback, private, link-local and other
// non-public destinations, checked on the resolved address at dial time.
// CheckURL and CheckConfiguredURL apply the same URL policy without a
// connection, so that a URL that could never be fetched is refused when it
// is configured.
package safehttp

import (
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"syscall"
	"time"
)

// Limits of every outbound fetch made through NewClient.
const (
	DialTimeout      = 5 * time.Second  // TCP connect, and the TLS handshake
	FetchTimeout     = 10 * time.Second // whole request, body included
	MaxResponseBytes = 1 << 20          // response body cap
	MaxRedirects     = 3
)

var (
	// ErrBlockedAddress is returned (wrapped) when a fetch would reach a
	// loopback, private, link-local or otherwise non-public address while
	// private targets are not allowed.
	ErrBlockedAddress = errors.New("safehttp: destination address is not allowed")
	// ErrInsecureURL is returned (wrapped) for a URL that is not absolute
	// https (or http while private targets are allowed), or that carries
	// user information.
	ErrInsecureURL = errors.New("safehttp: URL is not allowed")
	// ErrResponseTooLarge is returned (wrapped) when a response body exceeds
	// the size cap.
	ErrResponseTooLarge = errors.New("safehttp: response body too large")
)

// NewClient returns an HTTP client for fetching URLs that callers or
// configuration supplied. It connects within DialTimeout, finishes within
// FetchTimeout, reads at most MaxResponseBytes of a body, follows at most
// MaxRedirects redirects (each re-checked) and uses no proxy, so that the
// address it checks is the one it connects to.
//
// Unless allowPrivate is set (--allow-private-urls), it requires https and
// refuses non-public destinations (see IsPublicAddr). The address is checked
// at dial time, after name resolution, for every address tried, so a name
// that resolves to a private address (including by DNS rebinding between a
// check and the connection) is refused too.
func NewClient(allowPrivate bool) *http.Client {
	dialer := &net.Dialer{Timeout: DialTimeout, KeepAlive: 30 * time.Second}
	if !allowPrivate {
		dialer.Control = dialControl
	}
	tr := &http.Transport{
		Proxy:                  nil, // a proxy would be the address we check, not the target
		DialContext:            dialer.DialContext,
		ForceAttemptHTTP2:      true,
		TLSClientConfig:        &tls.Config{MinVersion: tls.VersionTLS12},
		TLSHandshakeTimeout:    DialTimeout,
		ResponseHeaderTimeout:  FetchTimeout,
		MaxResponseHeaderBytes: 64 << 10,
		MaxIdleConns:           16,
		IdleConnTimeout:        90 * time.Second,
	}
	return &http.Client{
		Transport: &guardTransport{base: tr, allowPrivate: allowPrivate, maxBytes: MaxResponseBytes},
		Timeout:   FetchTimeout,
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if len(via) > MaxRedirects {
				return fmt.Errorf("safehttp: stopped after %d redirects", MaxRedirects)
			}
			return CheckURL(req.URL, allowPrivate)
		},
	}
}

// CheckURL reports whether u may be fetched: an absolute https URL (http
// too when allowPrivate) without user information whose host, when it is
// an IP literal or a localhost name, is public unless allowPrivate. Other
// host names are checked when dialing, by NewClient.
func CheckURL(u *url.URL, allowPrivate bool) error {
	switch {
	case u == nil || u.Host == "" || u.Hostname() == "":
		return fmt.Errorf("%w: not an absolute URL", ErrInsecureURL)
	case u.User != nil:
		return fmt.Errorf("%w: user information in URL", ErrInsecureURL)
	case u.Scheme == "https":
	case u.Scheme == "http" && allowPrivate:
	default:
		return fmt.Errorf("%w: scheme %q (https is required)", ErrInsecureURL, u.Scheme)
	}
	if allowPrivate {
		return nil
	}
	if ip, err := netip.ParseAddr(u.Hostname()); err == nil && !IsPublicAddr(ip) {
		return fmt.Errorf("%w: %s", ErrBlockedAddress, ip)
	}
	// Names under localhost are loopback (RFC 6761): no need to resolve.
	if host := strings.ToLower(strings.TrimSuffix(u.Hostname(), ".")); host == "localhost" || strings.HasSuffix(host, ".localhost") {
		return fmt.Errorf("%w: %s", ErrBlockedAddress, host)
	}
	return nil
}

// CheckConfiguredURL judges a URL that is being configured for fetching
// later (a CUSTOM_JWT discoveryUrl) by the rules CheckURL applies without
// resolving names: the scheme, user information and a host that is an IP
// literal or a localhost name. The addresses other names resolve to are
// checked when fetching. The error completes "<field> ..." for the person
// setting the URL: the rule that failed, and the flag that lifts it.
func CheckConfiguredURL(rawURL string, allowPrivate bool) error {
	u, err := url.Parse(rawURL)
	if err != nil {
		return errors.New("must be an absolute URL")
	}
	switch err := CheckURL(u, allowPrivate); {
	case err == nil:
		return nil
	case errors.Is(err, ErrBlockedAddress):
		return fmt.Errorf("must not name a loopback, private or other non-public address (%s): the server fetches from those only when it runs with --allow-private-urls",
			u.Hostname())
	case u.Scheme == "http":
		return errors.New("must use https: the server fetches http URLs only when it runs with --allow-private-urls")
	case allowPrivate:
		return errors.New("must be an absolute http or https URL without user information")
	default:
		return errors.New("must be an absolute https URL without user information")
	}
}

// nonPublic lists the ranges that are never fetched unless private targets
// are allowed: this network, RFC 1918, CGNAT, loopback, link-local,
// documentation, benchmarking, multicast, reserved and their IPv6
// counterparts (ULA, site-local, discard, Teredo).
var nonPublic = func() []netip.Prefix {
	var ps []netip.Prefix
	for _, s := range []string{
		"0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16",
		"172.16.0.0/12", "192.0.0.0/24", "192.0.2.0/24", "192.168.0.0/16", "198.18.0.0/15",
		"198.51.100.0/24", "203.0.113.0/24", "224.0.0.0/4", "240.0.0.0/4",
		"::/96", // unspecified, loopback and the deprecated IPv4-compatible block
		"64:ff9b:1::/48", "100::/64", "2001::/32", "2001:db8::/32",
		"fc00::/7", "fe80::/10", "fec0::/10", "ff00::/8",
	} {
		ps = append(ps, netip.MustParsePrefix(s))
	}
	return ps
}()

var (
	nat64     = netip.MustParsePrefix("64:ff9b::/96")
	sixToFour = netip.MustParsePrefix("2002::/16")
)

// IsPublicAddr reports whether ip is a public unicast address. IPv4 mapped
// into IPv6, NAT64 (64:ff9b::/96) and 6to4 (2002::/16) addresses are judged
// by the IPv4 address they carry.
func IsPublicAddr(ip netip.Addr) bool {
	if !ip.IsValid() {
		return false
	}
	ip = ip.WithZone("").Unmap()
	if ip.Is6() {
		b := ip.As16()
		switch {
		case nat64.Contains(ip):
			return IsPublicAddr(netip.AddrFrom4([4]byte(b[12:16])))
		case sixToFour.Contains(ip):
			return IsPublicAddr(netip.AddrFrom4([4]byte(b[2:6])))
		}
	}
	for _, p := range nonPublic {
		if p.Contains(ip) {
			return false
		}
	}
	return true
}

// dialControl runs after name resolution and before connect, once for each
// address tried.
func dialControl(network, address string, _ syscall.RawConn) error {
	if network != "tcp4" && network != "tcp6" {
		return fmt.Errorf("%w: network %s", ErrBlockedAddress, network)
	}
	ap, err := netip.ParseAddrPort(address)
	if err != nil || !IsPublicAddr(ap.Addr()) {
		return fmt.Errorf("%w: %s", ErrBlockedAddress, address)
	}
	return nil
}

// guardTransport checks each request's URL (the first and every redirect)
// and caps each response body.
type guardTransport struct {
	base         http.RoundTripper
	allowPrivate bool
	maxBytes     int64
}

func (t *guardTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if err := CheckURL(req.URL, t.allowPrivate); err != nil {
		if req.Body != nil {
			req.Body.Close()
		}
		return nil, err
	}
	resp, err := t.base.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	if resp.ContentLength > t.maxBytes {
		resp.Body.Close()
		return nil, ErrResponseTooLarge
	}
	resp.Body = &cappedBody{rc: resp.Body, left: t.maxBytes}
	return resp, nil
}

// cappedBody fails with ErrResponseTooLarge instead of silently truncating,
// so a cut-off document is never parsed as a whole one.
type cappedBody struct {
	rc   io.ReadCloser
	left int64
}

func (b *cappedBody) Read(p []byte) (int, error) {
	if b.left <= 0 {
		var one [1]byte
		n, err := b.rc.Read(one[:])
		if n > 0 {
			return 0, ErrResponseTooLarge
		}
		return 0, err
	}
	if int64(len(p)) > b.left {
		p = p[:b.left]
	}
	n, err := b.rc.Read(p)
	b.left -= int64(n)
	return n, err
}

func (b *cappedBody) Close() error { return b.rc.Close() }
