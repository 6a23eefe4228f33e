package upstream

import (
	"context"

	"github.com/dns-api/dns-api/fault"
	"github.com/dns-api/dns-api/state"
)

// Gated is a Provider that does not call DNSimple while the account's
// rate budget is spent: DNSimple would only answer 429, and count it.
// The budget is what DNSimple's answers last said of it (see Call); with a
// shared state, one instance's 429 holds every instance back.
type Gated struct {
	next   Provider
	budget state.Budget
}

var _ Provider = (*Gated)(nil)

// NewGated gates next by budget.
func NewGated(next Provider, budget state.Budget) *Gated { return &Gated{next: next, budget: budget} }

// ReportTo returns the observer that keeps budget up to date from every
// answer's rate-limit headers.
func ReportTo(budget state.Budget) func(Call) {
	return func(c Call) {
		if c.RateKnown {
			budget.Report(context.Background(), c.Remaining, c.Reset)
		}
	}
}

func (g *Gated) open(ctx context.Context) error {
	if until, spent := g.budget.Spent(ctx); spent {
		return &fault.Error{Kind: fault.RateLimited, Message: msgRateLimited, RetryAt: until}
	}
	return nil
}

// Records implements Provider.
func (g *Gated) Records(ctx context.Context, zone string) ([]Record, error) {
	if err := g.open(ctx); err != nil {
		return nil, err
	}
	return g.next.Records(ctx, zone)
}

// FindRecords implements Provider.
func (g *Gated) FindRecords(ctx context.Context, zone, name, recordType string) ([]Record, error) {
	if err := g.open(ctx); err != nil {
		return nil, err
	}
	return g.next.FindRecords(ctx, zone, name, recordType)
}

// Record implements Provider.
func (g *Gated) Record(ctx context.Context, zone string, id int64) (Record, error) {
	if err := g.open(ctx); err != nil {
		return Record{}, err
	}
	return g.next.Record(ctx, zone, id)
}

// Apply implements Provider.
func (g *Gated) Apply(ctx context.Context, zone string, change Change) (Applied, error) {
	if err := g.open(ctx); err != nil {
		return Applied{}, err
	}
	return g.next.Apply(ctx, zone, change)
}

// Distributed implements Provider.
func (g *Gated) Distributed(ctx context.Context, zone string, id int64) (bool, error) {
	if err := g.open(ctx); err != nil {
		return false, err
	}
	return g.next.Distributed(ctx, zone, id)
}
