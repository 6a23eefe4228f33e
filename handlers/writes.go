package handlers

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/dns-api/dns-api/records"
)

// writeParams are the query parameters every write reads (docs/endpoints.md,
// "Examples": wait and dry_run).
type writeParams struct {
	// wait is how long to wait, after the change, for every DNSimple name
	// server to serve it (0: not at all).
	wait time.Duration
	// dryRun asks for everything but the change.
	dryRun bool
}

func (w writeParams) options() records.WriteOptions { return records.WriteOptions{DryRun: w.dryRun} }

// readWriteParams reads wait and dry_run. A wait longer than what is left
// of the request's deadline could never be honoured: it is refused, saying
// how long a wait may be. dry_run only where a preview is possible.
func readWriteParams(c echo.Context, dryRunAllowed bool) (writeParams, error) {
	var w writeParams
	if c.Request().URL.RawQuery == "" {
		return w, nil
	}
	if raw := c.QueryParam("dry_run"); raw != "" {
		dryRun, err := strconv.ParseBool(raw)
		switch {
		case err != nil:
			return w, badRequest("dry_run must be true or false, not %s", quoteShort(raw))
		case dryRun && !dryRunAllowed:
			return w, badRequest("dry_run is not offered on this endpoint")
		}
		w.dryRun = dryRun
	}
	if raw := c.QueryParam("wait"); raw != "" {
		wait, err := time.ParseDuration(raw)
		if err != nil || wait < 0 {
			return w, badRequest("wait must be a duration like 20s (0 for none), not %s", quoteShort(raw))
		}
		if deadline, ok := c.Request().Context().Deadline(); ok {
			if left := time.Until(deadline).Truncate(time.Second); wait > left {
				return w, badRequest("wait may be at most %s: what is left of this request's deadline (REQUEST_TIMEOUT)", left)
			}
		}
		w.wait = wait
	}
	return w, nil
}

// respondWrite answers a write in the envelope: meta.action; for a dry
// run, meta.dry_run and meta.plan (and 200, since nothing was made); with
// a wait, meta.distributed, and 202 when the wait ended before every name
// server served the change.
func respondWrite(c echo.Context, svc *records.Service, w writeParams, status int, data any, o records.Outcome) error {
	m := meta{Action: string(o.Action)}
	switch {
	case o.DryRun:
		status = http.StatusOK
		m.DryRun = true
		plan := make([]planned, 0, len(o.Plan))
		for _, op := range o.Plan {
			plan = append(plan, planned{Op: op.Op, Record: toJSON(op.Record)})
		}
		m.Plan = &plan
	case w.wait > 0:
		distributed := w.await(c, svc, o)
		m.Distributed = &distributed
		if !distributed {
			status = http.StatusAccepted
		}
	}
	return writeEnvelope(c, status, envelope{Data: data, Meta: m})
}

// await waits, at most w.wait, until every DNSimple name server serves
// the changes, and reports whether they do.
func (w writeParams) await(c echo.Context, svc *records.Service, changes ...records.Outcome) bool {
	ctx, cancel := context.WithTimeout(c.Request().Context(), w.wait)
	defer cancel()
	for _, o := range changes {
		if !svc.Await(ctx, o) {
			return false
		}
	}
	return true
}

// planned is one operation of a dry run's plan.
type planned struct {
	Op     string     `json:"op"`
	Record recordJSON `json:"record"`
}
