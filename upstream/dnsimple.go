package upstream

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"math/rand/v2"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/dns-api/dns-api/fault"
	"github.com/dnsimple/dnsimple-go/v9/dnsimple"
)

// DNSimple is the Provider backed by DNSimple's API v2 through the official
// client.
type DNSimple struct {
	client  *dnsimple.Client
	account string
	timeout time.Duration
	token   string // only to keep it out of logs
}

var _ Provider = (*DNSimple)(nil)

// DNSimpleConfig is what NewDNSimple needs.
type DNSimpleConfig struct {
	// BaseURL is the API root, e.g. https://api.dnsimple.com.
	BaseURL string
	// Token is the account access token. It only ever travels in the
	// Authorization header of requests to BaseURL.
	Token string
	// AccountID is the numeric account id; when empty it is discovered
	// once with GET /v2/whoami.
	AccountID string
	// Timeout is the deadline of every single call.
	Timeout time.Duration
	// UserAgent is prepended to the client's own.
	UserAgent string
	// Observe, if set, is told of every call to DNSimple as it ends.
	Observe func(Call)
}

const (
	// perPage is the page size asked for when listing: DNSimple's maximum,
	// so a zone costs as few calls as possible.
	perPage = 100
	// maxPages stops a listing that never ends (a provider bug), at
	// 50,000 records.
	maxPages = 500
	// maxResponseBytes caps what is read of one answer; a page of 100
	// records is about 30 KiB.
	maxResponseBytes = 4 << 20
)

// NewDNSimple builds the provider, discovering the account id through
// whoami when cfg.AccountID is empty (a call with the same deadline as all
// others).
func NewDNSimple(ctx context.Context, cfg DNSimpleConfig) (*DNSimple, error) {
	if cfg.Token == "" {
		return nil, errors.New("dnsimple: an account token is required")
	}
	if cfg.Timeout <= 0 {
		return nil, errors.New("dnsimple: a positive timeout is required")
	}
	httpClient := &http.Client{
		Transport: &transport{token: cfg.Token, next: http.DefaultTransport, observe: cfg.Observe},
		// Each call already has a context deadline; this is the backstop.
		Timeout: cfg.Timeout,
		// Never follow a redirect: the token would follow it.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	client := dnsimple.NewClient(httpClient)
	client.BaseURL = strings.TrimSuffix(cfg.BaseURL, "/")
	client.SetUserAgent(cfg.UserAgent)

	d := &DNSimple{client: client, account: cfg.AccountID, timeout: cfg.Timeout, token: cfg.Token}
	if d.account == "" {
		account, err := d.whoami(ctx)
		if err != nil {
			return nil, err
		}
		d.account = account
	}
	return d, nil
}

// AccountID returns the account the provider acts on.
func (d *DNSimple) AccountID() string { return d.account }

func (d *DNSimple) whoami(ctx context.Context) (string, error) {
	const op = "discover the account id with whoami"
	var resp *dnsimple.WhoamiResponse
	err := d.call(ctx, op, whoamiCall, func(ctx context.Context) (err error) {
		resp, err = d.client.Identity.Whoami(ctx)
		return err
	})
	if err != nil {
		return "", err
	}
	if resp.Data == nil || resp.Data.Account == nil || resp.Data.Account.ID <= 0 {
		return "", fault.Wrap(&CallError{Op: op}, fault.Upstream,
			"the token is not an account token; use an account token or set DNSIMPLE_ACCOUNT_ID")
	}
	return strconv.FormatInt(resp.Data.Account.ID, 10), nil
}

// Records implements Provider.
func (d *DNSimple) Records(ctx context.Context, zone string) ([]Record, error) {
	return d.list(ctx, "list the records of "+zone, zone, dnsimple.ZoneRecordListOptions{})
}

// FindRecords implements Provider.
func (d *DNSimple) FindRecords(ctx context.Context, zone, name, recordType string) ([]Record, error) {
	op := fmt.Sprintf("look up %s records of %q in %s", recordType, name, zone)
	opts := dnsimple.ZoneRecordListOptions{Name: &name}
	if recordType != "" {
		opts.Type = &recordType
	}
	return d.list(ctx, op, zone, opts)
}

// list fetches every page of a filtered listing, sorted by id so that a
// record created between two pages cannot shift another out of sight.
// The first page says how many there are; the others are fetched at once
// (a few at a time). A listing that makes no sense (pages out of order, a
// page repeated, an empty page announcing more, more pages than the first
// one announced) is a failure, never taken at face value: reading it as
// complete would lead to duplicates.
func (d *DNSimple) list(ctx context.Context, op, zone string, opts dnsimple.ZoneRecordListOptions) ([]Record, error) {
	opts.PerPage = dnsimple.Int(perPage)
	opts.Sort = dnsimple.String("id:asc")
	fetch := func(page int) (*dnsimple.ZoneRecordsResponse, error) {
		o := opts
		o.Page = dnsimple.Int(page)
		var resp *dnsimple.ZoneRecordsResponse
		err := d.call(ctx, op, listCall, func(ctx context.Context) (err error) {
			resp, err = d.client.Zones.ListRecords(ctx, d.account, zone, &o)
			return err
		})
		switch {
		case err != nil:
			return nil, err
		case resp.Data == nil || resp.Pagination == nil:
			// A listing always has both, even when empty.
			return nil, Nonsense(op, "the answer had no data or no pagination")
		case resp.Pagination.CurrentPage != page:
			return nil, Nonsense(op, "the answer was not the page asked for")
		}
		return resp, nil
	}
	first, err := fetch(1)
	if err != nil {
		return nil, err
	}
	announced := first.Pagination.TotalPages
	switch {
	case announced > maxPages:
		return nil, Nonsense(op, "the listing announced too many pages")
	case announced > 1 && len(first.Data) == 0:
		return nil, Nonsense(op, "the listing did not end")
	}
	pages := make([]*dnsimple.ZoneRecordsResponse, max(announced, 1))
	pages[0] = first
	errs := make([]error, len(pages))
	slots := make(chan struct{}, parallelPages)
	var wg sync.WaitGroup
	for i := 1; i < len(pages); i++ {
		wg.Add(1)
		slots <- struct{}{}
		go func() {
			defer func() { <-slots; wg.Done() }()
			pages[i], errs[i] = fetch(i + 1)
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	var all []Record
	take := func(resp *dnsimple.ZoneRecordsResponse) error {
		for _, r := range resp.Data {
			if len(all) > 0 && r.ID <= all[len(all)-1].ID {
				return Nonsense(op, "the listing repeated records or was not in id order")
			}
			all = append(all, fromDNSimple(zone, r))
		}
		return nil
	}
	for i, resp := range pages {
		if i > 0 && len(resp.Data) == 0 {
			return nil, Nonsense(op, "the listing did not end")
		}
		if err := take(resp); err != nil {
			return nil, err
		}
	}
	// Records created while the pages were read may have added a page;
	// more than that is a listing that does not end.
	if last := pages[len(pages)-1]; last.Pagination.TotalPages > len(pages) {
		next, err := fetch(len(pages) + 1)
		if err != nil {
			return nil, err
		}
		if len(next.Data) == 0 || next.Pagination.TotalPages > len(pages)+1 {
			return nil, Nonsense(op, "the listing did not end")
		}
		if err := take(next); err != nil {
			return nil, err
		}
	}
	return all, nil
}

// parallelPages bounds the pages of one listing fetched at once.
const parallelPages = 4

// Record implements Provider.
func (d *DNSimple) Record(ctx context.Context, zone string, id int64) (Record, error) {
	op := fmt.Sprintf("get record %d of %s", id, zone)
	var resp *dnsimple.ZoneRecordResponse
	err := d.call(ctx, op, getCall, func(ctx context.Context) (err error) {
		resp, err = d.client.Zones.GetRecord(ctx, d.account, zone, id)
		return err
	})
	if err != nil {
		return Record{}, err
	}
	return d.single(op, zone, resp)
}

// Distributed implements Provider with DNSimple's distribution checks. A
// check DNSimple could not make (its 504) is a failure like any other: the
// caller asks again.
func (d *DNSimple) Distributed(ctx context.Context, zone string, id int64) (bool, error) {
	op := "check the distribution of " + zone
	var resp *dnsimple.ZoneDistributionResponse
	err := d.call(ctx, op, pollCall, func(ctx context.Context) (err error) {
		if id == 0 {
			resp, err = d.client.Zones.CheckZoneDistribution(ctx, d.account, zone)
		} else {
			resp, err = d.client.Zones.CheckZoneRecordDistribution(ctx, d.account, zone, id)
		}
		return err
	})
	if err != nil {
		return false, err
	}
	if resp.Data == nil {
		return false, Nonsense(op, "the answer held no distribution")
	}
	return resp.Data.Distributed, nil
}

// Apply implements Provider. A change of several operations goes through
// DNSimple's batch endpoint, which applies all of it or none of it; a
// single operation uses its own endpoint. If the account's plan lacks
// batch changes, the operations are sent one by one in the order that
// leaves the zone closest to the intended state if one fails: updates and
// creates first, deletions of duplicates last.
func (d *DNSimple) Apply(ctx context.Context, zone string, change Change) (Applied, error) {
	if change.Size() > 1 {
		applied, err := d.batch(ctx, zone, change)
		if !errors.Is(err, errBatchUnavailable) {
			return applied, err
		}
	}
	return d.applyEach(ctx, zone, change)
}

// errBatchUnavailable marks a batch refused because the plan lacks it.
var errBatchUnavailable = errors.New("batch changes are not available on this plan")

func (d *DNSimple) batch(ctx context.Context, zone string, change Change) (Applied, error) {
	op := fmt.Sprintf("apply %d changes to %s", change.Size(), zone)
	var req dnsimple.BatchChangeZoneRecordsRequest
	for _, c := range change.Creates {
		req.Creates = append(req.Creates, toAttributes(c))
	}
	for _, u := range change.Updates {
		req.Updates = append(req.Updates, dnsimple.ZoneRecordUpdateRequest{ID: u.ID, Content: contentOut(change.Type, u.Content)})
	}
	for _, id := range change.Deletes {
		req.Deletes = append(req.Deletes, dnsimple.ZoneRecordDeleteRequest{ID: id})
	}
	var resp *dnsimple.BatchChangeZoneRecordsResponse
	err := d.call(ctx, op, zoneWrite, func(ctx context.Context) (err error) {
		resp, err = d.client.Zones.BatchChangeZoneRecords(ctx, d.account, zone, req)
		return err
	})
	var call *CallError
	if errors.As(err, &call) && call.Status == http.StatusPreconditionFailed {
		return Applied{}, errBatchUnavailable
	}
	if err != nil {
		return Applied{}, err
	}
	if resp.Data == nil || len(resp.Data.Creates) != len(change.Creates) || len(resp.Data.Updates) != len(change.Updates) {
		return Applied{}, Nonsense(op, "the answer does not match the change")
	}
	var applied Applied
	for _, r := range resp.Data.Creates {
		applied.Created = append(applied.Created, fromDNSimple(zone, r))
	}
	for _, r := range resp.Data.Updates {
		applied.Updated = append(applied.Updated, fromDNSimple(zone, r))
	}
	return applied, nil
}

func (d *DNSimple) applyEach(ctx context.Context, zone string, change Change) (Applied, error) {
	var applied Applied
	for _, u := range change.Updates {
		op := fmt.Sprintf("update record %d of %s", u.ID, zone)
		var resp *dnsimple.ZoneRecordResponse
		err := d.call(ctx, op, recordWrite, func(ctx context.Context) (err error) {
			resp, err = d.client.Zones.UpdateRecord(ctx, d.account, zone, u.ID, dnsimple.ZoneRecordAttributes{Content: contentOut(change.Type, u.Content)})
			return err
		})
		if err != nil {
			return applied, err
		}
		r, err := d.single(op, zone, resp)
		if err != nil {
			return applied, err
		}
		applied.Updated = append(applied.Updated, r)
	}
	for _, c := range change.Creates {
		op := fmt.Sprintf("create a %s record %q in %s", c.Type, c.Name, zone)
		var resp *dnsimple.ZoneRecordResponse
		err := d.call(ctx, op, zoneWrite, func(ctx context.Context) (err error) {
			resp, err = d.client.Zones.CreateRecord(ctx, d.account, zone, toAttributes(c))
			return err
		})
		if err != nil {
			return applied, err
		}
		r, err := d.single(op, zone, resp)
		if err != nil {
			return applied, err
		}
		applied.Created = append(applied.Created, r)
	}
	for _, id := range change.Deletes {
		op := fmt.Sprintf("delete record %d of %s", id, zone)
		err := d.call(ctx, op, recordWrite, func(ctx context.Context) error {
			_, err := d.client.Zones.DeleteRecord(ctx, d.account, zone, id)
			return err
		})
		if err != nil {
			return applied, err
		}
	}
	return applied, nil
}

// single unpacks an answer that must hold one record.
func (d *DNSimple) single(op, zone string, resp *dnsimple.ZoneRecordResponse) (Record, error) {
	if resp.Data == nil || resp.Data.ID == 0 {
		return Record{}, Nonsense(op, "the answer held no record")
	}
	return fromDNSimple(zone, *resp.Data), nil
}

func toAttributes(c NewRecord) dnsimple.ZoneRecordAttributes {
	name := c.Name
	return dnsimple.ZoneRecordAttributes{Name: &name, Type: c.Type, Content: contentOut(c.Type, c.Content), TTL: c.TTL}
}

func fromDNSimple(zone string, r dnsimple.ZoneRecord) Record {
	return Record{
		ID:        r.ID,
		Zone:      zone,
		Name:      r.Name,
		Type:      r.Type,
		Content:   contentIn(r.Type, r.Content),
		TTL:       r.TTL,
		System:    r.SystemRecord,
		CreatedAt: r.CreatedAt,
		UpdatedAt: r.UpdatedAt,
	}
}

// callKind says what a failed answer means for one kind of call.
type callKind int

const (
	whoamiCall  callKind = iota // nothing is refusable or missing
	listCall                    // 404: the zone is missing
	getCall                     // 404: no such record
	zoneWrite                   // create, batch: 404 the zone is missing; 400 refused
	recordWrite                 // update, delete: 404 no such record; 400 refused
	pollCall                    // a distribution check: 404 no such record; never retried, its caller polls
)

// notFound is what a 404 means.
func (k callKind) notFound() (fault.Kind, string) {
	switch k {
	case listCall, zoneWrite:
		return fault.Upstream, msgZoneMissing
	case getCall, recordWrite, pollCall:
		return fault.NotFound, msgGone
	}
	return fault.Upstream, msgUnavailable
}

// refusable reports whether a 400, 409 or 422 means DNSimple refused a
// change; for a read it only means something went wrong.
func (k callKind) refusable() bool { return k == zoneWrite || k == recordWrite }

// maxMessageLength caps how much of DNSimple's explanation is logged.
const maxMessageLength = 300

// call runs one request with the deadline and turns whatever went wrong
// into a fault.Error of the right kind, in our words, with what DNSimple
// said kept behind it for the log.
//
// A read that fails for want of an answer (a 5xx, a connection that
// failed) is tried again, after a jittered backoff, while the caller's
// deadline leaves room; a write never is (see records: after an
// ambiguous failure it reads again and acts on what is there).
func (d *DNSimple) call(ctx context.Context, op string, kind callKind, fn func(context.Context) error) error {
	for attempt := 1; ; attempt++ {
		transient, err := d.try(ctx, op, kind, fn)
		if err == nil || !transient || !kind.idempotent() || attempt == maxAttempts {
			return err
		}
		wait := time.Duration((0.5 + rand.Float64()) * float64(retryBase<<(attempt-1)))
		if deadline, ok := ctx.Deadline(); ok && time.Until(deadline) < wait+retryBase {
			return err
		}
		select {
		case <-time.After(wait):
		case <-ctx.Done():
			return err
		}
	}
}

// Retries of reads: at most maxAttempts tries, backing off from
// retryBase.
const (
	maxAttempts = 3
	retryBase   = 100 * time.Millisecond
)

// idempotent reports whether a call may be repeated blindly.
func (k callKind) idempotent() bool { return k == whoamiCall || k == listCall || k == getCall }

// try makes one call; transient reports a failure that another try may
// not have (a 5xx, or no answer for another reason than the deadline).
func (d *DNSimple) try(ctx context.Context, op string, kind callKind, fn func(context.Context) error) (transient bool, err error) {
	callCtx, cancel := context.WithTimeout(ctx, d.timeout)
	defer cancel()
	var seen answer
	if err = fn(withAnswer(callCtx, &seen)); err == nil {
		return false, nil
	}
	if errors.Is(ctx.Err(), context.Canceled) {
		return false, ctx.Err() // the caller went away; nobody is waiting for a status
	}
	timedOut := errors.Is(callCtx.Err(), context.DeadlineExceeded) || isTimeout(err)
	return !timedOut && (seen.status >= 500 || seen.status == 0), d.failure(op, kind, seen, err, timedOut)
}

// failure turns a failed call into a fault.Error of the right kind.
func (d *DNSimple) failure(op string, kind callKind, seen answer, err error, timedOut bool) error {
	call := &CallError{Op: op, Status: seen.status, Cause: errors.New(d.scrub(err.Error()))}
	var fields []string
	var apiErr *dnsimple.ErrorResponse
	if errors.As(err, &apiErr) {
		call.Detail, fields = describe(apiErr)
		call.Detail = d.scrub(call.Detail)
	}
	switch status := seen.status; {
	case timedOut:
		return fault.Wrap(call, fault.Timeout, msgTimeout)
	case status == http.StatusUnauthorized || status == http.StatusForbidden:
		return fault.Wrap(call, fault.Upstream, msgAccountToken)
	case status == http.StatusNotFound:
		k, msg := kind.notFound()
		return fault.Wrap(call, k, "%s", msg)
	case status == http.StatusTooManyRequests:
		return rateLimited(call, seen.reset)
	case kind.refusable() && (status == http.StatusBadRequest || status == http.StatusConflict ||
		status == http.StatusUnprocessableEntity):
		msg := msgRefused
		if len(fields) > 0 {
			msg += " (it objected to: " + strings.Join(fields, ", ") + ")"
		}
		return fault.Wrap(call, fault.Conflict, "%s", msg)
	}
	// 5xx, other statuses, garbage, a connection that failed.
	return fault.Wrap(call, fault.Upstream, msgUnavailable)
}

// describe renders DNSimple's error message and field errors in one line
// for the log, and returns the names of the record fields it faulted
// (only names of DNSimple's record fields are ever repeated to callers).
func describe(apiErr *dnsimple.ErrorResponse) (string, []string) {
	msg := apiErr.Message
	var fields []string
	for _, field := range slices.Sorted(maps.Keys(apiErr.AttributeErrors)) {
		msg += fmt.Sprintf("; %s %s", field, strings.Join(apiErr.AttributeErrors[field], ", "))
		if slices.Contains(recordFields, field) {
			fields = append(fields, field)
		}
	}
	return msg, fields
}

// recordFields are the fields of a DNSimple zone record change.
var recordFields = []string{"name", "type", "content", "ttl", "priority", "regions", "base"}

// scrub makes text from DNSimple fit for the log: never the account token
// (an answer may quote it), and never more than a few hundred bytes.
func (d *DNSimple) scrub(text string) string {
	text = strings.ReplaceAll(text, d.token, "[redacted]")
	if len(text) > maxMessageLength {
		text = text[:maxMessageLength] + "..."
	}
	return text
}

func isTimeout(err error) bool {
	var t interface{ Timeout() bool }
	return errors.As(err, &t) && t.Timeout()
}
