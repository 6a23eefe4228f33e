package records

import "strings"

// Pattern matches relative names, for the blacklist and for a token's
// subdomains. Without '*' it matches exactly that name; "*.x" matches every
// name that ends in ".x", at any depth (not x itself); "*" alone matches
// every name.
type Pattern struct {
	text   string
	suffix string // for globs: ".x", or "" for "*"
	glob   bool
}

// ParsePattern reads a pattern, case-insensitively; one trailing dot is
// dropped. Only a whole leading "*" label may be a wildcard.
func ParsePattern(s string) (Pattern, error) {
	text := normaliseName(s)
	if text == "*" {
		return Pattern{text: text, glob: true}, nil
	}
	rest, glob := strings.CutPrefix(text, "*.")
	if text == "" || strings.Contains(rest, "*") {
		return Pattern{}, invalidf("pattern %s is not a name or a glob like *.dev", shown(s))
	}
	if err := checkRelativeName(rest); err != nil {
		return Pattern{}, invalidf("pattern %s is not valid: %s", shown(s), err)
	}
	p := Pattern{text: text, glob: glob}
	if glob {
		p.suffix = "." + rest
	}
	return p, nil
}

// Match reports whether the pattern matches a lower-case relative name.
func (p Pattern) Match(name string) bool {
	if !p.glob {
		return name == p.text
	}
	return name != "" && strings.HasSuffix(name, p.suffix) && len(name) > len(p.suffix)
}

// String returns the pattern as written, normalised.
func (p Pattern) String() string { return p.text }

// Patterns is a list of patterns; a name matches the list if it matches any.
type Patterns []Pattern

// ParsePatterns reads every entry of list.
func ParsePatterns(list []string) (Patterns, error) {
	patterns := make(Patterns, 0, len(list))
	for _, s := range list {
		p, err := ParsePattern(s)
		if err != nil {
			return nil, err
		}
		patterns = append(patterns, p)
	}
	return patterns, nil
}

// Match reports whether any pattern matches name.
func (ps Patterns) Match(name string) bool {
	for _, p := range ps {
		if p.Match(name) {
			return true
		}
	}
	return false
}

// Cover reports whether the list matches every name q matches.
func (ps Patterns) Cover(q Pattern) bool {
	for _, p := range ps {
		if p.cover(q) {
			return true
		}
	}
	return false
}

func (p Pattern) cover(q Pattern) bool {
	switch {
	case !q.glob:
		return p.Match(q.text) || p.Match(Owner(q.text))
	case !p.glob:
		return false
	}
	// "*.x" covers "*.x" and "*.y.x"; "*" covers everything.
	return strings.HasSuffix(q.suffix, p.suffix)
}

// MatchChildOf reports whether any pattern matches a name one label below
// parent ("" is the apex): the names a wildcard certificate for parent
// would cover.
func (ps Patterns) MatchChildOf(parent string) bool {
	for _, p := range ps {
		if p.matchesChildOf(parent) {
			return true
		}
	}
	return false
}

func (p Pattern) matchesChildOf(parent string) bool {
	switch {
	case !p.glob:
		_, up, found := strings.Cut(p.text, ".")
		return found && up == parent || !found && parent == ""
	case p.suffix == "": // "*"
		return true
	}
	// "*.x" matches the children of x and of every name below x.
	return parent == p.suffix[1:] || strings.HasSuffix(parent, p.suffix)
}

// MatchNameOrOwner reports whether the list matches name or the name that
// owns it (see Owner): the rule by which the blacklist and a token's
// subdomains reach underscore names.
func (ps Patterns) MatchNameOrOwner(name string) bool {
	return ps.Match(name) || ps.Match(Owner(name))
}
