package handlers

import (
	"encoding/json"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/dns-api/dns-api/records"
)

// Paging of GET /records.
const (
	defaultPageSize = 30
	minPageSize     = 10
	maxPageSize     = 100
)

// handleHealth answers the health check; with a shared state, it says
// whether that answers (the service works either way).
func handleHealth(sharedUp func() bool) echo.HandlerFunc {
	return func(c echo.Context) error {
		closeUnreadBody(c) // nobody needs a body here, nor to wait for one
		health := map[string]string{"status": "ok"}
		if sharedUp != nil {
			health["shared_state"] = "down: this instance uses its own"
			if sharedUp() {
				health["shared_state"] = "up"
			}
		}
		return respond(c, http.StatusOK, health)
	}
}

// handleMetrics serves the metrics to any valid token, from where the
// token may be used.
func handleMetrics(metrics http.Handler) echo.HandlerFunc {
	return func(c echo.Context) error {
		caller, err := caller(c)
		if err != nil {
			return err
		}
		if err := caller.AllowsNetwork(); err != nil {
			return err
		}
		metrics.ServeHTTP(c.Response(), c.Request())
		return nil
	}
}

// whoamiJSON shows who the token is and what it may do, never the token.
type whoamiJSON struct {
	ID          string          `json:"id"`
	Type        string          `json:"type"`
	Username    string          `json:"username"`
	Token       tokenJSON       `json:"token"`
	Permissions permissionsJSON `json:"permissions"`
	Client      string          `json:"client"`
}

type tokenJSON struct {
	ID        string     `json:"id,omitempty"`
	Name      string     `json:"name,omitempty"`
	IssuedAt  *time.Time `json:"issued_at,omitempty"`
	ExpiresAt *time.Time `json:"expires_at"` // null: never expires
	// Legacy marks a token minted by python-dns-api.
	Legacy bool `json:"legacy"`
}

// permissionsJSON is the token's effective permissions; every list is
// explicit ("*" is any name, 0.0.0.0/0 and ::/0 anywhere).
type permissionsJSON struct {
	Scope       []string `json:"scope"`
	Domains     []string `json:"domains"`
	Subdomains  []string `json:"subdomains"`
	Types       []string `json:"types"`
	CIDRs       []string `json:"cidrs"`
	Blacklisted []string `json:"blacklisted_subdomains"`
}

func handleWhoami(svc *records.Service) echo.HandlerFunc {
	// The answer depends on the token and the client's address alone (and
	// the configuration, fixed for the process): a repeated /whoami, which
	// monitoring makes, is served from what was written the first time.
	answers := newAnswerCache(4096)
	return func(c echo.Context) error {
		id, err := identity(c)
		if err != nil {
			return err
		}
		addr := clientAddr(c)
		key := answerKey{id.Fingerprint, addr}
		cacheable := id.Fingerprint != [32]byte{}
		if body, ok := answers.get(key); ok && cacheable {
			return c.Blob(http.StatusOK, echo.MIMEApplicationJSON, body)
		}
		caller := id.Caller(addr)
		p, err := svc.Effective(c.Request().Context(), caller)
		if err != nil {
			return err
		}
		body, err := json.Marshal(envelope{
			Data: whoamiJSON{
				ID:       id.User,
				Type:     "user",
				Username: id.User,
				Token: tokenJSON{
					ID:        id.TokenID,
					Name:      id.Name,
					IssuedAt:  timePtr(id.IssuedAt),
					ExpiresAt: timePtr(id.ExpiresAt),
					Legacy:    id.Legacy,
				},
				Permissions: permissionsJSON{
					Scope: p.Scope, Domains: p.Domains, Subdomains: p.Subdomains,
					Types: p.Types, CIDRs: p.Networks, Blacklisted: p.Blacklist,
				},
				Client: addrText(caller.Addr),
			},
			Meta: meta{Status: http.StatusOK},
		})
		if err != nil {
			return err
		}
		body = append(body, '\n')
		if cacheable {
			answers.put(key, body)
		}
		return c.Blob(http.StatusOK, echo.MIMEApplicationJSON, body)
	}
}

// answerKey is what an answer cached by answerCache depends on.
type answerKey struct {
	token  [32]byte
	client netip.Addr
}

// answerCache keeps answers, at most size of them (when full, it starts
// afresh: it is only a cache).
type answerCache struct {
	mu      sync.Mutex
	size    int
	answers map[answerKey][]byte
}

func newAnswerCache(size int) *answerCache {
	return &answerCache{size: size, answers: map[answerKey][]byte{}}
}

func (a *answerCache) get(k answerKey) ([]byte, bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	body, ok := a.answers[k]
	return body, ok
}

func (a *answerCache) put(k answerKey, body []byte) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if len(a.answers) >= a.size {
		clear(a.answers)
	}
	a.answers[k] = body
}

func timePtr(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	t = t.UTC()
	return &t
}

type resourceJSON struct {
	ID   string `json:"id"`
	Type string `json:"type"`
}

func handleDomains(svc *records.Service) echo.HandlerFunc {
	return func(c echo.Context) error {
		caller, err := caller(c)
		if err != nil {
			return err
		}
		zones, err := svc.Domains(c.Request().Context(), caller)
		if err != nil {
			return err
		}
		out := []resourceJSON{}
		for _, zone := range zones {
			out = append(out, resourceJSON{ID: zone, Type: "domain"})
		}
		for _, p := range svc.Blacklist() {
			out = append(out, resourceJSON{ID: p.String(), Type: "blacklisted_subdomain"})
		}
		return respond(c, http.StatusOK, out)
	}
}

func handleListRecords(svc *records.Service) echo.HandlerFunc {
	return func(c echo.Context) error {
		number, err := queryInt(c, "page[number]", 1, 1, 1<<30)
		if err != nil {
			return err
		}
		size, err := queryInt(c, "page[size]", defaultPageSize, minPageSize, maxPageSize)
		if err != nil {
			return err
		}
		caller, err := caller(c)
		if err != nil {
			return err
		}
		filter := records.Filter{Zone: c.QueryParam("domain"), Type: c.QueryParam("type"), Name: c.QueryParam("subdomain")}
		page, err := svc.List(c.Request().Context(), caller, filter, number, size)
		if err != nil {
			return err
		}
		return writeEnvelope(c, http.StatusOK, envelope{
			Data: toJSONList(page.Records),
			Meta: meta{Pagination: &pagination{
				Number: number, Size: size, Total: page.Total, Pages: (page.Total + size - 1) / size,
			}},
		})
	}
}

// queryInt reads an optional integer query parameter within bounds.
func queryInt(c echo.Context, name string, def, lo, hi int) (int, error) {
	raw := c.QueryParam(name)
	if raw == "" {
		return def, nil
	}
	n, err := strconv.Atoi(raw)
	if err != nil || n < lo || n > hi {
		return 0, badRequest("%s must be a whole number from %d to %d", name, lo, hi)
	}
	return n, nil
}

type createRequest struct {
	DomainType string `json:"domain_type"`
	Domain     string `json:"domain"`
	Subdomain  string `json:"subdomain"`
	To         string `json:"to"`
	TTL        *int   `json:"ttl"`
}

func handleCreateRecord(svc *records.Service) echo.HandlerFunc {
	return func(c echo.Context) error {
		w, err := readWriteParams(c, true)
		if err != nil {
			return err
		}
		var req createRequest
		if err := bindJSON(c, &req); err != nil {
			return err
		}
		if err := required(
			field{"domain_type", req.DomainType}, field{"domain", req.Domain},
			field{"subdomain", req.Subdomain}, field{"to", req.To},
		); err != nil {
			return err
		}
		caller, err := caller(c)
		if err != nil {
			return err
		}
		o, err := svc.Create(c.Request().Context(), caller, records.NewRecord{
			Type: req.DomainType, Zone: req.Domain, Name: req.Subdomain, Target: req.To, TTL: req.TTL,
		}, w.options())
		if err != nil {
			return err
		}
		return respondWrite(c, svc, w, http.StatusCreated, toJSON(o.Record()), o)
	}
}

// field is a named request field, for presence checks.
type field struct{ name, value string }

// required names the first missing field.
func required(fields ...field) error {
	for _, f := range fields {
		if f.value == "" {
			return badRequest("%s is required", f.name)
		}
	}
	return nil
}

func handleGetRecord(svc *records.Service) echo.HandlerFunc {
	return func(c echo.Context) error {
		id, err := recordID(c)
		if err != nil {
			return err
		}
		caller, err := caller(c)
		if err != nil {
			return err
		}
		rec, err := svc.Get(c.Request().Context(), caller, id)
		if err != nil {
			return err
		}
		return respond(c, http.StatusOK, toJSON(rec))
	}
}

func handleLookup(svc *records.Service) echo.HandlerFunc {
	return func(c echo.Context) error {
		p, err := pathParams(c, "type", "domain", "subdomain")
		if err != nil {
			return err
		}
		caller, err := caller(c)
		if err != nil {
			return err
		}
		found, err := svc.Lookup(c.Request().Context(), caller, p[0], p[1], p[2])
		if err != nil {
			return err
		}
		return respond(c, http.StatusOK, toJSONList(found))
	}
}

type updateRequest struct {
	To string `json:"to"`
}

func handleUpdateRecord(svc *records.Service) echo.HandlerFunc {
	return func(c echo.Context) error {
		w, err := readWriteParams(c, true)
		if err != nil {
			return err
		}
		id, err := recordID(c)
		if err != nil {
			return err
		}
		var req updateRequest
		if err := bindJSON(c, &req); err != nil {
			return err
		}
		if err := required(field{"to", req.To}); err != nil {
			return err
		}
		caller, err := caller(c)
		if err != nil {
			return err
		}
		o, err := svc.Update(c.Request().Context(), caller, id, req.To, w.options())
		if err != nil {
			return err
		}
		return respondWrite(c, svc, w, http.StatusOK, toJSON(o.Record()), o)
	}
}

func handleDeleteRecord(svc *records.Service) echo.HandlerFunc {
	return func(c echo.Context) error {
		w, err := readWriteParams(c, true)
		if err != nil {
			return err
		}
		id, err := recordID(c)
		if err != nil {
			return err
		}
		caller, err := caller(c)
		if err != nil {
			return err
		}
		o, err := svc.Delete(c.Request().Context(), caller, id, w.options())
		if err != nil {
			return err
		}
		return respondWrite(c, svc, w, http.StatusOK, toJSON(o.Record()), o)
	}
}

func handleUpsert(svc *records.Service) echo.HandlerFunc {
	return func(c echo.Context) error {
		w, err := readWriteParams(c, true)
		if err != nil {
			return err
		}
		p, err := pathParams(c, "type", "domain", "subdomain", "to")
		if err != nil {
			return err
		}
		caller, err := caller(c)
		if err != nil {
			return err
		}
		o, err := svc.Upsert(c.Request().Context(), caller, p[0], p[1], p[2], p[3], w.options())
		if err != nil {
			return err
		}
		status := http.StatusOK
		if o.Action == records.Created {
			status = http.StatusCreated
		}
		return respondWrite(c, svc, w, status, toJSON(o.Record()), o)
	}
}

func handleDeleteSet(svc *records.Service) echo.HandlerFunc {
	return func(c echo.Context) error {
		w, err := readWriteParams(c, true)
		if err != nil {
			return err
		}
		p, err := pathParams(c, "type", "domain", "subdomain")
		if err != nil {
			return err
		}
		caller, err := caller(c)
		if err != nil {
			return err
		}
		o, err := svc.DeleteSet(c.Request().Context(), caller, p[0], p[1], p[2], w.options())
		if err != nil {
			return err
		}
		return respondWrite(c, svc, w, http.StatusOK, toJSONList(o.Records), o)
	}
}

// recordID reads the :id path parameter.
func recordID(c echo.Context) (int64, error) {
	p, err := pathParams(c, "id")
	if err != nil {
		return 0, err
	}
	// Digits only, no sign, no leading zero: one spelling per id.
	raw := p[0]
	id, err := strconv.ParseInt(raw, 10, 64)
	if err != nil || id <= 0 || raw[0] < '1' || raw[0] > '9' {
		return 0, badRequest("record id %s is not a positive whole number written in digits", quoteShort(raw))
	}
	return id, nil
}

// pathParams returns the named path parameters, each percent-decoded once
// (the router matches on the escaped path, so %2F never splits a segment).
// The router lets a route's last parameter run to the end of the path; a
// parameter holding a raw '/' therefore means extra segments: no such
// endpoint.
func pathParams(c echo.Context, names ...string) ([]string, error) {
	values := make([]string, len(names))
	for i, name := range names {
		raw := c.Param(name)
		if strings.Contains(raw, "/") {
			return nil, echo.ErrNotFound
		}
		v, err := url.PathUnescape(raw)
		if err != nil {
			return nil, badRequest("the %s in the path is not properly percent-encoded", name)
		}
		values[i] = v
	}
	return values, nil
}
