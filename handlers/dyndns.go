package handlers

import (
	"net/http"
	"net/netip"
	"strconv"
	"strings"

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
		hosts := splitList(form.Get("hostname"))
		if len(hosts) == 0 || len(hosts) > maxHosts {
			return dyndnsAnswer(c, http.StatusOK, []string{codeNumHost})
		}
		caller, err := caller(c)
		if err != nil {
			return err
		}
		addrs, ok := updateAddrs(form, clientAddr(c))
		lines := make([]string, 0, len(hosts))
		for _, host := range hosts {
			if !ok {
				lines = append(lines, codeDNSErr)
				continue
			}
			lines = append(lines, updateHost(c, svc, caller, host, addrs))
		}
		return dyndnsAnswer(c, http.StatusOK, lines)
	}
}

// updateAddrs reads the addresses to set: myip (ddclient sends IPv4 and
// IPv6 comma-joined there), myipv6, and deSEC's ip and ipv6; none means
// the caller's own address. At most one of each family.
func updateAddrs(form map[string][]string, client netip.Addr) ([]netip.Addr, bool) {
	var raw []string
	for _, name := range []string{"myip", "myipv4", "ip", "myipv6", "ipv6"} {
		for _, v := range form[name] {
			raw = append(raw, splitList(v)...)
		}
	}
	if len(raw) == 0 {
		return []netip.Addr{client}, client.IsValid()
	}
	var v4, v6 netip.Addr
	for _, s := range raw {
		addr, err := netip.ParseAddr(s)
		switch {
		case err != nil || addr.Zone() != "":
			return nil, false
		case addr.Is4() || addr.Is4In6():
			if v4.IsValid() && v4 != addr.Unmap() {
				return nil, false
			}
			v4 = addr.Unmap()
		default:
			if v6.IsValid() && v6 != addr {
				return nil, false
			}
			v6 = addr
		}
	}
	var addrs []netip.Addr
	for _, a := range []netip.Addr{v4, v6} {
		if a.IsValid() {
			addrs = append(addrs, a)
		}
	}
	return addrs, true
}

// updateHost sets a host's addresses and returns its answer line.
func updateHost(c echo.Context, svc *records.Service, caller records.Caller, host string, addrs []netip.Addr) string {
	if _, err := records.ParseZone(host); err != nil {
		return codeNotFQDN
	}
	zone, name, err := svc.Resolve(host)
	if err != nil {
		return codeNoHost // a host name, in no zone of ours
	}
	changed := false
	var shown []string
	for _, addr := range addrs {
		typ := string(records.A)
		if addr.Is6() {
			typ = string(records.AAAA)
		}
		_, action, err := svc.Upsert(c.Request().Context(), caller, typ, zone, name, addr.String())
		if err != nil {
			return dyndnsCodeOf[fault.KindOf(err)] // the records audit line says why
		}
		changed = changed || action != records.Unchanged
		shown = append(shown, addr.String())
	}
	code := codeNoChg
	if changed {
		code = codeGood
	}
	return code + " " + strings.Join(shown, ",")
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
// words: badauth (401, with a Basic challenge) for a missing or bad token.
func renderDyndnsError(c echo.Context, err error) {
	kind := fault.KindOf(err)
	status := http.StatusOK
	if kind == fault.Unauthenticated {
		status = http.StatusUnauthorized
		c.Response().Header().Set(echo.HeaderWWWAuthenticate, `Basic realm="dns-api"`)
	}
	_ = dyndnsAnswer(c, status, []string{dyndnsCodeOf[kind]})
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
