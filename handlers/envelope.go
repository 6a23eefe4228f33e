package handlers

import (
	"github.com/labstack/echo/v4"

	"github.com/dns-api/dns-api/records"
)

// envelope is python-dns-api's response shape, kept so existing scripts
// keep working: data on success, errors on failure, meta.status always.
type envelope struct {
	Data   any          `json:"data,omitempty"`
	Errors []errorTitle `json:"errors,omitempty"`
	Meta   meta         `json:"meta"`
}

type errorTitle struct {
	Title string `json:"title"`
}

type meta struct {
	Status      int         `json:"status"`
	RequestID   string      `json:"request_id,omitempty"`
	Action      string      `json:"action,omitempty"`
	Pagination  *pagination `json:"pagination,omitempty"`
	DryRun      bool        `json:"dry_run,omitempty"`
	Plan        *[]planned  `json:"plan,omitempty"`
	Distributed *bool       `json:"distributed,omitempty"`
}

type pagination struct {
	Number int `json:"number"`
	Size   int `json:"size"`
	Total  int `json:"total"` // records in all pages
	Pages  int `json:"pages"`
}

// writeEnvelope is the one writer of envelopes: meta.status is always the
// HTTP status, and an error envelope carries the request's id.
func writeEnvelope(c echo.Context, status int, e envelope) error {
	e.Meta.Status = status
	if status >= 400 {
		e.Meta.RequestID = requestIDOf(c.Request().Context())
	}
	return c.JSON(status, e)
}

// respond writes data in the envelope.
func respond(c echo.Context, status int, data any) error {
	return writeEnvelope(c, status, envelope{Data: data})
}

// recordJSON is a record as python-dns-api showed it.
type recordJSON struct {
	ID         int64  `json:"id,omitempty"` // a record a plan would create has none yet
	Type       string `json:"type"`
	DomainKey  string `json:"domain_key"`
	DomainType string `json:"domain_type"`
	Domain     string `json:"domain"`
	Subdomain  string `json:"subdomain"`
	FQDN       string `json:"fqdn"`
	To         string `json:"to"`
	TTL        int    `json:"ttl"`
	Created    string `json:"created,omitempty"`
	Updated    string `json:"updated,omitempty"`
}

func toJSON(r records.Record) recordJSON {
	return recordJSON{
		ID:         r.ID,
		Type:       "record",
		DomainKey:  string(r.Type) + "::" + r.Zone + "::" + r.Name,
		DomainType: string(r.Type),
		Domain:     r.Zone,
		Subdomain:  r.Name,
		FQDN:       r.FQDN(),
		To:         r.Target,
		TTL:        r.TTL,
		Created:    r.Created,
		Updated:    r.Updated,
	}
}

func toJSONList(rs []records.Record) []recordJSON {
	out := make([]recordJSON, 0, len(rs))
	for _, r := range rs {
		out = append(out, toJSON(r))
	}
	return out
}
