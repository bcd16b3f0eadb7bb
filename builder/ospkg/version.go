package ospkg

import (
	"strings"
)

// CompareVersions orders two Debian package versions the way dpkg does: by
// epoch, then upstream version, then Debian revision, where "~" sorts
// before anything (even the end of the string), so 1.0~rc1 << 1.0. It
// returns -1, 0 or +1.
func CompareVersions(a, b string) int {
	ea, ua, ra := splitVersion(a)
	eb, ub, rb := splitVersion(b)

	if c := compareNumbers(ea, eb); c != 0 {
		return c
	}
	if c := comparePart(ua, ub); c != 0 {
		return c
	}
	return comparePart(ra, rb)
}

// splitVersion cuts [epoch:]upstream[-revision]. The epoch defaults to 0;
// the revision is what follows the last hyphen.
func splitVersion(v string) (epoch, upstream, revision string) {
	epoch = "0"
	if e, rest, ok := strings.Cut(v, ":"); ok {
		epoch, v = e, rest
	}
	if i := strings.LastIndexByte(v, '-'); i >= 0 {
		return epoch, v[:i], v[i+1:]
	}
	return epoch, v, ""
}

// comparePart compares an upstream version or a revision: alternating runs
// of non-digits (compared by order) and digits (compared as numbers).
func comparePart(a, b string) int {
	for a != "" || b != "" {
		var na, nb string
		na, a = cutRun(a, false)
		nb, b = cutRun(b, false)
		if c := compareLexical(na, nb); c != 0 {
			return c
		}

		na, a = cutRun(a, true)
		nb, b = cutRun(b, true)
		if c := compareNumbers(na, nb); c != 0 {
			return c
		}
	}
	return 0
}

// cutRun splits off the leading run of digits (or of non-digits).
func cutRun(s string, digits bool) (run, rest string) {
	i := 0
	for i < len(s) && isDigit(s[i]) == digits {
		i++
	}
	return s[:i], s[i:]
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// compareNumbers compares runs of digits by value, of any length.
func compareNumbers(a, b string) int {
	a = strings.TrimLeft(a, "0")
	b = strings.TrimLeft(b, "0")
	if len(a) != len(b) {
		return sign(len(a) - len(b))
	}
	return strings.Compare(a, b)
}

// compareLexical compares runs of non-digits character by character with
// dpkg's order: "~" first, then the end of the run, then letters, then
// everything else.
func compareLexical(a, b string) int {
	for i := 0; i < len(a) || i < len(b); i++ {
		ca, cb := lexicalOrder(a, i), lexicalOrder(b, i)
		if ca != cb {
			return sign(ca - cb)
		}
	}
	return 0
}

func lexicalOrder(s string, i int) int {
	if i >= len(s) {
		return 0
	}
	c := s[i]
	switch {
	case c == '~':
		return -1
	case c >= 'A' && c <= 'Z', c >= 'a' && c <= 'z':
		return int(c)
	default:
		return int(c) + 256
	}
}

func sign(n int) int {
	switch {
	case n < 0:
		return -1
	case n > 0:
		return 1
	}
	return 0
}
