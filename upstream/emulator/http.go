package emulator

import (
	"bytes"
	"cmp"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// maxBodyBytes is the largest request body accepted; larger ones get 413.
const maxBodyBytes = 1 << 20

// apiPrefix starts the path of every API v2 route.
const apiPrefix = "/v2/"

// params holds the variable path segments of a matched route, unescaped.
type params struct {
	account, domain, zone, record string
}

// handlerFunc serves one route and method.
type handlerFunc func(e *Emulator, w http.ResponseWriter, r *http.Request, p params)

// route is one API path pattern: literal segments, or ":account",
// ":domain", ":zone" and ":record" placeholders.
type route struct {
	segments []string
	methods  map[string]handlerFunc
}

// routes returns the API routes the emulator serves, below /v2/.
func routes() []route {
	return []route{
		{[]string{"whoami"}, map[string]handlerFunc{http.MethodGet: (*Emulator).whoami}},
		{[]string{":account", "domains"}, map[string]handlerFunc{http.MethodGet: (*Emulator).listDomains}},
		{[]string{":account", "domains", ":domain"}, map[string]handlerFunc{http.MethodGet: (*Emulator).getDomain}},
		{[]string{":account", "zones"}, map[string]handlerFunc{http.MethodGet: (*Emulator).listZones}},
		{[]string{":account", "zones", ":zone"}, map[string]handlerFunc{http.MethodGet: (*Emulator).getZone}},
		{[]string{":account", "zones", ":zone", "records"}, map[string]handlerFunc{
			http.MethodGet:  (*Emulator).listRecords,
			http.MethodPost: (*Emulator).createRecord,
		}},
		{[]string{":account", "zones", ":zone", "records", ":record"}, map[string]handlerFunc{
			http.MethodGet:    (*Emulator).getRecord,
			http.MethodPatch:  (*Emulator).updateRecord,
			http.MethodDelete: (*Emulator).deleteRecord,
		}},
		{[]string{":account", "zones", ":zone", "batch"}, map[string]handlerFunc{http.MethodPost: (*Emulator).batchChange}},
		{[]string{":account", "zones", ":zone", "distribution"}, map[string]handlerFunc{http.MethodGet: (*Emulator).checkZoneDistribution}},
		{[]string{":account", "zones", ":zone", "records", ":record", "distribution"}, map[string]handlerFunc{
			http.MethodGet: (*Emulator).checkRecordDistribution,
		}},
	}
}

// match finds the route for an escaped URL path. It reports false when no
// route has that path.
func match(escapedPath string) (route, params, bool) {
	rest, ok := strings.CutPrefix(escapedPath, apiPrefix)
	if !ok {
		return route{}, params{}, false
	}
	rest = strings.TrimSuffix(rest, "/")
	raw := strings.Split(rest, "/")
	segments := make([]string, len(raw))
	for i, s := range raw {
		u, err := url.PathUnescape(s)
		if err != nil || u == "" {
			return route{}, params{}, false
		}
		segments[i] = u
	}
	for _, rt := range routes() {
		if p, ok := rt.match(segments); ok {
			return rt, p, true
		}
	}
	return route{}, params{}, false
}

// match reports whether segments fit the route, and its parameters.
func (rt route) match(segments []string) (params, bool) {
	var p params
	if len(segments) != len(rt.segments) {
		return p, false
	}
	for i, want := range rt.segments {
		got := segments[i]
		switch want {
		case ":account":
			p.account = got
		case ":domain":
			p.domain = got
		case ":zone":
			p.zone = got
		case ":record":
			p.record = got
		default:
			if got != want {
				return p, false
			}
		}
	}
	return p, true
}

// handler returns the handler for method (HEAD is served as GET), or nil.
func (rt route) handler(method string) handlerFunc {
	if method == http.MethodHead {
		method = http.MethodGet
	}
	return rt.methods[method]
}

// allow is the Allow header for the route: its methods, sorted, with HEAD
// wherever GET is served.
func (rt route) allow() string {
	var methods []string
	for m := range rt.methods {
		methods = append(methods, m)
		if m == http.MethodGet {
			methods = append(methods, http.MethodHead)
		}
	}
	slices.Sort(methods)
	return strings.Join(methods, ", ")
}

// ServeHTTP serves the emulated DNSimple API v2. Unknown paths answer 404
// and known paths with a method they do not serve answer 405 (both before
// authentication, as the real API's front does); then the token is
// checked (401), a request is spent from the rate-limit window (429 when
// none remain) and the account id of the path is checked (404).
func (e *Emulator) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	seq := e.logRequest(Request{Method: r.Method, Path: r.URL.Path, Query: r.URL.RawQuery})
	w.Header().Set("X-Request-Id", fmt.Sprintf("00000000-0000-4000-8000-%012x", seq))

	rt, p, ok := match(r.URL.EscapedPath())
	if !ok {
		writeError(w, http.StatusNotFound, "Not Found")
		return
	}
	h := rt.handler(r.Method)
	if h == nil {
		w.Header().Set("Allow", rt.allow())
		w.Header().Set("Cache-Control", "no-cache")
		w.WriteHeader(http.StatusMethodNotAllowed)
		return
	}
	if !e.authenticated(r) {
		writeError(w, http.StatusUnauthorized, "Authentication failed")
		return
	}
	if !e.spend(w.Header()) {
		writeError(w, http.StatusTooManyRequests, "quota exceeded")
		return
	}
	if rt.segments[0] == ":account" && p.account != strconv.FormatInt(e.accountID, 10) {
		writeError(w, http.StatusNotFound, "Account `"+p.account+"` not found")
		return
	}
	h(e, w, r, p)
}

// authenticated reports a request that carries the accepted bearer token.
func (e *Emulator) authenticated(r *http.Request) bool {
	scheme, token, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return false
	}
	return subtle.ConstantTimeCompare([]byte(strings.TrimSpace(token)), []byte(e.token)) == 1
}

// spend takes one request from the current rate-limit window, starting a
// new window when there is none or it has ended, and sets the rate-limit
// headers. It reports false when the window has no request left.
func (e *Emulator) spend(h http.Header) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	now := e.timestamp()
	if e.windowStart.IsZero() || !now.Before(e.windowStart.Add(time.Hour)) {
		e.windowStart = now
		e.windowUsed = 0
	}
	ok := e.windowUsed < e.rateLimit
	if ok {
		e.windowUsed++
	}
	h.Set("X-RateLimit-Limit", strconv.Itoa(e.rateLimit))
	h.Set("X-RateLimit-Remaining", strconv.Itoa(e.rateLimit-e.windowUsed))
	h.Set("X-RateLimit-Reset", strconv.FormatInt(e.windowStart.Add(time.Hour).Unix(), 10))
	return ok
}

// logRequest appends to the request log, trimming it now and then so that
// appending stays cheap, and returns the request's sequence number.
func (e *Emulator) logRequest(r Request) uint64 {
	e.mu.Lock()
	defer e.mu.Unlock()
	if len(e.requests) >= 2*maxRequestLog {
		e.requests = slices.Clone(e.requests[len(e.requests)-maxRequestLog+1:])
	}
	e.requests = append(e.requests, r)
	e.requestSeq++
	return e.requestSeq
}

// ---- JSON documents ----

// errorBody is an error answer: {"message": ..., "errors": ...}.
type errorBody struct {
	Message string `json:"message"`
	Errors  any    `json:"errors,omitempty"`
}

// dataBody is a success answer: {"data": ...}, with pagination for lists.
type dataBody struct {
	Data       any         `json:"data"`
	Pagination *pagination `json:"pagination,omitempty"`
}

// pagination is the "pagination" object of a list answer.
type pagination struct {
	CurrentPage  int `json:"current_page"`
	PerPage      int `json:"per_page"`
	TotalEntries int `json:"total_entries"`
	TotalPages   int `json:"total_pages"`
}

// accountView is the JSON of the emulated account.
type accountView struct {
	ID             int64  `json:"id"`
	Email          string `json:"email"`
	Name           string `json:"name"`
	PlanIdentifier string `json:"plan_identifier"`
	CreatedAt      string `json:"created_at"`
	UpdatedAt      string `json:"updated_at"`
}

// whoamiView is the data of GET /whoami for an account token.
type whoamiView struct {
	User    *struct{}    `json:"user"`
	Account *accountView `json:"account"`
}

// domainView is the JSON of a (hosted) domain.
type domainView struct {
	ID           int64   `json:"id"`
	AccountID    int64   `json:"account_id"`
	RegistrantID *int64  `json:"registrant_id"`
	Name         string  `json:"name"`
	UnicodeName  string  `json:"unicode_name"`
	State        string  `json:"state"`
	AutoRenew    bool    `json:"auto_renew"`
	PrivateWhois bool    `json:"private_whois"`
	ExpiresOn    *string `json:"expires_on"`
	ExpiresAt    *string `json:"expires_at"`
	Trustee      bool    `json:"trustee"`
	CreatedAt    string  `json:"created_at"`
	UpdatedAt    string  `json:"updated_at"`
}

// zoneView is the JSON of a zone.
type zoneView struct {
	ID                int64   `json:"id"`
	AccountID         int64   `json:"account_id"`
	Name              string  `json:"name"`
	Reverse           bool    `json:"reverse"`
	Secondary         bool    `json:"secondary"`
	LastTransferredAt *string `json:"last_transferred_at"`
	Active            bool    `json:"active"`
	CreatedAt         string  `json:"created_at"`
	UpdatedAt         string  `json:"updated_at"`
}

// recordView is the JSON of a zone record, fields in the API's order.
type recordView struct {
	ID           int64    `json:"id"`
	ZoneID       string   `json:"zone_id"`
	ParentID     *int64   `json:"parent_id"`
	Name         string   `json:"name"`
	Content      string   `json:"content"`
	TTL          int      `json:"ttl"`
	Priority     *int     `json:"priority"`
	Type         string   `json:"type"`
	Regions      []string `json:"regions"`
	SystemRecord bool     `json:"system_record"`
	CreatedAt    string   `json:"created_at"`
	UpdatedAt    string   `json:"updated_at"`
}

// deletedView is one entry of a batch answer's "deletes".
type deletedView struct {
	ID int64 `json:"id"`
}

// batchView is the data of a successful batch answer.
type batchView struct {
	Creates []recordView  `json:"creates"`
	Updates []recordView  `json:"updates"`
	Deletes []deletedView `json:"deletes"`
}

// batchItemError is the error of one operation of a refused batch.
type batchItemError struct {
	Index   int         `json:"index"`
	Message string      `json:"message"`
	Errors  fieldErrors `json:"errors,omitempty"`
}

// batchErrors is the "errors" object of a refused batch.
type batchErrors struct {
	Creates []batchItemError `json:"creates,omitempty"`
	Updates []batchItemError `json:"updates,omitempty"`
	Deletes []batchItemError `json:"deletes,omitempty"`
}

// formatTime formats a timestamp as the API does: "2016-01-07T17:45:13Z".
func formatTime(t time.Time) string {
	return t.UTC().Format(time.RFC3339)
}

// viewRecord renders a record.
func viewRecord(r Record) recordView {
	v := recordView{
		ID:           r.ID,
		ZoneID:       r.Zone,
		Name:         r.Name,
		Content:      r.Content,
		TTL:          r.TTL,
		Type:         r.Type,
		Regions:      slices.Clone(r.Regions),
		SystemRecord: r.System,
		CreatedAt:    formatTime(r.CreatedAt),
		UpdatedAt:    formatTime(r.UpdatedAt),
	}
	if hasPriority(strings.ToUpper(r.Type)) {
		v.Priority = &r.Priority
	}
	if len(v.Regions) == 0 {
		v.Regions = []string{"global"}
	}
	return v
}

// viewRecords renders records, never as null.
func viewRecords(records []Record) []recordView {
	out := make([]recordView, 0, len(records))
	for _, r := range records {
		out = append(out, viewRecord(r))
	}
	return out
}

// viewZone renders a zone.
func (e *Emulator) viewZone(z *zone) zoneView {
	return zoneView{
		ID:        z.id,
		AccountID: e.accountID,
		Name:      z.name,
		Reverse:   strings.HasSuffix(z.name, ".arpa"),
		Active:    true,
		CreatedAt: formatTime(z.createdAt),
		UpdatedAt: formatTime(z.createdAt),
	}
}

// viewDomain renders the hosted domain of a zone.
func (e *Emulator) viewDomain(z *zone) domainView {
	return domainView{
		ID:          z.id,
		AccountID:   e.accountID,
		Name:        z.name,
		UnicodeName: z.name,
		State:       "hosted",
		CreatedAt:   formatTime(z.createdAt),
		UpdatedAt:   formatTime(z.createdAt),
	}
}

// ---- writing answers ----

// writeJSON writes v as a JSON answer with the given status.
func writeJSON(w http.ResponseWriter, status int, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		status = http.StatusInternalServerError
		body = []byte(`{"message":"Internal Server Error"}`)
	}
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	if status < 300 {
		h.Set("Cache-Control", "max-age=0, private, must-revalidate")
	} else {
		h.Set("Cache-Control", "no-cache")
	}
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// writeData writes a success answer {"data": data}.
func writeData(w http.ResponseWriter, status int, data any) {
	writeJSON(w, status, dataBody{Data: data})
}

// writeError writes an error answer {"message": msg}.
func writeError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, errorBody{Message: msg})
}

// writeNoContent writes a 204 answer with no body.
func writeNoContent(w http.ResponseWriter) {
	w.Header().Set("Cache-Control", "no-cache")
	w.WriteHeader(http.StatusNoContent)
}

// decodeBody reads the JSON request body into v, answering 413 for a body
// over 1 MiB and 400 for malformed JSON; it then reports false. An empty
// body leaves v as it is.
func decodeBody(w http.ResponseWriter, r *http.Request, v any) bool {
	data, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBodyBytes))
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			writeError(w, http.StatusRequestEntityTooLarge, "Request body too large")
		} else {
			writeError(w, http.StatusBadRequest, "Could not read the request body")
		}
		return false
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return true
	}
	if err := json.Unmarshal(data, v); err != nil {
		writeError(w, http.StatusBadRequest, "Invalid JSON in the request body: "+err.Error())
		return false
	}
	return true
}

// ---- listing helpers ----

// listQuery is the pagination and sorting of a list request.
type listQuery struct {
	page, perPage int
	sort          []sortKey
}

// sortKey is one criterion of a sort parameter.
type sortKey struct {
	field string
	desc  bool
}

// parseListQuery reads page, per_page and sort from q. sortFields are the
// fields that may be sorted on; defaultSort applies when sort is absent.
// It returns an error message for invalid values.
func parseListQuery(q url.Values, sortFields []string, defaultSort sortKey) (listQuery, string) {
	lq := listQuery{page: 1, perPage: 30, sort: []sortKey{defaultSort}}
	if q.Has("page") {
		n, err := strconv.Atoi(q.Get("page"))
		if err != nil || n < 1 {
			return lq, "Invalid `page` parameter, it must be a positive integer"
		}
		lq.page = n
	}
	if q.Has("per_page") {
		n, err := strconv.Atoi(q.Get("per_page"))
		if err != nil || n < 1 {
			return lq, "Invalid `per_page` parameter, it must be a positive integer"
		}
		lq.perPage = min(n, 100)
	}
	if q.Has("sort") {
		lq.sort = nil
		for _, item := range strings.Split(q.Get("sort"), ",") {
			field, dir, _ := strings.Cut(strings.TrimSpace(item), ":")
			if !slices.Contains(sortFields, field) || (dir != "" && dir != "asc" && dir != "desc") {
				return lq, "Invalid sorting policy `" + q.Get("sort") + "`"
			}
			lq.sort = append(lq.sort, sortKey{field: field, desc: dir == "desc"})
		}
	}
	return lq, ""
}

// paginate returns the requested page of items and its pagination. A list
// always has at least one page, so an empty list has total_pages 1.
func paginate[T any](items []T, lq listQuery) ([]T, *pagination) {
	total := len(items)
	pages := max(1, (total+lq.perPage-1)/lq.perPage)
	start := min(total, (lq.page-1)*lq.perPage)
	end := min(total, start+lq.perPage)
	out := make([]T, end-start)
	copy(out, items[start:end])
	return out, &pagination{CurrentPage: lq.page, PerPage: lq.perPage, TotalEntries: total, TotalPages: pages}
}

// compareBy orders by the sort keys, using cmpField for each field, and
// then by id ascending.
func compareBy[T any](keys []sortKey, cmpField func(a, b T, field string) int, id func(T) int64) func(a, b T) int {
	return func(a, b T) int {
		for _, k := range keys {
			c := cmpField(a, b, k.field)
			if k.desc {
				c = -c
			}
			if c != 0 {
				return c
			}
		}
		return cmp.Compare(id(a), id(b))
	}
}

// containsFold reports whether s contains substr, ignoring case.
func containsFold(s, substr string) bool {
	return strings.Contains(strings.ToLower(s), strings.ToLower(substr))
}
