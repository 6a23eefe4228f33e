package handlers

import (
	"net/http"
	"net/netip"
	"slices"
	"strings"

	"github.com/labstack/echo/v4"
)

// clientIP builds the extractor of the client address (docs/security.md,
// "Client address"), which the cidrs claim and the logs rely on:
//   - by default, the connection's address; no header is read;
//   - with trusted proxies, a connection from one of them is a proxy: its
//     X-Forwarded-For is read from the right, skipping trusted addresses,
//     and the first other entry is the client;
//   - on Heroku without trusted proxies, the last entry is the client:
//     Heroku's router appends the address it saw, and dynos are reachable
//     only through it.
//
// An entry that is not an address makes the client unknown (""), which
// matches no network: never the proxy's own address, which may well be
// inside a token's networks. echo's extractor falls back to the proxy's,
// so the walk is written here.
func clientIP(trusted []netip.Prefix, onHeroku bool) echo.IPExtractor {
	switch {
	case len(trusted) > 0:
		isTrusted := func(a netip.Addr) bool {
			return slices.ContainsFunc(trusted, func(p netip.Prefix) bool { return p.Contains(a) })
		}
		return func(r *http.Request) string {
			direct := connectionAddr(r)
			if !isTrusted(direct) {
				return addrString(direct)
			}
			entries := forwardedFor(r)
			if len(entries) == 0 {
				return addrString(direct) // the proxy itself asks
			}
			for i := len(entries) - 1; i >= 0; i-- {
				addr, ok := parseForwarded(entries[i])
				if !ok {
					return ""
				}
				if !isTrusted(addr) || i == 0 {
					return addr.String()
				}
			}
			return ""
		}
	case onHeroku:
		return func(r *http.Request) string {
			entries := forwardedFor(r)
			if len(entries) == 0 {
				return ""
			}
			addr, ok := parseForwarded(entries[len(entries)-1])
			if !ok {
				return ""
			}
			return addr.String()
		}
	}
	return func(r *http.Request) string { return addrString(connectionAddr(r)) }
}

// connectionAddr is the address the connection comes from.
func connectionAddr(r *http.Request) netip.Addr {
	ap, err := netip.ParseAddrPort(r.RemoteAddr)
	if err != nil {
		return netip.Addr{}
	}
	return ap.Addr().Unmap()
}

// forwardedFor is every X-Forwarded-For entry, in order, across headers.
func forwardedFor(r *http.Request) []string {
	var entries []string
	for _, v := range r.Header.Values(echo.HeaderXForwardedFor) {
		entries = append(entries, strings.Split(v, ",")...)
	}
	return entries
}

// parseForwarded reads one X-Forwarded-For entry: an address, possibly in
// brackets or with a port (some balancers add one).
func parseForwarded(entry string) (netip.Addr, bool) {
	entry = strings.TrimSpace(entry)
	if ap, err := netip.ParseAddrPort(entry); err == nil {
		return ap.Addr().Unmap(), true
	}
	addr, err := netip.ParseAddr(strings.TrimSuffix(strings.TrimPrefix(entry, "["), "]"))
	if err != nil || addr.Zone() != "" {
		return netip.Addr{}, false
	}
	return addr.Unmap(), true
}

func addrString(a netip.Addr) string {
	if !a.IsValid() {
		return ""
	}
	return a.String()
}

// clientAddr is the client's address as the IP extractor found it; an
// unknown one is the invalid Addr, which matches no network.
func clientAddr(c echo.Context) netip.Addr {
	addr, _ := netip.ParseAddr(c.RealIP())
	return addr.Unmap()
}

// addrText is a client address for answers and logs: "unknown" when there
// is none.
func addrText(a netip.Addr) string {
	if !a.IsValid() {
		return "unknown"
	}
	return a.String()
}
