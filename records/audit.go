package records

import (
	"context"
	"log/slog"

	"github.com/dns-api/dns-api/fault"
)

// auditRecord writes one audit line: who (user, token id, client address)
// did what (action) to which record, and how it ended (outcome, and the
// reason when refused or failed). It never holds a token or a secret.
func (s *Service) auditRecord(ctx context.Context, c Caller, action, record, outcome string, err error, more ...slog.Attr) {
	tokenID := c.TokenID
	if tokenID == "" {
		tokenID = "none" // a token minted without jti
	}
	attrs := []slog.Attr{
		slog.String("user", c.User),
		slog.String("token_id", tokenID),
		slog.String("client", addrText(c.Addr)),
		slog.String("action", action),
		slog.String("record", record),
		slog.String("outcome", outcome),
	}
	if err != nil {
		attrs = append(attrs, slog.String("reason", err.Error()))
	}
	s.audit.LogAttrs(ctx, slog.LevelInfo, "audit", append(attrs, more...)...)
}

// auditResult records how a change ended: its action, "refused" when the
// permission check said no (even where the caller is told "not found"),
// "failed" on any other error. A dry run is marked as one.
func (s *Service) auditResult(ctx context.Context, c Caller, action, record string, done Action, err error, opts WriteOptions) {
	var more []slog.Attr
	if opts.DryRun {
		more = append(more, slog.Bool("dry_run", true))
	}
	switch refusal := refusalOf(err); {
	case refusal != nil:
		s.auditRecord(ctx, c, action, record, "refused", refusal, more...)
	case err != nil:
		s.auditRecord(ctx, c, action, record, "failed", err, more...)
	default:
		s.auditRecord(ctx, c, action, record, string(done), nil, more...)
	}
}

// authorizeUse checks what an operation needs before any record is known
// (network and scope), writing a refusal to the audit log.
func (s *Service) authorizeUse(ctx context.Context, c Caller, op operation, action string) error {
	err := c.allowsUse(op)
	if err != nil {
		s.auditRecord(ctx, c, action, "", "refused", err)
	}
	return err
}

// refusalOf returns the permission refusal behind err: err itself when it
// is Forbidden, or the reason a record was reported missing to the caller.
func refusalOf(err error) error {
	switch e := fault.As(err); {
	case e == nil:
		return nil
	case e.Kind == fault.Forbidden:
		return e
	case e.Kind == fault.NotFound && fault.Is(e.Err, fault.Forbidden):
		return e.Err
	}
	return nil
}
