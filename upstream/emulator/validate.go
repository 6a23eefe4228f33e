package emulator

import (
	"net/netip"
	"slices"
	"strings"
)

// defaultTTL is the TTL of a record created without one (or with 0).
const defaultTTL = 3600

// minTTL is the smallest TTL the API accepts.
const minTTL = 60

// fieldErrors maps a field to its error messages, the "errors" object of a
// 400 Validation failed answer.
type fieldErrors map[string][]string

// add appends msg to the messages of field.
func (f fieldErrors) add(field, msg string) {
	f[field] = append(f[field], msg)
}

// recordChange is the JSON body of a record create or update, and of one
// item of a batch. Nil fields were absent from the body.
type recordChange struct {
	ID       *int64    `json:"id"`
	Name     *string   `json:"name"`
	Type     *string   `json:"type"`
	Content  *string   `json:"content"`
	TTL      *int      `json:"ttl"`
	Priority *int      `json:"priority"`
	Regions  *[]string `json:"regions"`
}

// creatableType reports the record types the API lets a client create.
func creatableType(t string) bool {
	switch t {
	case "A", "AAAA", "ALIAS", "CAA", "CNAME", "HINFO", "MX", "NAPTR", "NS",
		"PTR", "SPF", "SRV", "SSHFP", "TXT", "URL":
		return true
	}
	return false
}

// validRegion reports a region the API knows.
func validRegion(r string) bool {
	switch r {
	case "global", "SV1", "ORD", "IAD", "AMS", "TKO", "SYD", "CDG", "FRA":
		return true
	}
	return false
}

// hasPriority reports a type whose records carry a priority.
func hasPriority(t string) bool {
	return t == "MX" || t == "SRV"
}

// hostNameType reports a type whose content is a host name, so that its
// duplicates are found case-insensitively.
func hostNameType(t string) bool {
	switch t {
	case "ALIAS", "CNAME", "MX", "NS", "PTR":
		return true
	}
	return false
}

// newRecordFrom builds the record a create asks for, before validation. An
// absent name means the apex.
func newRecordFrom(zoneName string, c recordChange) Record {
	r := Record{Zone: zoneName}
	if c.Type != nil {
		r.Type = *c.Type
	}
	r, _ = applyChange(r, c) // the type is the record's own: nothing to refuse
	return r
}

// applyChange returns r with the fields an update sets. The type cannot be
// changed: a type other than the record's is refused.
func applyChange(r Record, c recordChange) (Record, fieldErrors) {
	r = cloneRecord(r)
	if c.Type != nil && !strings.EqualFold(*c.Type, r.Type) {
		return r, fieldErrors{"record_type": {"cannot be changed"}}
	}
	if c.Name != nil {
		r.Name = *c.Name
	}
	if c.Content != nil {
		r.Content = *c.Content
	}
	if c.TTL != nil {
		r.TTL = *c.TTL
	}
	if c.Priority != nil {
		r.Priority = *c.Priority
	}
	if c.Regions != nil {
		r.Regions = slices.Clone(*c.Regions)
	}
	return r, nil
}

// normalizeAndValidate puts r in its stored form (lower-case name,
// upper-case type, default TTL and regions, no priority unless MX or SRV)
// and returns what is wrong with its own fields, or nil.
func normalizeAndValidate(zoneName string, r *Record) fieldErrors {
	errs := fieldErrors{}
	r.Name = strings.ToLower(r.Name)
	r.Type = strings.ToUpper(strings.TrimSpace(r.Type))
	if r.TTL == 0 {
		r.TTL = defaultTTL
	}
	if len(r.Regions) == 0 {
		r.Regions = []string{"global"}
	}
	if !hasPriority(r.Type) {
		r.Priority = 0
	}

	switch {
	case r.Type == "":
		errs.add("record_type", "can't be blank")
	case !creatableType(r.Type):
		errs.add("record_type", "unsupported")
	}

	if msg := checkRecordName(zoneName, r.Name); msg != "" {
		errs.add("name", msg)
	}

	if strings.TrimSpace(r.Content) == "" {
		errs.add("content", "can't be blank")
	} else if msg := checkContent(r.Type, r.Content); msg != "" {
		errs.add("content", msg)
	} else if r.Type == "TXT" && !strings.HasPrefix(r.Content, `"`) {
		// Since late 2023 DNSimple keeps TXT content as quoted
		// character-strings, and quotes content it is given bare.
		r.Content = `"` + strings.ReplaceAll(strings.ReplaceAll(r.Content, `\`, `\\`), `"`, `\"`) + `"`
	}

	if r.TTL < minTTL {
		errs.add("ttl", "must be greater than or equal to 60")
	}
	if hasPriority(r.Type) && (r.Priority < 0 || r.Priority > 65535) {
		errs.add("priority", "must be between 0 and 65535")
	}
	for _, region := range r.Regions {
		if !validRegion(region) {
			errs.add("regions", "contains an unknown region `"+region+"`")
		}
	}
	if len(errs) == 0 {
		return nil
	}
	return errs
}

// checkRecordName returns why name (lower-case) is not a valid record
// name relative to zoneName, or "".
func checkRecordName(zoneName, name string) string {
	if name == "" {
		return ""
	}
	if name == zoneName || strings.HasSuffix(name, "."+zoneName) {
		return "must be relative to the zone, without the zone name"
	}
	if len(name)+1+len(zoneName) > 253 {
		return "is too long"
	}
	for i, label := range strings.Split(name, ".") {
		if i == 0 && label == "*" {
			continue
		}
		if !validLabel(label) {
			return "is invalid"
		}
	}
	return ""
}

// validLabel reports a host name label: 1 to 63 letters, digits, '-' or '_'.
func validLabel(label string) bool {
	if len(label) == 0 || len(label) > 63 {
		return false
	}
	for i := 0; i < len(label); i++ {
		c := label[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9', c == '-', c == '_':
		default:
			return false
		}
	}
	return true
}

// validHostName reports a host name, optionally fully qualified with a
// trailing dot.
func validHostName(s string) bool {
	s = strings.TrimSuffix(s, ".")
	if s == "" || len(s) > 253 {
		return false
	}
	for _, label := range strings.Split(s, ".") {
		if !validLabel(label) {
			return false
		}
	}
	return true
}

// validZoneName reports a zone name (lower-case, no trailing dot): at least
// two labels of letters, digits and inner hyphens.
func validZoneName(name string) bool {
	if len(name) > 253 {
		return false
	}
	labels := strings.Split(name, ".")
	if len(labels) < 2 {
		return false
	}
	for _, label := range labels {
		if !validLabel(label) || strings.Contains(label, "_") ||
			strings.HasPrefix(label, "-") || strings.HasSuffix(label, "-") {
			return false
		}
	}
	return true
}

// checkContent returns why content (not blank) is invalid for a record of
// type typ, or "".
func checkContent(typ, content string) string {
	switch typ {
	case "A":
		if a, err := netip.ParseAddr(content); err != nil || !a.Is4() {
			return "must be a valid IPv4 address"
		}
	case "AAAA":
		if a, err := netip.ParseAddr(content); err != nil || !a.Is6() || a.Zone() != "" {
			return "must be a valid IPv6 address"
		}
	case "CNAME":
		if !validHostName(content) {
			return "must be a valid host name"
		}
	}
	return ""
}

// sameContent reports whether two contents of records of type typ are the
// same: addresses compare by value, host names case-insensitively.
func sameContent(typ, a, b string) bool {
	if typ == "A" || typ == "AAAA" {
		x, errX := netip.ParseAddr(a)
		y, errY := netip.ParseAddr(b)
		if errX == nil && errY == nil {
			return x == y
		}
	}
	if hostNameType(typ) {
		return strings.EqualFold(strings.TrimSuffix(a, "."), strings.TrimSuffix(b, "."))
	}
	return a == b
}

// checkConflicts returns why r cannot sit next to others (the zone's other
// records, r itself excluded): an identical record exists, or a CNAME
// would share its name with another record. It returns nil when r fits.
func checkConflicts(r Record, others []Record) fieldErrors {
	errs := fieldErrors{}
	if r.Type == "CNAME" && r.Name == "" {
		errs.add("base", "CNAME records cannot be added to the zone apex, use an ALIAS record instead")
		return errs
	}
	for _, o := range others {
		if o.ID == r.ID || !strings.EqualFold(o.Name, r.Name) {
			continue
		}
		switch {
		case strings.EqualFold(o.Type, r.Type) && sameContent(r.Type, o.Content, r.Content):
			errs.add("base", "Matching record already exists for this zone")
		case r.Type == "CNAME":
			errs.add("base", "A CNAME record cannot coexist with other records with the same name")
		case strings.EqualFold(o.Type, "CNAME"):
			errs.add("base", "A CNAME record already exists with the same name")
		default:
			continue
		}
		return errs
	}
	return nil
}

// validateRecord normalizes r and checks it both on its own and against
// others. It returns nil when r may be stored.
func validateRecord(zoneName string, r *Record, others []Record) fieldErrors {
	if errs := normalizeAndValidate(zoneName, r); errs != nil {
		return errs
	}
	return checkConflicts(*r, others)
}
