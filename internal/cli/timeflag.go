package cli

import (
	"fmt"
	"time"
)

// parseTimeFlag accepts RFC 3339 or a date (YYYY-MM-DD, midnight UTC).
func parseTimeFlag(name, v string) (time.Time, error) {
	if v == "" {
		return time.Time{}, nil
	}
	if t, err := time.Parse(time.RFC3339, v); err == nil {
		return t, nil
	}
	if t, err := time.Parse("2006-01-02", v); err == nil {
		return t, nil
	}
	return time.Time{}, fmt.Errorf("--%s %q is not a date; use YYYY-MM-DD or RFC 3339 (2024-05-01T09:00:00+02:00)", name, v)
}

// parseRange parses --since and --until, and checks that the range
// [since, until) is not empty when both are given.
func parseRange(since, until string) (from, to time.Time, err error) {
	if from, err = parseTimeFlag("since", since); err != nil {
		return
	}
	if to, err = parseTimeFlag("until", until); err != nil {
		return
	}
	if !from.IsZero() && !to.IsZero() && !to.After(from) {
		err = fmt.Errorf("--until %s is not after --since %s; the range is [since, until)", until, since)
	}
	return
}
