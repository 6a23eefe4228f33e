// Package upstream talks to the DNS provider that holds the zones. The rest
// of the service sees only the small Provider interface, so the DNSimple
// client, its URLs and its error shapes stay in this package, and another
// provider could later sit behind the same interface.
package upstream

import "context"

// Provider is a DNS provider's record store. Every method makes one or more
// calls that each have a deadline; zone names passed in must already be
// validated against the managed set, because implementations put them into
// URLs.
type Provider interface {
	// Records lists every record of a zone, system records included,
	// following pagination to the end.
	Records(ctx context.Context, zone string) ([]Record, error)
	// FindRecords lists the records of one name and type (name "" is the
	// apex; type "" is every type), using the provider's filters rather
	// than listing the zone.
	FindRecords(ctx context.Context, zone, name, recordType string) ([]Record, error)
	// Record fetches one record by id; ErrNotFound if the zone has no such
	// record.
	Record(ctx context.Context, zone string, id int64) (Record, error)
	// Apply makes a change to a zone as one unit: all of it happens or, if
	// the provider can express that, none of it.
	Apply(ctx context.Context, zone string, change Change) (Applied, error)
	// Distributed reports whether every one of the provider's name servers
	// serves the record with that id as it now is, or, for id 0, the zone
	// as it now is (after a deletion).
	Distributed(ctx context.Context, zone string, id int64) (bool, error)
}

// Record is a zone record as the provider stores it.
type Record struct {
	ID        int64
	Zone      string
	Name      string // relative to the zone; "" is the apex
	Type      string
	Content   string
	TTL       int
	System    bool // created by the provider (SOA, NS) and not changeable
	CreatedAt string
	UpdatedAt string
}

// NewRecord is a record to create.
type NewRecord struct {
	Name    string
	Type    string
	Content string
	TTL     int
}

// Update changes the content of an existing record.
type Update struct {
	ID      int64
	Content string
}

// Change is a set of record changes to one record set (every record of
// one type at one name) of a zone. Name and Type say which set: a provider
// need not use them, but a cache in front of it keeps that set's entry
// true to the change.
type Change struct {
	Name    string
	Type    string
	Creates []NewRecord
	Updates []Update
	Deletes []int64
}

// Size is the number of operations in the change.
func (c Change) Size() int { return len(c.Creates) + len(c.Updates) + len(c.Deletes) }

// Applied is what a change produced: the records as they now are.
type Applied struct {
	Created []Record
	Updated []Record
}
