package handlers

import (
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/dns-api/dns-api/records"
)

// The acme-dns adapter speaks the acme-dns API's update call, as goacmedns
// (lego, cert-manager), Caddy, Traefik, acme.sh's dns_acmedns and
// certbot's acme-dns hook send it. Its "subdomain" is the full challenge
// name in a managed zone, so an account file points straight at the name
// and no CNAME is needed; like acme-dns, the two newest values are kept.

// acmeDNSKeep is how many values acme-dns keeps at a name: one for a name
// and one for its wildcard.
const acmeDNSKeep = 2

type acmeDNSRequest struct {
	Subdomain string `json:"subdomain"`
	TXT       string `json:"txt"`
}

type acmeDNSAnswer struct {
	TXT string `json:"txt"`
}

// acmeDNSError is how acme-dns answers a failure.
type acmeDNSError struct {
	Error string `json:"error"`
}

func handleACMEDNSUpdate(svc *records.Service) echo.HandlerFunc {
	return func(c echo.Context) error {
		w, err := readWriteParams(c, false)
		if err != nil {
			return err
		}
		// acme.sh's dns_acmedns sends its JSON as a form's media type, and
		// acme-dns itself never looks at it: neither does this.
		var req acmeDNSRequest
		if err := decodeJSON(c, &req); err != nil {
			return err
		}
		if err := required(field{"subdomain", req.Subdomain}, field{"txt", req.TXT}); err != nil {
			return err
		}
		caller, err := caller(c)
		if err != nil {
			return err
		}
		zone, name, err := svc.Resolve(req.Subdomain)
		if err != nil {
			return err
		}
		o, err := svc.AddValue(c.Request().Context(), caller, zone, name, req.TXT, acmeDNSKeep)
		if err != nil {
			return err
		}
		if w.wait > 0 {
			// acme-dns's answer has no room to say how the wait ended:
			// it comes when the value is served, or when the wait is over.
			w.await(c, svc, o)
		}
		return c.JSON(http.StatusOK, acmeDNSAnswer{TXT: req.TXT})
	}
}

// renderACMEDNSError answers a failure as acme-dns does: {"error": ...}
// with the status of the one table.
func renderACMEDNSError(c echo.Context, err error) {
	status, title := describe(err)
	if wait, ok := retryAfter(err, time.Now()); ok {
		c.Response().Header().Set(echo.HeaderRetryAfter, strconv.Itoa(int(wait/time.Second)))
	}
	_ = c.JSON(status, acmeDNSError{Error: title})
}
