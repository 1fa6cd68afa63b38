package safehttp

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
)

func TestIsPublicAddr(t *testing.T) {
	for _, tc := range []struct {
		ip     string
		public bool
	}{
		{"127.0.0.1", false},
		{"127.255.255.254", false},
		{"10.1.2.3", false},
		{"172.16.0.1", false},
		{"172.31.255.255", false},
		{"192.168.1.1", false},
		{"169.254.169.254", false},
		{"100.64.0.1", false},
		{"100.127.255.255", false},
		{"0.0.0.0", false},
		{"0.1.2.3", false},
		{"224.0.0.1", false},
		{"239.255.255.250", false},
		{"255.255.255.255", false},
		{"198.18.0.1", false},
		{"192.0.2.1", false},
		{"::1", false},
		{"::", false},
		{"fe80::1", false},
		{"fe80::1%eth0", false},
		{"fc00::1", false},
		{"fd12:3456::1", false},
		{"fec0::1", false},
		{"ff02::1", false},
		{"::ffff:127.0.0.1", false},
		{"::ffff:10.0.0.1", false},
		{"::ffff:169.254.169.254", false},
		{"::127.0.0.1", false},
		{"64:ff9b::a00:1", false},     // NAT64 of 10.0.0.1
		{"64:ff9b::a9fe:a9fe", false}, // NAT64 of 169.254.169.254
		{"2002:7f00:1::1", false},     // 6to4 of 127.0.0.1
		{"2001:db8::1", false},
		{"2001:0:4136:e378::1", false}, // Teredo

		{"8.8.8.8", true},
		{"1.1.1.1", true},
		{"172.32.0.1", true},
		{"100.128.0.1", true},
		{"169.255.0.1", true},
		{"2606:4700:4700::1111", true},
		{"::ffff:8.8.8.8", true},
		{"64:ff9b::808:808", true},
		{"2002:808:808::1", true},
	} {
		if got := IsPublicAddr(netip.MustParseAddr(tc.ip)); got != tc.public {
			t.Errorf("IsPublicAddr(%s) = %v, want %v", tc.ip, got, tc.public)
		}
	}
	if IsPublicAddr(netip.Addr{}) {
		t.Error("the zero Addr is public")
	}
}

func TestDialControl(t *testing.T) {
	for addr, ok := range map[string]bool{
		"8.8.8.8:443":         true,
		"[2606:4700::1]:443":  true,
		"127.0.0.1:443":       false,
		"[::1]:443":           false,
		"[::ffff:a00:1]:443":  false,
		"169.254.169.254:80":  false,
		"not-an-address:443":  false,
		"example.com:443":     false,
		"[fe80::1%eth0]:8080": false,
	} {
		err := dialControl("tcp4", addr, nil)
		if (err == nil) != ok || (err != nil && !errors.Is(err, ErrBlockedAddress)) {
			t.Errorf("dialControl(%s) = %v", addr, err)
		}
	}
	if err := dialControl("udp4", "8.8.8.8:53", nil); err == nil {
		t.Error("udp allowed")
	}
}

// Without allowPrivate, the client refuses loopback, private and
// link-local destinations before any connection is made. (Other names are
// checked on the addresses they resolve to, when dialing: TestDialControl.)
func TestClientRefusesPrivateTargets(t *testing.T) {
	var conns atomic.Int32
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t.Errorf("request reached the server: %s", r.URL)
	}))
	srv.Config.ConnState = func(net.Conn, http.ConnState) { conns.Add(1) }
	srv.StartTLS()
	t.Cleanup(srv.Close)
	port := srv.Listener.Addr().(*net.TCPAddr).Port

	c := NewClient(false)
	for _, host := range []string{
		fmt.Sprintf("127.0.0.1:%d", port),
		fmt.Sprintf("localhost:%d", port), // loopback by name (RFC 6761): refused without resolving
		fmt.Sprintf("[::1]:%d", port),
		fmt.Sprintf("[::ffff:127.0.0.1]:%d", port),
		"10.0.0.1",
		"169.254.169.254",
		"100.64.0.1",
		"0.0.0.0",
	} {
		_, err := c.Get("https://" + host + "/")
		if !errors.Is(err, ErrBlockedAddress) {
			t.Errorf("GET https://%s/: %v, want ErrBlockedAddress", host, err)
		}
	}
	if n := conns.Load(); n != 0 {
		t.Fatalf("%d connections reached the server", n)
	}
}

func TestClientRedirects(t *testing.T) {
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		var n int
		fmt.Sscanf(r.URL.Path, "/r/%d", &n)
		if n > 0 {
			http.Redirect(w, r, fmt.Sprintf("/r/%d", n-1), http.StatusFound)
			return
		}
		w.Write([]byte("ok"))
	}))
	t.Cleanup(srv.Close)
	c := NewClient(true)
	resp, err := c.Get(srv.URL + "/r/3")
	if err != nil {
		t.Fatalf("3 redirects: %v", err)
	}
	resp.Body.Close()
	if _, err := c.Get(srv.URL + "/r/4"); err == nil || !strings.Contains(err.Error(), "redirects") {
		t.Fatalf("4 redirects: %v", err)
	}

	// Each hop is checked like the first request.
	strict := NewClient(false)
	first, _ := http.NewRequest("GET", "https://idp.example/", nil)
	for target, want := range map[string]error{
		"http://idp.example/x":      ErrInsecureURL,
		"https://127.0.0.1/x":       ErrBlockedAddress,
		"https://169.254.169.254/x": ErrBlockedAddress,
		"https://other.example/x":   nil,
	} {
		next, _ := http.NewRequest("GET", target, nil)
		err := strict.CheckRedirect(next, []*http.Request{first})
		if !errors.Is(err, want) || (want == nil && err != nil) {
			t.Errorf("redirect to %s: %v, want %v", target, err, want)
		}
	}
}

func TestCappedBody(t *testing.T) {
	for _, tc := range []struct {
		n  int
		ok bool
	}{{0, true}, {100, true}, {101, false}, {5000, false}} {
		b := &cappedBody{rc: io.NopCloser(bytes.NewReader(make([]byte, tc.n))), left: 100}
		got, err := io.ReadAll(b)
		if tc.ok && (err != nil || len(got) != tc.n) {
			t.Errorf("%d bytes: %d, %v", tc.n, len(got), err)
		}
		if !tc.ok && !errors.Is(err, ErrResponseTooLarge) {
			t.Errorf("%d bytes: %v, want ErrResponseTooLarge", tc.n, err)
		}
	}
}

func TestCheckURL(t *testing.T) {
	for _, tc := range []struct {
		u            string
		allowPrivate bool
		ok           bool
	}{
		{"https://idp.example/x", false, true},
		{"https://8.8.8.8/x", false, true},
		{"http://idp.example/x", false, false},
		{"http://idp.example/x", true, true},
		{"http://127.0.0.1:8080/x", true, true},
		{"https://127.0.0.1/x", false, false},
		{"https://[::1]/x", false, false},
		{"https://u@idp.example/x", true, false},
		{"/relative", true, false},
		{"https://:443/x", true, false},
		{"gopher://idp.example/", true, false},
	} {
		u, err := url.Parse(tc.u)
		if err != nil {
			t.Fatal(err)
		}
		if err := CheckURL(u, tc.allowPrivate); (err == nil) != tc.ok {
			t.Errorf("CheckURL(%s, %v) = %v", tc.u, tc.allowPrivate, err)
		}
	}
}

// A URL being configured is judged by what can be told without resolving
// names; the message names the rule and the flag that lifts it.
func TestCheckConfiguredURL(t *testing.T) {
	for _, c := range []struct {
		url          string
		allowPrivate bool
		want         string // "" = allowed
	}{
		{"https://idp.example/.well-known/openid-configuration", false, ""},
		{"https://internal.corp/.well-known/openid-configuration", false, ""}, // resolved when fetched
		{"http://idp.example/x", false, "must use https: the server fetches http URLs only when it runs with --allow-private-urls"},
		{"https://127.0.0.1:8443/x", false, "(127.0.0.1): the server fetches from those only when it runs with --allow-private-urls"},
		{"https://[fd00::1]/x", false, "(fd00::1)"},
		{"https://LocalHost./x", false, "(LocalHost.)"},
		{"https://idp.localhost/x", false, "(idp.localhost)"},
		{"https://u:p@idp.example/x", false, "must be an absolute https URL without user information"},
		{"ftp://idp.example/x", true, "must be an absolute http or https URL without user information"},
		{"http://127.0.0.1:8443/x", true, ""},
		{"https://localhost/x", true, ""},
		{"https://%zz/x", false, "must be an absolute URL"},
	} {
		err := CheckConfiguredURL(c.url, c.allowPrivate)
		if (c.want == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), c.want)) {
			t.Errorf("%s (allowPrivate %v): %v, want %q", c.url, c.allowPrivate, err, c.want)
		}
	}
}
