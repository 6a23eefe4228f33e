package emulator

import (
	"cmp"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// answer is a response computed under the lock and written after it is
// released, so that a slow client never holds the lock.
type answer struct {
	status int
	body   any // nil for 204
}

// write sends the answer.
func (a answer) write(w http.ResponseWriter) {
	if a.status == http.StatusNoContent {
		writeNoContent(w)
		return
	}
	writeJSON(w, a.status, a.body)
}

// dataAnswer is a success answer {"data": data}.
func dataAnswer(status int, data any) answer {
	return answer{status: status, body: dataBody{Data: data}}
}

// errorAnswer is an error answer {"message": msg}.
func errorAnswer(status int, msg string) answer {
	return answer{status: status, body: errorBody{Message: msg}}
}

// validationAnswer is a 400 Validation failed answer with errs.
func validationAnswer(errs any) answer {
	return answer{status: http.StatusBadRequest, body: errorBody{Message: "Validation failed", Errors: errs}}
}

// zoneNotFound is the answer for an unknown zone reference.
func zoneNotFound(ref string) answer {
	return errorAnswer(http.StatusNotFound, "Zone `"+ref+"` not found")
}

// recordNotFound is the answer for an unknown record reference.
func recordNotFound(ref string) answer {
	return errorAnswer(http.StatusNotFound, "Record `"+ref+"` not found")
}

// parseID parses a decimal id made of digits only.
func parseID(s string) (int64, bool) {
	if s == "" || strings.Trim(s, "0123456789") != "" {
		return 0, false
	}
	id, err := strconv.ParseInt(s, 10, 64)
	return id, err == nil
}

// ---- identity ----

// whoami serves GET /v2/whoami: the token is an account token.
func (e *Emulator) whoami(w http.ResponseWriter, _ *http.Request, _ params) {
	created := formatTime(e.createdAt)
	dataAnswer(http.StatusOK, whoamiView{Account: &accountView{
		ID:             e.accountID,
		Email:          fmt.Sprintf("account-%d@example.com", e.accountID),
		Name:           "Emulated Account",
		PlanIdentifier: "teams-v1-monthly",
		CreatedAt:      created,
		UpdatedAt:      created,
	}}).write(w)
}

// ---- domains and zones ----

// zonesMatching returns the zones whose name contains the request's
// name_like filter, sorted as it asks, or an error answer.
func (e *Emulator) zonesMatching(r *http.Request, sortFields []string) ([]*zone, listQuery, *answer) {
	q := r.URL.Query()
	lq, msg := parseListQuery(q, sortFields, sortKey{field: "name"})
	if msg != "" {
		a := errorAnswer(http.StatusBadRequest, msg)
		return nil, lq, &a
	}
	e.mu.Lock()
	var zones []*zone
	for _, z := range e.zones {
		if q.Has("name_like") && !containsFold(z.name, q.Get("name_like")) {
			continue
		}
		zones = append(zones, z)
	}
	e.mu.Unlock()
	slices.SortStableFunc(zones, compareBy(lq.sort, func(a, b *zone, field string) int {
		switch field {
		case "id":
			return cmp.Compare(a.id, b.id)
		case "name":
			return strings.Compare(a.name, b.name)
		}
		return 0 // expiration: hosted domains never expire
	}, func(z *zone) int64 { return z.id }))
	return zones, lq, nil
}

// listDomains serves GET /v2/{account}/domains. Every zone is a hosted
// domain; as hosted domains have no registrant, a registrant_id filter
// matches none.
func (e *Emulator) listDomains(w http.ResponseWriter, r *http.Request, _ params) {
	zones, lq, errAnswer := e.zonesMatching(r, []string{"id", "name", "expiration"})
	if errAnswer != nil {
		errAnswer.write(w)
		return
	}
	if r.URL.Query().Has("registrant_id") {
		zones = nil
	}
	page, pg := paginate(zones, lq)
	data := make([]domainView, 0, len(page))
	for _, z := range page {
		data = append(data, e.viewDomain(z))
	}
	writeJSON(w, http.StatusOK, dataBody{Data: data, Pagination: pg})
}

// getDomain serves GET /v2/{account}/domains/{domain}, by name or id.
func (e *Emulator) getDomain(w http.ResponseWriter, _ *http.Request, p params) {
	e.mu.Lock()
	z := e.zoneByRefLocked(p.domain)
	e.mu.Unlock()
	if z == nil {
		writeError(w, http.StatusNotFound, "Domain `"+p.domain+"` not found")
		return
	}
	writeData(w, http.StatusOK, e.viewDomain(z))
}

// listZones serves GET /v2/{account}/zones.
func (e *Emulator) listZones(w http.ResponseWriter, r *http.Request, _ params) {
	zones, lq, errAnswer := e.zonesMatching(r, []string{"id", "name"})
	if errAnswer != nil {
		errAnswer.write(w)
		return
	}
	page, pg := paginate(zones, lq)
	data := make([]zoneView, 0, len(page))
	for _, z := range page {
		data = append(data, e.viewZone(z))
	}
	writeJSON(w, http.StatusOK, dataBody{Data: data, Pagination: pg})
}

// getZone serves GET /v2/{account}/zones/{zone}, by name or id.
func (e *Emulator) getZone(w http.ResponseWriter, _ *http.Request, p params) {
	e.mu.Lock()
	z := e.zoneByRefLocked(p.zone)
	e.mu.Unlock()
	if z == nil {
		zoneNotFound(p.zone).write(w)
		return
	}
	writeData(w, http.StatusOK, e.viewZone(z))
}

// ---- records ----

// compareRecordField compares two records on a sort field.
func compareRecordField(a, b Record, field string) int {
	switch field {
	case "id":
		return cmp.Compare(a.ID, b.ID)
	case "name":
		return strings.Compare(a.Name, b.Name)
	case "content":
		return strings.Compare(a.Content, b.Content)
	case "type":
		return strings.Compare(a.Type, b.Type)
	}
	return 0
}

// listRecords serves GET /v2/{account}/zones/{zone}/records with the
// filters name (exact; empty means the apex), name_like and type, sorting
// and pagination.
func (e *Emulator) listRecords(w http.ResponseWriter, r *http.Request, p params) {
	q := r.URL.Query()
	e.mu.Lock()
	z := e.zoneByRefLocked(p.zone)
	var matched []Record
	if z != nil {
		for _, rec := range z.records {
			switch {
			case q.Has("name") && !strings.EqualFold(rec.Name, q.Get("name")):
			case q.Has("name_like") && !containsFold(rec.Name, q.Get("name_like")):
			case q.Has("type") && !strings.EqualFold(rec.Type, q.Get("type")):
			default:
				matched = append(matched, cloneRecord(rec))
			}
		}
	}
	e.mu.Unlock()
	if z == nil {
		zoneNotFound(p.zone).write(w)
		return
	}
	lq, msg := parseListQuery(q, []string{"id", "name", "content", "type"}, sortKey{field: "name"})
	if msg != "" {
		writeError(w, http.StatusBadRequest, msg)
		return
	}
	slices.SortStableFunc(matched, compareBy(lq.sort, compareRecordField, func(r Record) int64 { return r.ID }))
	page, pg := paginate(matched, lq)
	writeJSON(w, http.StatusOK, dataBody{Data: viewRecords(page), Pagination: pg})
}

// createRecord serves POST /v2/{account}/zones/{zone}/records.
func (e *Emulator) createRecord(w http.ResponseWriter, r *http.Request, p params) {
	var change recordChange
	if !decodeBody(w, r, &change) {
		return
	}
	e.createRecordAnswer(p.zone, change).write(w)
}

// createRecordAnswer validates and stores a new record.
func (e *Emulator) createRecordAnswer(zoneRef string, change recordChange) answer {
	e.mu.Lock()
	defer e.mu.Unlock()
	z := e.zoneByRefLocked(zoneRef)
	if z == nil {
		return zoneNotFound(zoneRef)
	}
	rec := newRecordFrom(z.name, change)
	if errs := validateRecord(z.name, &rec, z.records); errs != nil {
		return validationAnswer(errs)
	}
	now := e.timestamp()
	rec.ID = e.allocRecordIDLocked()
	rec.CreatedAt, rec.UpdatedAt = now, now
	rec.changed, z.changed = e.now(), e.now()
	z.records = append(z.records, rec)
	return dataAnswer(http.StatusCreated, viewRecord(rec))
}

// findRecordLocked finds the zone and the index of the record a path
// names, or returns the 404 answer.
func (e *Emulator) findRecordLocked(p params) (*zone, int, *answer) {
	z := e.zoneByRefLocked(p.zone)
	if z == nil {
		a := zoneNotFound(p.zone)
		return nil, -1, &a
	}
	id, ok := parseID(p.record)
	i := -1
	if ok {
		i = indexOf(z.records, id)
	}
	if i < 0 {
		a := recordNotFound(p.record)
		return nil, -1, &a
	}
	return z, i, nil
}

// getRecord serves GET /v2/{account}/zones/{zone}/records/{id}.
func (e *Emulator) getRecord(w http.ResponseWriter, _ *http.Request, p params) {
	e.getRecordAnswer(p).write(w)
}

// getRecordAnswer looks a record up.
func (e *Emulator) getRecordAnswer(p params) answer {
	e.mu.Lock()
	defer e.mu.Unlock()
	z, i, notFound := e.findRecordLocked(p)
	if notFound != nil {
		return *notFound
	}
	return dataAnswer(http.StatusOK, viewRecord(z.records[i]))
}

// updateRecord serves PATCH /v2/{account}/zones/{zone}/records/{id}.
func (e *Emulator) updateRecord(w http.ResponseWriter, r *http.Request, p params) {
	var change recordChange
	if !decodeBody(w, r, &change) {
		return
	}
	e.updateRecordAnswer(p, change).write(w)
}

// updateRecordAnswer validates and applies a change to a record.
func (e *Emulator) updateRecordAnswer(p params, change recordChange) answer {
	e.mu.Lock()
	defer e.mu.Unlock()
	z, i, notFound := e.findRecordLocked(p)
	if notFound != nil {
		return *notFound
	}
	current := z.records[i]
	if current.System {
		return errorAnswer(http.StatusBadRequest, "System records cannot be updated")
	}
	updated, errs := applyChange(current, change)
	if errs == nil {
		errs = validateRecord(z.name, &updated, z.records)
	}
	if errs != nil {
		return validationAnswer(errs)
	}
	updated.UpdatedAt = e.timestamp()
	updated.changed, z.changed = e.now(), e.now()
	z.records[i] = updated
	return dataAnswer(http.StatusOK, viewRecord(updated))
}

// deleteRecord serves DELETE /v2/{account}/zones/{zone}/records/{id}.
func (e *Emulator) deleteRecord(w http.ResponseWriter, _ *http.Request, p params) {
	e.deleteRecordAnswer(p).write(w)
}

// deleteRecordAnswer removes a record.
func (e *Emulator) deleteRecordAnswer(p params) answer {
	e.mu.Lock()
	defer e.mu.Unlock()
	z, i, notFound := e.findRecordLocked(p)
	if notFound != nil {
		return *notFound
	}
	if z.records[i].System {
		return errorAnswer(http.StatusBadRequest, "System records cannot be deleted")
	}
	z.records = slices.Delete(z.records, i, i+1)
	z.changed = e.now()
	return answer{status: http.StatusNoContent}
}

// ---- batch ----

// batchRequest is the body of POST /v2/{account}/zones/{zone}/batch.
type batchRequest struct {
	Creates []recordChange `json:"creates"`
	Updates []recordChange `json:"updates"`
	Deletes []struct {
		ID *int64 `json:"id"`
	} `json:"deletes"`
}

// batchChange serves POST /v2/{account}/zones/{zone}/batch.
func (e *Emulator) batchChange(w http.ResponseWriter, r *http.Request, p params) {
	var req batchRequest
	if !decodeBody(w, r, &req) {
		return
	}
	e.batchAnswer(p.zone, req).write(w)
}

// batchAnswer applies a batch atomically. Every operation is checked
// against a working copy of the zone's records, in the order the API
// applies them (deletes, then updates, then creates); if any fails the zone
// is left unchanged and every failure is reported.
func (e *Emulator) batchAnswer(zoneRef string, req batchRequest) answer {
	e.mu.Lock()
	defer e.mu.Unlock()
	z := e.zoneByRefLocked(zoneRef)
	if z == nil {
		return zoneNotFound(zoneRef)
	}
	now := e.timestamp()
	work := cloneRecords(z.records)
	var failed batchErrors
	result := batchView{Creates: []recordView{}, Updates: []recordView{}, Deletes: []deletedView{}}

	for i, d := range req.Deletes {
		if d.ID == nil {
			failed.Deletes = append(failed.Deletes, batchItemError{Index: i, Message: "Validation failed", Errors: fieldErrors{"id": {"can't be blank"}}})
			continue
		}
		j := indexOf(work, *d.ID)
		switch {
		case j < 0:
			failed.Deletes = append(failed.Deletes, batchItemError{Index: i, Message: fmt.Sprintf("Record not found ID=%d", *d.ID)})
		case work[j].System:
			failed.Deletes = append(failed.Deletes, batchItemError{Index: i, Message: "System records cannot be deleted"})
		default:
			work = slices.Delete(work, j, j+1)
			result.Deletes = append(result.Deletes, deletedView{ID: *d.ID})
		}
	}

	updatedIDs := make([]int64, 0, len(req.Updates))
	for i, u := range req.Updates {
		if u.ID == nil {
			failed.Updates = append(failed.Updates, batchItemError{Index: i, Message: "Validation failed", Errors: fieldErrors{"id": {"can't be blank"}}})
			continue
		}
		j := indexOf(work, *u.ID)
		if j < 0 {
			failed.Updates = append(failed.Updates, batchItemError{Index: i, Message: fmt.Sprintf("Record not found ID=%d", *u.ID)})
			continue
		}
		if work[j].System {
			failed.Updates = append(failed.Updates, batchItemError{Index: i, Message: "System records cannot be updated"})
			continue
		}
		updated, errs := applyChange(work[j], u)
		if errs == nil {
			errs = validateRecord(z.name, &updated, work)
		}
		if errs != nil {
			failed.Updates = append(failed.Updates, batchItemError{Index: i, Message: "Validation failed", Errors: errs})
			continue
		}
		updated.UpdatedAt, updated.changed = now, e.now()
		work[j] = updated
		updatedIDs = append(updatedIDs, updated.ID)
	}

	var created []Record
	for i, c := range req.Creates {
		rec := newRecordFrom(z.name, c)
		rec.ID = -int64(i + 1) // provisional: real ids are allocated on success
		if errs := validateRecord(z.name, &rec, append(work[:len(work):len(work)], created...)); errs != nil {
			failed.Creates = append(failed.Creates, batchItemError{Index: i, Message: "Validation failed", Errors: errs})
			continue
		}
		rec.CreatedAt, rec.UpdatedAt, rec.changed = now, now, e.now()
		created = append(created, rec)
	}

	if failed.Creates != nil || failed.Updates != nil || failed.Deletes != nil {
		return validationAnswer(failed)
	}

	for _, id := range updatedIDs {
		result.Updates = append(result.Updates, viewRecord(work[indexOf(work, id)]))
	}
	for _, rec := range created {
		rec.ID = e.allocRecordIDLocked()
		work = append(work, rec)
		result.Creates = append(result.Creates, viewRecord(rec))
	}
	z.records = work
	z.changed = e.now()
	return dataAnswer(http.StatusOK, result)
}

// ---- distribution ----

// distributionFailure is DNSimple's answer when it cannot query its name
// servers.
func distributionFailure() answer {
	return errorAnswer(http.StatusGatewayTimeout, "Could not query zone, connection timed out")
}

// distributedSince answers whether a change made at changed has had the
// propagation delay to spread.
func (e *Emulator) distributedSince(changed time.Time) answer {
	return dataAnswer(http.StatusOK, map[string]bool{"distributed": !e.now().Before(changed.Add(e.delay))})
}

// checkZoneDistribution serves GET /v2/{account}/zones/{zone}/distribution.
func (e *Emulator) checkZoneDistribution(w http.ResponseWriter, _ *http.Request, p params) {
	e.mu.Lock()
	var a answer
	switch z := e.zoneByRefLocked(p.zone); {
	case e.distributionFails:
		a = distributionFailure()
	case z == nil:
		a = zoneNotFound(p.zone)
	default:
		a = e.distributedSince(z.changed)
	}
	e.mu.Unlock()
	a.write(w)
}

// checkRecordDistribution serves
// GET /v2/{account}/zones/{zone}/records/{id}/distribution.
func (e *Emulator) checkRecordDistribution(w http.ResponseWriter, _ *http.Request, p params) {
	e.mu.Lock()
	var a answer
	if e.distributionFails {
		a = distributionFailure()
	} else if z, i, notFound := e.findRecordLocked(p); notFound != nil {
		a = *notFound
	} else {
		a = e.distributedSince(z.records[i].changed)
	}
	e.mu.Unlock()
	a.write(w)
}
