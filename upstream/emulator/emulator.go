// Package emulator is an in-process emulator of the subset of the DNSimple
// API v2 that dns-api uses: identity, domains, zones, zone records and
// batch record changes.
//
// It exists so that dns-api can be tested, and demonstrated with
// `dns-api dev`, without a DNSimple account or network access, while still
// exercising the real DNSimple Go client against answers shaped like the
// real API's: the same JSON documents, status codes, error formats,
// pagination, rate-limit headers and validation refusals. An Emulator is an
// http.Handler; wrap it in httptest.NewServer or serve it with http.Server.
package emulator

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"
)

// Defaults applied by New to zero-valued Options fields.
const (
	// DefaultAccountID is the account id used when Options.AccountID is zero.
	DefaultAccountID int64 = 1010
	// DefaultFirstRecordID is the first record id allocated when
	// Options.FirstRecordID is zero. It is above 2^32, like DNSimple's own
	// ids, so a client that keeps ids in 32 bits (signed or not) is caught.
	DefaultFirstRecordID int64 = 1<<32 + 1
	// DefaultRateLimit is the number of requests per hour window used when
	// Options.RateLimit is zero.
	DefaultRateLimit = 2400
)

// maxRequestLog is how many requests Requests keeps, the most recent ones.
const maxRequestLog = 10000

// Options configures an Emulator.
type Options struct {
	// Token is the only API token the emulator accepts (required).
	Token string
	// AccountID is the id of the emulated account (default 1010).
	AccountID int64
	// Zones are created, with their system records, when the emulator starts.
	Zones []string
	// FirstRecordID is the id given to the first record created (default
	// DefaultFirstRecordID); later records get increasing ids.
	FirstRecordID int64
	// RateLimit is the number of requests allowed per one-hour window
	// (default 2400).
	RateLimit int
	// Now is the emulator's clock (default time.Now). Tests pass a fake
	// clock to drive timestamps and the rate-limit window.
	Now func() time.Time
	// PropagationDelay is how long after a change the distribution checks
	// say that every name server serves it (zero: at once).
	PropagationDelay time.Duration
}

// Record is a zone record as the emulator stores it.
type Record struct {
	// ID is the record id, unique across all zones.
	ID int64
	// Zone is the name of the zone that holds the record.
	Zone string
	// Name is the record name relative to the zone, "" for the apex.
	Name string
	// Type is the record type, e.g. "A" or "MX".
	Type string
	// Content is the record content, e.g. "192.0.2.1".
	Content string
	// TTL is the time to live in seconds.
	TTL int
	// Priority is the priority of MX and SRV records; it is ignored (and
	// answered as null) for other types.
	Priority int
	// Regions lists the regions where the record is served; empty means
	// ["global"].
	Regions []string
	// System reports a record created with the zone (its SOA and NS
	// records), which the API refuses to change or delete.
	System bool
	// CreatedAt is when the record was created.
	CreatedAt time.Time
	// UpdatedAt is when the record was last changed.
	UpdatedAt time.Time
	// changed is exactly when, for the distribution check.
	changed time.Time
}

// Request is one entry of the log of requests the emulator served.
type Request struct {
	// Method is the HTTP method, e.g. "GET".
	Method string
	// Path is the URL path, e.g. "/v2/1010/zones/example.com/records".
	Path string
	// Query is the raw query string, without the leading "?".
	Query string
}

// zone is one hosted zone (and its domain) with its records.
type zone struct {
	id        int64
	name      string
	createdAt time.Time
	// changed is when a record of the zone last changed, for the
	// distribution check.
	changed time.Time
	// records are kept sorted by id, which is also creation order.
	records []Record
}

// Emulator is an in-memory DNSimple API v2 account. It is safe for
// concurrent use. Create one with New.
type Emulator struct {
	token     string
	accountID int64
	rateLimit int
	now       func() time.Time
	createdAt time.Time
	delay     time.Duration // propagation

	distributionFails bool // the distribution checks answer 504

	mu           sync.Mutex
	zones        []*zone // in creation order
	nextZoneID   int64
	nextRecordID int64
	windowStart  time.Time // zero until the first authenticated request
	windowUsed   int
	requestSeq   uint64
	requests     []Request
}

// New returns an Emulator configured by opts, with opts.Zones already
// created. It fails when opts.Token is empty or a zone name is invalid or
// repeated.
func New(opts Options) (*Emulator, error) {
	if opts.Token == "" {
		return nil, errors.New("emulator: empty token")
	}
	if opts.AccountID < 0 || opts.FirstRecordID < 0 || opts.RateLimit < 0 {
		return nil, errors.New("emulator: negative AccountID, FirstRecordID or RateLimit")
	}
	e := &Emulator{
		token:        opts.Token,
		accountID:    opts.AccountID,
		rateLimit:    opts.RateLimit,
		now:          opts.Now,
		delay:        opts.PropagationDelay,
		nextZoneID:   1,
		nextRecordID: opts.FirstRecordID,
	}
	if e.accountID == 0 {
		e.accountID = DefaultAccountID
	}
	if e.nextRecordID == 0 {
		e.nextRecordID = DefaultFirstRecordID
	}
	if e.rateLimit == 0 {
		e.rateLimit = DefaultRateLimit
	}
	if e.now == nil {
		e.now = time.Now
	}
	e.createdAt = e.timestamp()
	for _, name := range opts.Zones {
		if err := e.AddZone(name); err != nil {
			return nil, err
		}
	}
	return e, nil
}

// AddZone creates a hosted zone (listed both as a zone and as a domain)
// with its system records: one SOA and the NS records ns1 to
// ns4.dnsimple.com at the apex. The name is stored lower-case; a trailing
// dot is dropped. It fails for an invalid name or an existing zone.
func (e *Emulator) AddZone(name string) error {
	name = strings.ToLower(strings.TrimSuffix(name, "."))
	if !validZoneName(name) {
		return fmt.Errorf("emulator: invalid zone name %q", name)
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.zoneLocked(name) != nil {
		return fmt.Errorf("emulator: zone %q already exists", name)
	}
	now := e.timestamp()
	z := &zone{id: e.nextZoneID, name: name, createdAt: now}
	e.nextZoneID++
	soa := fmt.Sprintf("ns1.dnsimple.com admin.dnsimple.com %d 86400 7200 604800 300", now.Unix())
	z.records = append(z.records, e.systemRecordLocked(name, "SOA", soa, now))
	for i := 1; i <= 4; i++ {
		ns := fmt.Sprintf("ns%d.dnsimple.com", i)
		z.records = append(z.records, e.systemRecordLocked(name, "NS", ns, now))
	}
	e.zones = append(e.zones, z)
	return nil
}

// systemRecordLocked builds an apex system record with a fresh id.
func (e *Emulator) systemRecordLocked(zoneName, typ, content string, now time.Time) Record {
	return Record{
		ID:        e.allocRecordIDLocked(),
		Zone:      zoneName,
		Type:      typ,
		Content:   content,
		TTL:       3600,
		Regions:   []string{"global"},
		System:    true,
		CreatedAt: now,
		UpdatedAt: now,
	}
}

// Seed stores a record as-is, bypassing the API's validation (tests use it
// to build states the API refuses, e.g. duplicates). It allocates the id,
// sets Zone, fills zero timestamps with the current time, and returns the
// stored record. It fails only for an unknown zone.
func (e *Emulator) Seed(zoneName string, r Record) (Record, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	z := e.zoneLocked(zoneName)
	if z == nil {
		return Record{}, fmt.Errorf("emulator: zone %q not found", zoneName)
	}
	now := e.timestamp()
	r.ID = e.allocRecordIDLocked()
	r.Zone = z.name
	r.Regions = slices.Clone(r.Regions)
	if r.CreatedAt.IsZero() {
		r.CreatedAt = now
	}
	if r.UpdatedAt.IsZero() {
		r.UpdatedAt = r.CreatedAt
	}
	z.records = append(z.records, r)
	return cloneRecord(r), nil
}

// Records returns a snapshot of a zone's records, system ones included,
// sorted by id. It returns nil for an unknown zone.
func (e *Emulator) Records(zoneName string) []Record {
	e.mu.Lock()
	defer e.mu.Unlock()
	z := e.zoneLocked(zoneName)
	if z == nil {
		return nil
	}
	return cloneRecords(z.records)
}

// Requests returns the log of requests served, oldest first. Only the most
// recent 10,000 are kept.
func (e *Emulator) Requests() []Request {
	e.mu.Lock()
	defer e.mu.Unlock()
	reqs := e.requests
	if len(reqs) > maxRequestLog {
		reqs = reqs[len(reqs)-maxRequestLog:]
	}
	return slices.Clone(reqs)
}

// FailDistributionChecks makes the distribution checks answer as DNSimple
// does when it cannot query its name servers (504), or stops it.
func (e *Emulator) FailDistributionChecks(fail bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.distributionFails = fail
}

// ResetRequests empties the log of requests served.
func (e *Emulator) ResetRequests() {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.requests = nil
}

// timestamp is the current time as the API shows it: UTC, whole seconds.
func (e *Emulator) timestamp() time.Time {
	return e.now().UTC().Truncate(time.Second)
}

// allocRecordIDLocked returns the next record id.
func (e *Emulator) allocRecordIDLocked() int64 {
	id := e.nextRecordID
	e.nextRecordID++
	return id
}

// zoneLocked finds a zone by name (case-insensitive), or nil.
func (e *Emulator) zoneLocked(name string) *zone {
	name = strings.TrimSuffix(name, ".")
	for _, z := range e.zones {
		if strings.EqualFold(z.name, name) {
			return z
		}
	}
	return nil
}

// zoneByRefLocked finds a zone by name or by decimal id, or nil.
func (e *Emulator) zoneByRefLocked(ref string) *zone {
	if z := e.zoneLocked(ref); z != nil {
		return z
	}
	for _, z := range e.zones {
		if fmt.Sprint(z.id) == ref {
			return z
		}
	}
	return nil
}

// indexOf returns the index of the record with the given id in records
// (sorted by id), or -1.
func indexOf(records []Record, id int64) int {
	i, found := slices.BinarySearchFunc(records, id, func(r Record, id int64) int {
		switch {
		case r.ID < id:
			return -1
		case r.ID > id:
			return 1
		}
		return 0
	})
	if !found {
		return -1
	}
	return i
}

// cloneRecord returns a copy of r that shares no memory with it.
func cloneRecord(r Record) Record {
	r.Regions = slices.Clone(r.Regions)
	return r
}

// cloneRecords returns a deep copy of records.
func cloneRecords(records []Record) []Record {
	out := make([]Record, len(records))
	for i, r := range records {
		out[i] = cloneRecord(r)
	}
	return out
}
