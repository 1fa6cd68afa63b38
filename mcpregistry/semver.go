package mcpregistry

import (
	"strconv"
	"strings"
)

// compareSemver compares two semantic versions (a leading "v" allowed;
// build metadata ignored), and reports false when either is not one.
func compareSemver(a, b string) (int, bool) {
	pa, ok1 := parseSemver(a)
	pb, ok2 := parseSemver(b)
	if !ok1 || !ok2 {
		return 0, false
	}
	for i := range 3 {
		if pa.core[i] != pb.core[i] {
			if pa.core[i] < pb.core[i] {
				return -1, true
			}
			return 1, true
		}
	}
	switch {
	case pa.pre == "" && pb.pre == "":
		return 0, true
	case pa.pre == "":
		return 1, true
	case pb.pre == "":
		return -1, true
	}
	x, y := strings.Split(pa.pre, "."), strings.Split(pb.pre, ".")
	for i := 0; i < len(x) && i < len(y); i++ {
		if c := comparePrerelease(x[i], y[i]); c != 0 {
			return c, true
		}
	}
	switch {
	case len(x) < len(y):
		return -1, true
	case len(x) > len(y):
		return 1, true
	}
	return 0, true
}

type semver struct {
	core [3]uint64
	pre  string
}

func parseSemver(s string) (semver, bool) {
	var v semver
	s = strings.TrimPrefix(s, "v")
	if i := strings.IndexByte(s, '+'); i >= 0 {
		s = s[:i]
	}
	if i := strings.IndexByte(s, '-'); i >= 0 {
		s, v.pre = s[:i], s[i+1:]
		if v.pre == "" {
			return v, false
		}
	}
	parts := strings.Split(s, ".")
	if len(parts) != 3 {
		return v, false
	}
	for i, p := range parts {
		n, err := strconv.ParseUint(p, 10, 64)
		if err != nil || (len(p) > 1 && p[0] == '0') {
			return v, false
		}
		v.core[i] = n
	}
	return v, true
}

// comparePrerelease compares identifiers: numeric ones numerically and
// below alphanumeric ones.
func comparePrerelease(a, b string) int {
	na, errA := strconv.ParseUint(a, 10, 64)
	nb, errB := strconv.ParseUint(b, 10, 64)
	switch {
	case errA == nil && errB == nil:
		if na != nb {
			if na < nb {
				return -1
			}
			return 1
		}
		return 0
	case errA == nil:
		return -1
	case errB == nil:
		return 1
	}
	return strings.Compare(a, b)
}
