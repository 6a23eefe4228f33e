package records

// Caller is who asks for an operation, as the permission check sees them.
type Caller struct {
	// User is the token's user name, for messages and audit.
	User string
	// Access is what the caller's token allows.
	Access Access
}

// Access is what a token allows. The zero value allows nothing, so a
// forgotten field fails closed.
type Access struct {
	Read  bool // may see records
	Write bool // may change records
}

// FullAccess allows everything the service itself allows.
func FullAccess() Access { return Access{Read: true, Write: true} }

// operation is what a permission is asked for.
type operation int

const (
	read operation = iota
	write
)

func (op operation) String() string {
	if op == write {
		return "change"
	}
	return "read"
}

// allowsOp checks the kind of operation alone.
func (a Access) allowsOp(op operation) error {
	if op == read && !a.Read || op == write && !a.Write {
		return forbiddenf("this token may not %s records", op)
	}
	return nil
}

// seesZone reports whether the token can see anything in a zone.
func (a Access) seesZone(string) bool { return a.Read || a.Write }

// check is the one permission check: every operation calls it for each
// record set it reads or changes, before anything is written. It applies
// the token's access and the blacklist, to the name and to its owner.
func (s *Service) check(c Caller, op operation, set recordSet) error {
	if err := c.Access.allowsOp(op); err != nil {
		return err
	}
	if s.blacklist.MatchNameOrOwner(set.name) {
		return forbiddenf("%s.%s is blacklisted: nobody may %s it through this service", set.name, set.zone, op)
	}
	return nil
}
