// Package gitlog parses the commit stream Sluice reads from git: the output
// of `git diff-tree --stdin` with a fixed header format, -z raw entries and
// a -U0 patch. The Reader holds one commit at a time, never the whole
// output.
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
// tree, rename detection as `git log` does it, NUL-terminated raw entries,
// then the -U0 patch, whose hunk headers the Reader keeps (File.Hunks) and
// counts (File.Additions, File.Deletions: what --numstat would print, which
// git would compute with a second diff of every file). Merge commits get
// no diff, as in `git log --numstat`.
//
// The diff algorithm is pinned to git's default (Myers with the indent
// heuristic), whatever the user's configuration says: it is what
// `git blame` uses, and line provenance must agree with blame.
func DiffTreeArgs() []string {
	return []string{
		"-c", "core.quotePath=false",
		"diff-tree", "--stdin", "--always", "--root", "-r", "-M",
		"--raw", "--no-abbrev", "-z", "--no-color", "--no-ext-diff", "--no-textconv",
		"-p", "-U0", "--diff-algorithm=myers", "--indent-heuristic",
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

// File is one changed file: its raw entry, its hunks, and the line counts
// --numstat would print.
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
	// OldMode and NewMode are git's octal modes ("100644", "120000", …;
	// "000000" where the file does not exist).
	OldMode, NewMode string
	// Head is the start (up to HeadSize bytes) of an added text file,
	// read from the patch, and Size its length in bytes; nil and 0 for
	// any other file.
	Head    []byte
	Size    int64
	headBad bool // a line too long to keep whole
	// Text holds the added lines (each ending in a newline, except a last
	// line without one) of the first TextHunks hunks of a modified,
	// renamed or copied text file, as far as they can reach the file's
	// first HeadSize bytes: hunks starting past line HeadSize are left
	// out, and so is any hunk whose lines would take Text past HeadSize
	// bytes (with every hunk after it). With the previous version's start
	// it gives the start of this one without reading the blob.
	Text      []byte
	TextHunks int
	textDone  bool
	// Hunks are the -U0 hunks git printed for the pair, in order. A type
	// change (a file becoming a symlink, say) is printed by git as a
	// deletion and a creation: its hunks are the deletion's, then the
	// creation's. Binary pairs have none; a gitlink's "Subproject commit"
	// line counts as a line.
	Hunks []Hunk
}

// HeadSize is how much of an added file File.Head keeps, and how much
// added text File.Text keeps.
const HeadSize = 8192

// Hunk is one -U0 hunk header, "@@ -OldStart,OldLines +NewStart,NewLines @@".
// With -U0, OldStart is the line before which lines are added when
// OldLines is 0 (0 for the top of the file), and likewise NewStart.
type Hunk struct {
	OldStart, OldLines, NewStart, NewLines int
}

// Deleted reports whether the commit deletes the file.
func (f *File) Deleted() bool { return f.Status == 'D' }

// Reader reads commits from a diff-tree stream.
type Reader struct {
	br   *bufio.Reader
	line int    // commits read, for error messages
	long []byte // the start of the last over-long patch line
	cut  bool   // the last line read was over-long and cut
}

// NewReader returns a Reader over r.
func NewReader(r io.Reader) *Reader {
	return &Reader{br: bufio.NewReaderSize(r, 256<<10)}
}

// ErrFormat reports output that does not follow DiffTreeArgs' format, for
// example a stream cut off in the middle of a commit.
var ErrFormat = errors.New("unexpected git output")

// Next returns the next commit, or io.EOF after the last one.
func (r *Reader) Next() (*Commit, error) {
	// Skip the newline git prints after a header, and any blank
	// separators, until the record separator.
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
	patch := false
	for {
		next, err := r.peekEntry()
		if err == io.EOF || next == recordSep {
			break
		}
		if err != nil {
			return nil, err
		}
		if next == 0 {
			// A NUL ends the -z raw entries; the patch follows.
			r.br.ReadByte()
			patch = true
			break
		}
		f, err := r.readRaw()
		if err != nil {
			return nil, fmt.Errorf("commit %s: %w", c.SHA, err)
		}
		c.Files = append(c.Files, f)
	}
	if patch {
		if err := r.readPatch(c); err != nil {
			return nil, fmt.Errorf("commit %s: %w", c.SHA, err)
		}
		for i := range c.Files {
			f := &c.Files[i]
			if f.Binary {
				continue
			}
			for _, h := range f.Hunks {
				f.Additions += h.NewLines
				f.Deletions += h.OldLines
			}
		}
	}
	return c, nil
}

// readPatch reads the -U0 patch that follows a commit's entries, up to the
// next commit's record separator (which starts a line: a patch line never
// does, content lines starting with '+', '-', ' ' or '\\') or the end of
// the stream, and gives each file its hunks. git prints one section per
// file pair, in the entries' order, two for a type change.
func (r *Reader) readPatch(c *Commit) error {
	file, sections := -1, 0 // the file the current section belongs to
	var prev byte           // the first byte of the previous patch line
	var err error
	for {
		b, perr := r.br.Peek(1)
		if perr == io.EOF || (perr == nil && b[0] == recordSep) {
			break
		}
		if perr != nil {
			return perr
		}
		line, lerr := r.readLine()
		if lerr != nil {
			return truncated(lerr, "patch")
		}
		first := prev
		if len(line) > 0 {
			prev = line[0]
		}
		switch {
		case bytes.HasPrefix(line, []byte("diff --git ")):
			if file < 0 || sections == wantSections(&c.Files[file]) {
				file++
				sections = 0
				if file >= len(c.Files) {
					return fmt.Errorf("%w: more patch sections than files", ErrFormat)
				}
			}
			sections++
		case bytes.HasPrefix(line, []byte("Binary files ")):
			if file < 0 {
				return fmt.Errorf("%w: binary marker before any patch section", ErrFormat)
			}
			c.Files[file].Binary = true
		case len(line) > 0 && line[0] == '@' && bytes.HasPrefix(line, []byte("@@ -")):
			if file < 0 {
				return fmt.Errorf("%w: hunk before any patch section", ErrFormat)
			}
			f := &c.Files[file]
			var h Hunk
			if h, err = ParseHunkHeader(line); err != nil {
				return err
			}
			if !f.textDone {
				f.TextHunks = len(f.Hunks) // the hunks before this one are whole
				f.textDone = h.NewStart > HeadSize
			}
			f.Hunks = append(f.Hunks, h)
		case file >= 0 && keepsText(&c.Files[file]) && len(line) > 0:
			// A modified file's added lines: keep those that can reach
			// its start (File.Text).
			f := &c.Files[file]
			switch {
			case line[0] == '+' && !r.cut && len(f.Text)+len(line) <= HeadSize:
				f.Text = append(append(f.Text, line[1:]...), '\n')
			case line[0] == '+':
				f.textDone = true
			case line[0] == '\\' && first == '+':
				// The last added line has no newline.
				f.Text = f.Text[:len(f.Text)-1]
			}
		case file >= 0 && c.Files[file].Status == 'A' && len(c.Files[file].Hunks) > 0 && len(line) > 0:
			// An added file's lines: keep its start (File.Head).
			f := &c.Files[file]
			switch {
			case r.cut:
				f.headBad = true
			case line[0] == '+':
				f.Size += int64(len(line))
				if room := HeadSize - len(f.Head); room > 0 {
					f.Head = append(f.Head, line[1:min(len(line), room+1)]...)
					if len(f.Head) < HeadSize {
						f.Head = append(f.Head, '\n')
					}
				}
			case line[0] == '\\':
				// No newline at the end of the file.
				f.Size--
				if f.Size < HeadSize && len(f.Head) > 0 && f.Head[len(f.Head)-1] == '\n' {
					f.Head = f.Head[:len(f.Head)-1]
				}
			}
		}
	}
	for i := range c.Files {
		f := &c.Files[i]
		if f.headBad || f.Status != 'A' || f.Binary {
			f.Head, f.Size = nil, 0
		}
		if !f.textDone {
			f.TextHunks = len(f.Hunks)
		}
		if f.Binary || !textStatus(f.Status) {
			f.Text, f.TextHunks = nil, 0
		}
	}
	if len(c.Files) > 0 && (file != len(c.Files)-1 || sections != wantSections(&c.Files[file])) {
		return fmt.Errorf("%w: the patch has sections for %d of %d files (truncated output?)", ErrFormat, file+1, len(c.Files))
	}
	return nil
}

// textStatus reports whether File.Text is kept for a file of this status.
func textStatus(status byte) bool { return status == 'M' || status == 'R' || status == 'C' }

// keepsText reports whether the patch line being read may go to f.Text.
func keepsText(f *File) bool {
	return textStatus(f.Status) && !f.textDone && len(f.Hunks) > 0 && !f.Submodule
}

// wantSections is the number of patch sections git prints for a file pair.
func wantSections(f *File) int {
	if f.Status == 'T' {
		return 2
	}
	return 1
}

// readLine returns the next patch line (see ReadLine).
func (r *Reader) readLine() ([]byte, error) {
	line, cut, err := ReadLine(r.br, &r.long)
	r.cut = cut
	return line, err
}

// ReadLine returns the next line of a patch without its newline, however
// long: a line longer than br's buffer comes back as its first 256 bytes
// (enough to classify a patch line), copied into *scratch, with cut set.
// The slice is valid until the next read; a stream that ends inside a line
// is io.EOF.
func ReadLine(br *bufio.Reader, scratch *[]byte) (line []byte, cut bool, err error) {
	line, err = br.ReadSlice('\n')
	if err == nil {
		return line[:len(line)-1], false, nil
	}
	if err != bufio.ErrBufferFull {
		return nil, false, err
	}
	head := append((*scratch)[:0], line[:min(len(line), 256)]...)
	*scratch = head
	for {
		if _, err = br.ReadSlice('\n'); err == nil {
			return head, true, nil
		}
		if err != bufio.ErrBufferFull {
			return nil, false, err
		}
	}
}

// ParseHunkHeader parses "@@ -s[,c] +s[,c] @@…"; an omitted count is 1.
func ParseHunkHeader(line []byte) (Hunk, error) {
	var h Hunk
	bad := fmt.Errorf("%w: bad hunk header %q", ErrFormat, line)
	rest, ok := bytes.CutPrefix(line, []byte("@@ -"))
	if !ok {
		return h, bad
	}
	var err error
	if h.OldStart, h.OldLines, rest, err = parseHunkRange(rest, ' '); err != nil {
		return h, bad
	}
	if rest, ok = bytes.CutPrefix(rest, []byte("+")); !ok {
		return h, bad
	}
	if h.NewStart, h.NewLines, rest, err = parseHunkRange(rest, ' '); err != nil {
		return h, bad
	}
	if !bytes.HasPrefix(rest, []byte("@@")) {
		return h, bad
	}
	return h, nil
}

// parseHunkRange parses "s[,c]" up to the terminator and returns the rest
// after it.
func parseHunkRange(b []byte, term byte) (start, count int, rest []byte, err error) {
	i := bytes.IndexByte(b, term)
	if i < 0 {
		return 0, 0, nil, ErrFormat
	}
	field, rest := b[:i], b[i+1:]
	s, c, found := bytes.Cut(field, []byte(","))
	if start, err = atoi(s); err != nil {
		return 0, 0, nil, err
	}
	count = 1
	if found {
		if count, err = atoi(c); err != nil {
			return 0, 0, nil, err
		}
	}
	return start, count, rest, nil
}

// atoi parses a non-negative decimal number.
func atoi(b []byte) (int, error) {
	if len(b) == 0 || len(b) > 10 {
		return 0, ErrFormat
	}
	n := 0
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, ErrFormat
		}
		n = n*10 + int(c-'0')
	}
	return n, nil
}

// readRaw reads one --raw entry: ":OLDMODE NEWMODE OLDSHA NEWSHA
// STATUS[SCORE]\0PATH\0" or, for a rename or copy, "...\0OLD\0NEW\0".
func (r *Reader) readRaw() (File, error) {
	var f File
	meta, err := r.readNul()
	if err != nil {
		return f, err
	}
	m := strings.Fields(meta)
	if len(m) != 5 || len(m[4]) == 0 || !strings.HasPrefix(m[0], ":") || !isSHA(m[2]) || !isSHA(m[3]) {
		return f, fmt.Errorf("%w: bad raw diff entry %q", ErrFormat, meta)
	}
	f.OldMode, f.NewMode = m[0][1:], m[1]
	f.OldBlob, f.NewBlob, f.Status = m[2], m[3], m[4][0]
	f.Submodule = f.OldMode == "160000" || f.NewMode == "160000"
	if f.Path, err = r.readNul(); err != nil {
		return f, err
	}
	if f.Status == 'R' || f.Status == 'C' {
		f.OldPath = f.Path
		if f.Path, err = r.readNul(); err != nil {
			return f, err
		}
	}
	return f, nil
}

// peekEntry returns the first byte of the next raw entry (':'), skipping
// newlines: recordSep at the next commit, 0 where the patch starts.
func (r *Reader) peekEntry() (byte, error) {
	for {
		b, err := r.br.Peek(1)
		if err != nil {
			return 0, err
		}
		switch b[0] {
		case '\n':
			r.br.ReadByte()
		default:
			return b[0], nil
		}
	}
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
