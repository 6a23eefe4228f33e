package handlers

import (
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/dns-api/dns-api/fault"
	"github.com/dns-api/dns-api/records"
)

// The dyndns2 adapter speaks what ddclient, inadyn, home routers and
// ddns-updater send to /nic/update, and turns each host into upserts of
// its A and AAAA records. Its answers are dyndns2's plain-text return
// codes, one line per host, with HTTP 200 for every per-host answer (that
// is where clients look) and 401 for bad credentials (ddclient and inadyn
// report it as such).

// maxHosts bounds the hosts one update may name.
const maxHosts = 20

// The dyndns2 return codes this service answers.
const (
	codeGood    = "good"    // the address was set
	codeNoChg   = "nochg"   // it already was
	codeBadAuth = "badauth" // no valid token
	codeNotFQDN = "notfqdn" // not a host name
	codeNoHost  = "nohost"  // a name this token may not update, or no such managed name
	codeNumHost = "numhost" // too many hosts, or none
	codeDNSErr  = "dnserr"  // DNSimple failed, or the address is unusable
	code911     = "911"     // our own failure
)

// defaultDyndnsRetry is the Retry-After of a dyndns2 update that failed
// for DNSimple's sake, when DNSimple did not say.
const defaultDyndnsRetry = time.Minute

// dyndnsCodeOf is the one table from a kind of failure to a return code.
var dyndnsCodeOf = map[fault.Kind]string{
	fault.Invalid:         codeNotFQDN,
	fault.Unauthenticated: codeBadAuth,
	fault.Forbidden:       codeNoHost,
	fault.NotFound:        codeNoHost,
	fault.Conflict:        codeDNSErr,
	fault.RateLimited:     codeDNSErr,
	fault.Upstream:        codeDNSErr,
	fault.Timeout:         codeDNSErr,
	fault.Canceled:        codeDNSErr,
	fault.Internal:        code911,
}

func handleNicUpdate(svc *records.Service) echo.HandlerFunc {
	return func(c echo.Context) error {
		form, err := c.FormParams() // the query, and a form body for POST
		if err != nil {
			return fault.New(fault.Invalid, "the form could not be read")
		}
		w, err := readWriteParams(c, false)
		if err != nil {
			return err
		}
		var hosts []string
		for _, v := range form["hostname"] {
			hosts = append(hosts, splitList(v)...)
		}
		if len(hosts) == 0 || len(hosts) > maxHosts {
			return dyndnsAnswer(c, http.StatusOK, []string{codeNumHost})
		}
		caller, err := caller(c)
		if err != nil {
			return err
		}
		addrs, ok := updateAddrs(form, clientAddr(c))
		lines := make([]string, 0, len(hosts))
		transient := 0              // hosts that failed for DNSimple's sake
		retry := defaultDyndnsRetry // unless DNSimple said when its budget reopens
		var written []records.Outcome
		for _, host := range hosts {
			if !ok {
				lines = append(lines, codeDNSErr)
				continue
			}
			line, done, err := updateHost(c, svc, caller, host, addrs)
			written = append(written, done...)
			switch fault.KindOf(err) {
			case fault.Upstream, fault.Timeout, fault.RateLimited:
				transient++
			}
			if wait, limited := retryAfter(err, time.Now()); limited {
				retry = wait
			}
			lines = append(lines, line)
		}
		if transient == len(hosts) {
			// DNSimple failed for every host: a 503 makes inadyn retry
			// later rather than give up (it stops on a 200 it does not
			// understand), and ddclient retries at its next run.
			c.Response().Header().Set(echo.HeaderRetryAfter, strconv.Itoa(int(retry/time.Second)))
			return dyndnsAnswer(c, http.StatusServiceUnavailable, lines)
		}
		if w.wait > 0 {
			// dyndns2's answer has no room to say how the wait ended: it
			// comes when the changes are served, or when the wait is over.
			w.await(c, svc, written...)
		}
		return dyndnsAnswer(c, http.StatusOK, lines)
	}
}

// updateAddrs reads the addresses to set: myip (ddclient sends IPv4 and
// IPv6 comma-joined there), myipv6, and deSEC's ip and ipv6; none means
// the caller's own address. At most one of each family, each one a record
// could hold.
func updateAddrs(form map[string][]string, client netip.Addr) ([]netip.Addr, bool) {
	var raw []string
	for _, name := range []string{"myip", "myipv4", "ip", "myipv6", "ipv6"} {
		for _, v := range form[name] {
			raw = append(raw, splitList(v)...)
		}
	}
	if len(raw) == 0 {
		if !client.IsValid() {
			return nil, false
		}
		raw = []string{client.String()}
	}
	var v4, v6 netip.Addr
	for _, s := range raw {
		addr, err := netip.ParseAddr(s)
		if err != nil {
			return nil, false
		}
		slot, typ := &v6, records.AAAA
		if addr.Is4() || addr.Is4In6() {
			addr, slot, typ = addr.Unmap(), &v4, records.A
		}
		if _, err := records.ParseTarget(typ, addr.String()); err != nil || slot.IsValid() && *slot != addr {
			return nil, false
		}
		*slot = addr
	}
	var addrs []netip.Addr
	for _, a := range []netip.Addr{v4, v6} {
		if a.IsValid() {
			addrs = append(addrs, a)
		}
	}
	return addrs, true
}

// updateHost sets a host's addresses and returns its answer line, what
// each write did (for a wait), and the failure behind the line. Every address's write is checked before any is made,
// so that a host is not half updated for want of a permission.
func updateHost(c echo.Context, svc *records.Service, caller records.Caller, host string, addrs []netip.Addr) (string, []records.Outcome, error) {
	if _, err := records.ParseZone(host); err != nil {
		return codeNotFQDN, nil, err
	}
	zone, name, err := svc.Resolve(host)
	if err != nil {
		return codeNoHost, nil, err // a host name, in no zone of ours
	}
	ctx := c.Request().Context()
	for _, addr := range addrs {
		if err := svc.CheckWrite(ctx, caller, string(typeOf(addr)), zone, name); err != nil {
			return dyndnsCodeOf[fault.KindOf(err)], nil, err
		}
	}
	var done []records.Outcome
	var shown []string
	code := codeNoChg
	for _, addr := range addrs {
		o, err := svc.Upsert(ctx, caller, string(typeOf(addr)), zone, name, addr.String(), records.WriteOptions{})
		if err != nil {
			return dyndnsCodeOf[fault.KindOf(err)], done, err // the records audit line says why
		}
		if o.Action != records.Unchanged {
			code = codeGood
		}
		done = append(done, o)
		shown = append(shown, addr.String())
	}
	return code + " " + strings.Join(shown, ","), done, nil
}

// typeOf is the record type that holds addr.
func typeOf(addr netip.Addr) records.Type {
	if addr.Is4() {
		return records.A
	}
	return records.AAAA
}

// dyndnsAnswer writes return-code lines as plain text, with a length:
// ddclient 3.10 does not read chunked answers.
func dyndnsAnswer(c echo.Context, status int, lines []string) error {
	body := strings.Join(lines, "\n") + "\n"
	h := c.Response().Header()
	h.Set(echo.HeaderContentLength, strconv.Itoa(len(body)))
	return c.String(status, body)
}

// renderDyndnsError answers a failure of the whole request in dyndns2's
// words: badauth (401) for a missing or bad token, the HTTP status and its
// title for what is wrong with the request itself (a body too large).
func renderDyndnsError(c echo.Context, err error) {
	kind := fault.KindOf(err)
	switch {
	case kind == fault.Unauthenticated:
		_ = dyndnsAnswer(c, http.StatusUnauthorized, []string{codeBadAuth})
	case fault.As(err) == nil && kind == fault.Internal:
		status, title := describe(err)
		_ = dyndnsAnswer(c, status, []string{title})
	default:
		_ = dyndnsAnswer(c, http.StatusOK, []string{dyndnsCodeOf[kind]})
	}
}

// splitList splits a comma-separated value, trimming spaces and dropping
// empty entries.
func splitList(s string) []string {
	var out []string
	for _, part := range strings.Split(s, ",") {
		if part = strings.TrimSpace(part); part != "" {
			out = append(out, part)
		}
	}
	return out
}
