package web

import (
	"bufio"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/sluicehq/sluice/internal/store"
)

// Page sizes of GET /api/v1/commits.
const (
	defaultCommitLimit = 100
	maxCommitLimit     = 1000
)

// cursor is a position in the commit order (author time, then SHA): the
// last commit of the previous page.
type cursor struct {
	unix int64
	sha  string
}

func (c cursor) String() string {
	return base64.RawURLEncoding.EncodeToString([]byte("c1:" + strconv.FormatInt(c.unix, 10) + ":" + c.sha))
}

// after reports whether a commit at (unix, sha) comes after c.
func (c cursor) after(unix int64, sha string) bool {
	return unix > c.unix || unix == c.unix && sha > c.sha
}

func parseCursor(s string) (cursor, error) {
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return cursor{}, err
	}
	parts := strings.Split(string(b), ":")
	if len(parts) != 3 || parts[0] != "c1" || parts[2] == "" {
		return cursor{}, errors.New("bad cursor")
	}
	unix, err := strconv.ParseInt(parts[1], 10, 64)
	if err != nil {
		return cursor{}, err
	}
	return cursor{unix: unix, sha: parts[2]}, nil
}

// parseInstant parses an RFC 3339 time, or a YYYY-MM-DD date as midnight UTC.
func parseInstant(s string) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	return time.Parse(time.DateOnly, s)
}

// commitQuery is the parsed query of GET /api/v1/commits.
type commitQuery struct {
	filter store.CommitFilter
	limit  int
	after  *cursor
}

// paramError is a bad query parameter; its message names the parameter and
// what it accepts.
type paramError struct{ msg string }

func (e *paramError) Error() string { return e.msg }

func parseCommitQuery(r *http.Request) (commitQuery, error) {
	q := r.URL.Query()
	out := commitQuery{limit: defaultCommitLimit}
	for name := range q {
		switch name {
		case "repo", "since", "until", "limit", "cursor":
			if len(q[name]) > 1 {
				return out, &paramError{fmt.Sprintf("%s: given %d times; give it at most once", name, len(q[name]))}
			}
		default:
			return out, &paramError{fmt.Sprintf("%s: unknown parameter; want repo, since, until, limit or cursor", name)}
		}
	}
	out.filter.Repo = q.Get("repo")
	for _, p := range []struct {
		name string
		dst  *time.Time
	}{{"since", &out.filter.Since}, {"until", &out.filter.Until}} {
		if v := q.Get(p.name); v != "" {
			t, err := parseInstant(v)
			if err != nil {
				return out, &paramError{fmt.Sprintf("%s: %q is not a time; want RFC 3339 (2024-05-01T09:30:00Z) or a date (2024-05-01)", p.name, v)}
			}
			*p.dst = t
		}
	}
	if f := out.filter; !f.Since.IsZero() && !f.Until.IsZero() && !f.Since.Before(f.Until) {
		return out, &paramError{"since, until: since must be before until"}
	}
	if v, ok := q["limit"]; ok {
		n, err := strconv.Atoi(v[0])
		if err != nil || n < 1 || n > maxCommitLimit {
			return out, &paramError{fmt.Sprintf("limit: %q is not allowed; want an integer from 1 to %d", v[0], maxCommitLimit)}
		}
		out.limit = n
	}
	if v, ok := q["cursor"]; ok {
		c, err := parseCursor(v[0])
		if err != nil {
			return out, &paramError{"cursor: not a cursor; pass next_cursor from the previous page unchanged"}
		}
		out.after = &c
		// Let the store skip what lies before the cursor.
		if t := time.Unix(c.unix, 0).UTC(); t.After(out.filter.Since) {
			out.filter.Since = t
		}
	}
	return out, nil
}

// errPageFull stops ForEachCommit once a page and its successor are known.
var errPageFull = errors.New("page full")

// commits streams one page of commits as JSON. A page ends after limit
// commits, except that commits sharing the last one's author time and SHA
// (the same commit in several repositories) stay on the same page, so that
// the cursor, an (author time, SHA) position, never splits them.
func (h *handler) commits(w http.ResponseWriter, r *http.Request) {
	q, err := parseCommitQuery(r)
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	ctx := r.Context()
	if q.filter.Repo != "" {
		if _, err := h.db.RepositoryByName(ctx, q.filter.Repo); errors.Is(err, store.ErrNotFound) {
			writeError(w, http.StatusNotFound, fmt.Sprintf("repo: no repository named %q", q.filter.Repo))
			return
		} else if err != nil {
			h.serverError(w, r, err)
			return
		}
	}

	out := &lazyWriter{w: w}
	n := 0
	var last cursor
	var next string
	err = h.db.ForEachCommit(ctx, q.filter, func(c store.CommitRow) error {
		unix := c.AuthorTime.Unix()
		if q.after != nil && !q.after.after(unix, c.SHA) {
			return nil
		}
		if n >= q.limit && (unix != last.unix || c.SHA != last.sha) {
			next = last.String()
			return errPageFull
		}
		if n == 0 {
			out.buf().WriteString(`{"commits":[`)
		} else {
			out.buf().WriteByte(',')
		}
		n++
		last = cursor{unix: unix, sha: c.SHA}
		b, err := json.Marshal(c.Record())
		if err != nil {
			return err
		}
		_, err = out.buf().Write(b)
		return err
	})
	if err != nil && !errors.Is(err, errPageFull) {
		if ctx.Err() != nil {
			return // the client went away
		}
		if out.started {
			// Part of the page is on the wire: break the connection so the
			// client sees a truncated body, never a complete-looking page.
			h.log.Error("web: commits stream failed", "err", err)
			panic(http.ErrAbortHandler)
		}
		h.serverError(w, r, fmt.Errorf("list commits: %w", err))
		return
	}
	if n == 0 {
		out.buf().WriteString(`{"commits":[`)
	}
	b, _ := json.Marshal(next)
	out.buf().WriteString(`],"next_cursor":`)
	out.buf().Write(b)
	out.buf().WriteString("}\n")
	out.flush()
}

// lazyWriter buffers the response and sends the 200 header only when the
// buffer first fills, so that an error before that can still become a 500.
type lazyWriter struct {
	w       http.ResponseWriter
	bw      *bufio.Writer
	started bool
}

func (l *lazyWriter) buf() *bufio.Writer {
	if l.bw == nil {
		l.bw = bufio.NewWriterSize(writerFunc(l.write), 32<<10)
	}
	return l.bw
}

func (l *lazyWriter) write(p []byte) (int, error) {
	if !l.started {
		l.started = true
		l.w.Header().Set("Content-Type", "application/json; charset=utf-8")
		l.w.WriteHeader(http.StatusOK)
	}
	return l.w.Write(p)
}

func (l *lazyWriter) flush() { l.buf().Flush() }

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }
