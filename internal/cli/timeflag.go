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
