// Package gitlog parses the commit stream Sluice reads from git: the output
// of `git diff-tree --stdin` with a fixed header format and -z numstat. The
// Reader holds one commit at a time, never the whole output.
package gitlog

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
)

// The record separator starts each commit. Within a header, fields are
// separated by newlines: git cannot store a newline in an author or
// committer ident, %s joins the subject into one line, and the header ends
// at the NUL that -z puts after it. (A unit separator would not do: git
// accepts one in an author name.)
const recordSep = '\x1e'

// Format is the --format (pretty) string the Reader expects: the SHA,
// parents, mailmap-resolved author and committer with raw dates (epoch and
// UTC offset, which git prints for any date it stored, year 10000
// included), then the subject.
const Format = "%x1e%H%n%P%n%aN%n%aE%n%ad%n%cN%n%cE%n%cd%n%s"

const headerFields = 9

// DiffTreeArgs returns the git arguments of the stream the Reader parses:
// commits named one per line on stdin, each with a header (also for merges
// and commits with an empty diff), root commits diffed against the empty
// tree, rename detection as `git log` does it, and NUL-terminated numstat.
// Merge commits get no numstat, as in `git log --numstat`.
func DiffTreeArgs() []string {
	return []string{
		"-c", "core.quotePath=false",
		"diff-tree", "--stdin", "--always", "--root", "-r", "-M",
		"--raw", "--no-abbrev", "--numstat", "-z", "--no-color", "--no-ext-diff", "--no-textconv",
		"--date=raw", "--format=" + Format,
	}
}

// Commit is one parsed commit.
type Commit struct {
	SHA            string
	Parents        []string
	AuthorName     string
	AuthorEmail    string
	AuthorTime     time.Time // in the author's own UTC offset
	CommitterName  string
	CommitterEmail string
	CommitterTime  time.Time
	Subject        string
	Files          []File
	// BadDate is set when git could not print the author or committer
	// date (a corrupt or out-of-range timestamp); that time is then the
	// Unix epoch, UTC.
	BadDate bool
}

// IsMerge reports whether the commit has more than one parent.
func (c *Commit) IsMerge() bool { return len(c.Parents) > 1 }

// File is one numstat entry.
type File struct {
	Path    string
	OldPath string // source path of a rename or copy, else ""
	// Additions and Deletions are 0 for binary files.
	Additions int
	Deletions int
	Binary    bool
	// OldBlob and NewBlob are the file's blob ids before and after the
	// commit; all zeros where the file does not exist (added, deleted).
	OldBlob string
	NewBlob string
	// Status is git's change letter: A, C, D, M, R, T (or U, X).
	Status byte
	// Submodule is set for a gitlink (mode 160000): its "blob" ids name
	// commits of another repository.
	Submodule bool
}

// Deleted reports whether the commit deletes the file.
func (f *File) Deleted() bool { return f.Status == 'D' }

// Reader reads commits from a diff-tree stream.
type Reader struct {
	br   *bufio.Reader
	line int // commits read, for error messages
}

// NewReader returns a Reader over r.
func NewReader(r io.Reader) *Reader {
	return &Reader{br: bufio.NewReaderSize(r, 64<<10)}
}

// ErrFormat reports output that does not follow DiffTreeArgs' format, for
// example a stream cut off in the middle of a commit.
var ErrFormat = errors.New("unexpected git output")

// Next returns the next commit, or io.EOF after the last one.
func (r *Reader) Next() (*Commit, error) {
	// Skip the newline git prints between a header and its numstat, and
	// any blank separators, until the record separator.
	for {
		b, err := r.br.ReadByte()
		if err != nil {
			return nil, err // io.EOF at a clean end
		}
		if b == recordSep {
			break
		}
		if b != '\n' {
			return nil, fmt.Errorf("%w: expected a commit header after commit %d, got byte %q", ErrFormat, r.line, b)
		}
	}
	header, err := r.br.ReadBytes(0)
	if err != nil {
		return nil, truncated(err, "commit header")
	}
	c, err := parseHeader(header[:len(header)-1])
	if err != nil {
		return nil, err
	}
	r.line++
	var raws []raw
	for {
		next, err := r.peekEntry()
		if err == io.EOF || next == 0 {
			break
		}
		if err != nil {
			return nil, err
		}
		if next == ':' {
			rw, err := r.readRaw()
			if err != nil {
				return nil, fmt.Errorf("commit %s: %w", c.SHA, err)
			}
			raws = append(raws, rw)
			continue
		}
		f, err := r.readEntry()
		if err != nil {
			return nil, fmt.Errorf("commit %s: %w", c.SHA, err)
		}
		c.Files = append(c.Files, f)
	}
	if len(raws) != len(c.Files) {
		return nil, fmt.Errorf("%w: commit %s has %d raw entries and %d numstat entries", ErrFormat, c.SHA, len(raws), len(c.Files))
	}
	for i, rw := range raws {
		f := &c.Files[i]
		if f.Path != rw.path {
			return nil, fmt.Errorf("%w: commit %s: raw entry %q does not match numstat entry %q", ErrFormat, c.SHA, rw.path, f.Path)
		}
		f.OldBlob, f.NewBlob, f.Status, f.Submodule = rw.oldBlob, rw.newBlob, rw.status, rw.submodule
	}
	return c, nil
}

// raw is one --raw entry: ":OLDMODE NEWMODE OLDSHA NEWSHA STATUS[SCORE]\0PATH\0"
// or, for a rename or copy, "...\0OLD\0NEW\0".
type raw struct {
	oldBlob, newBlob string
	status           byte
	submodule        bool
	path             string
}

func (r *Reader) readRaw() (raw, error) {
	var rw raw
	meta, err := r.readNul()
	if err != nil {
		return rw, err
	}
	f := strings.Fields(meta)
	if len(f) != 5 || len(f[4]) == 0 || !isSHA(f[2]) || !isSHA(f[3]) {
		return rw, fmt.Errorf("%w: bad raw diff entry %q", ErrFormat, meta)
	}
	rw.oldBlob, rw.newBlob, rw.status = f[2], f[3], f[4][0]
	rw.submodule = f[0] == ":160000" || f[1] == "160000"
	if rw.path, err = r.readNul(); err != nil {
		return rw, err
	}
	if rw.status == 'R' || rw.status == 'C' {
		if rw.path, err = r.readNul(); err != nil {
			return rw, err
		}
	}
	return rw, nil
}

// peekEntry returns the first byte of the next entry (':' for raw, a digit
// or '-' for numstat), skipping newlines, or 0 at the next commit.
func (r *Reader) peekEntry() (byte, error) {
	for {
		b, err := r.br.Peek(1)
		if err != nil {
			return 0, err
		}
		switch b[0] {
		case '\n':
			r.br.ReadByte()
		case recordSep:
			return 0, nil
		default:
			return b[0], nil
		}
	}
}

// readEntry reads "ADD\tDEL\tPATH\0" or, for a rename or copy,
// "ADD\tDEL\t\0OLD\0NEW\0". Binary files show "-" for both counts.
func (r *Reader) readEntry() (File, error) {
	var f File
	add, err := r.br.ReadString('\t')
	if err != nil {
		return f, truncated(err, "numstat entry")
	}
	del, err := r.br.ReadString('\t')
	if err != nil {
		return f, truncated(err, "numstat entry")
	}
	add, del = add[:len(add)-1], del[:len(del)-1]
	if add == "-" && del == "-" {
		f.Binary = true
	} else {
		if f.Additions, err = strconv.Atoi(add); err != nil {
			return f, fmt.Errorf("%w: bad numstat count %q", ErrFormat, add)
		}
		if f.Deletions, err = strconv.Atoi(del); err != nil {
			return f, fmt.Errorf("%w: bad numstat count %q", ErrFormat, del)
		}
	}
	path, err := r.readNul()
	if err != nil {
		return f, err
	}
	if path != "" {
		f.Path = path
		return f, nil
	}
	if f.OldPath, err = r.readNul(); err != nil {
		return f, err
	}
	if f.Path, err = r.readNul(); err != nil {
		return f, err
	}
	return f, nil
}

func (r *Reader) readNul() (string, error) {
	s, err := r.br.ReadString(0)
	if err != nil {
		return "", truncated(err, "path")
	}
	return s[:len(s)-1], nil
}

func truncated(err error, what string) error {
	if err == io.EOF {
		return fmt.Errorf("%w: stream ended inside a %s (truncated output)", ErrFormat, what)
	}
	return err
}

func parseHeader(h []byte) (*Commit, error) {
	fields := bytes.SplitN(h, []byte{'\n'}, headerFields)
	if len(fields) != headerFields {
		return nil, fmt.Errorf("%w: commit header has %d fields, want %d: %q", ErrFormat, len(fields), headerFields, h)
	}
	c := &Commit{
		SHA:            string(fields[0]),
		AuthorName:     string(fields[2]),
		AuthorEmail:    string(fields[3]),
		CommitterName:  string(fields[5]),
		CommitterEmail: string(fields[6]),
		Subject:        string(fields[8]),
	}
	if !isSHA(c.SHA) {
		return nil, fmt.Errorf("%w: %q is not a commit id", ErrFormat, c.SHA)
	}
	if p := strings.Fields(string(fields[1])); len(p) > 0 {
		c.Parents = p
	}
	var okA, okC bool
	c.AuthorTime, okA = parseRawDate(fields[4])
	c.CommitterTime, okC = parseRawDate(fields[7])
	c.BadDate = !okA || !okC
	return c, nil
}

func isSHA(s string) bool {
	if len(s) != 40 && len(s) != 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

// parseRawDate parses git's raw date, "EPOCH +HHMM", into a time in that
// UTC offset. It reports false, with the Unix epoch, for anything else (git
// prints nothing for a timestamp it cannot represent).
func parseRawDate(b []byte) (time.Time, bool) {
	epoch := time.Unix(0, 0).UTC()
	sec, tz, ok := strings.Cut(string(b), " ")
	if !ok || len(tz) != 5 || (tz[0] != '+' && tz[0] != '-') {
		return epoch, false
	}
	s, err := strconv.ParseInt(sec, 10, 64)
	if err != nil {
		return epoch, false
	}
	hh, err1 := strconv.Atoi(tz[1:3])
	mm, err2 := strconv.Atoi(tz[3:5])
	if err1 != nil || err2 != nil || mm > 59 {
		return epoch, false
	}
	off := hh*3600 + mm*60
	if tz[0] == '-' {
		off = -off
	}
	return time.Unix(s, 0).In(time.FixedZone("", off)), true
}
