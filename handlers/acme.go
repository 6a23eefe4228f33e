package handlers

import (
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/dns-api/dns-api/records"
)

// The ACME DNS-01 adapter speaks what lego's httpreq provider and
// acme.sh's dns_acmeproxy send to {endpoint}/present and /cleanup, and
// turns it into the TXT value-set operations: present adds one value at
// the challenge name beside any others (a name and its wildcard need two
// at once), cleanup removes only its own.

// acmeRequest is either mode of the httpreq body: the default
// {"fqdn", "value"}, or RAW {"domain", "token", "keyAuth"}, from which
// the value is computed as the ACME client would.
type acmeRequest struct {
	FQDN    string `json:"fqdn"`
	Value   string `json:"value"`
	Domain  string `json:"domain"`
	Token   string `json:"token"`
	KeyAuth string `json:"keyAuth"`
}

// acmeAnswer echoes what was asked: acme.sh looks for the value in the
// body to decide that it worked.
type acmeAnswer struct {
	FQDN  string `json:"fqdn"`
	Value string `json:"value"`
}

// challenge returns the challenge name and TXT value the request names.
func (r acmeRequest) challenge() (fqdn, value string, err error) {
	switch {
	case r.FQDN != "" || r.Value != "":
		if r.FQDN == "" || r.Value == "" || r.Domain != "" || r.KeyAuth != "" {
			return "", "", badRequest(`send {"fqdn", "value"}, or {"domain", "token", "keyAuth"} (lego's RAW mode)`)
		}
		return r.FQDN, r.Value, nil
	case r.Domain != "" && r.KeyAuth != "":
		// RFC 8555 section 8.4: the value is the unpadded base64url of the
		// SHA-256 of the key authorization, at _acme-challenge.<domain>;
		// a wildcard's challenge is its base name's.
		digest := sha256.Sum256([]byte(r.KeyAuth))
		domain := strings.TrimSuffix(strings.TrimPrefix(r.Domain, "*."), ".")
		return "_acme-challenge." + domain + ".", base64.RawURLEncoding.EncodeToString(digest[:]), nil
	}
	return "", "", badRequest(`send {"fqdn", "value"}, or {"domain", "token", "keyAuth"} (lego's RAW mode)`)
}

// handleACME serves present (add) or cleanup (remove) of one challenge
// value.
func handleACME(svc *records.Service, present bool) echo.HandlerFunc {
	return func(c echo.Context) error {
		w, err := readWriteParams(c, false)
		if err != nil {
			return err
		}
		var req acmeRequest
		if err := bindJSON(c, &req); err != nil {
			return err
		}
		fqdn, value, err := req.challenge()
		if err != nil {
			return err
		}
		caller, err := caller(c)
		if err != nil {
			return err
		}
		zone, name, err := svc.Resolve(fqdn)
		if err != nil {
			return err
		}
		ctx := c.Request().Context()
		var o records.Outcome
		if present {
			o, err = svc.AddValue(ctx, caller, zone, name, value, 0)
		} else {
			o, err = svc.RemoveValue(ctx, caller, zone, name, value)
		}
		if err != nil {
			return err
		}
		return respondWrite(c, svc, w, http.StatusOK, acmeAnswer{FQDN: fqdn, Value: value}, o)
	}
}
