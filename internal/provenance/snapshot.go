package provenance

import (
	"bufio"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/sluicehq/sluice/internal/gitcmd"
)

// A snapshot holds the trees an engine keeps after a replay (the tips) so
// that the next sync replays only new commits. Everything shared in memory
// is written once: a file version two tips share, a subtree of the trie
// two tips share. Only the origin commits some kept line refers to are
// written, with their author time and email.
//
// Layout (after the magic, gzip-compressed — its CRC catches a damaged
// file —, integers as uvarints, strings as length + bytes):
//
//	meta
//	emails:  n, email…
//	commits: n, (sha, time as varint, email index)…
//	states:  n, state…   resolved: 0, lines, runs, (origin, n)…
//	                      deferred: 1, parent+1, old blob, new blob, origin
//	leaves:  n, (path, blob, kind, state, next+1)…
//	nodes:   n, (bitmap, (kind of kid: 0 node/1 leaf, index)…)…
//	kept:    n, (sha, root+1, size)…
const magic = "sluice provenance 2\n"

// ErrSnapshot reports a snapshot that cannot be read: the caller replays
// from scratch instead.
var ErrSnapshot = errors.New("provenance: unreadable snapshot")

// Kept returns the commits whose trees the engine holds.
func (e *Engine) Kept() []string {
	var out []string
	for sha, s := range e.states {
		if s.pending == 0 {
			out = append(out, sha)
		}
	}
	slices.Sort(out)
	return out
}

type snapWriter struct {
	w   *bufio.Writer
	buf [binary.MaxVarintLen64]byte
	err error
}

func (s *snapWriter) uint(v uint64) {
	n := binary.PutUvarint(s.buf[:], v)
	if _, err := s.w.Write(s.buf[:n]); err != nil && s.err == nil {
		s.err = err
	}
}

func (s *snapWriter) int(v int64) {
	n := binary.PutVarint(s.buf[:], v)
	if _, err := s.w.Write(s.buf[:n]); err != nil && s.err == nil {
		s.err = err
	}
}

func (s *snapWriter) str(v string) {
	s.uint(uint64(len(v)))
	if _, err := s.w.WriteString(v); err != nil && s.err == nil {
		s.err = err
	}
}

// Save writes the kept trees, with meta (for the caller to check the
// snapshot still applies when it loads it).
func (e *Engine) Save(w io.Writer, meta []byte) error {
	if _, err := io.WriteString(w, magic); err != nil {
		return err
	}
	fw, err := gzip.NewWriterLevel(w, gzip.BestSpeed)
	if err != nil {
		return err
	}
	sw := &snapWriter{w: bufio.NewWriterSize(fw, 256<<10)}

	// Number everything reachable from the kept trees.
	stateID := map[*fileState]int{}
	var states []*fileState
	var addState func(f *fileState)
	addState = func(f *fileState) {
		if _, ok := stateID[f]; ok {
			return
		}
		if f.deferred != nil && f.deferred.parent != nil {
			addState(f.deferred.parent)
		}
		stateID[f] = len(states)
		states = append(states, f)
	}
	leafID := map[*leaf]int{}
	var leaves []*leaf
	var addLeaf func(l *leaf)
	addLeaf = func(l *leaf) {
		if _, ok := leafID[l]; ok {
			return
		}
		if l.next != nil {
			addLeaf(l.next)
		}
		addState(l.e.state)
		leafID[l] = len(leaves)
		leaves = append(leaves, l)
	}
	nodeID := map[*node]int{}
	var nodes []*node
	var addNode func(n *node)
	addNode = func(n *node) {
		if _, ok := nodeID[n]; ok {
			return
		}
		for _, k := range n.kids {
			switch k := k.(type) {
			case *node:
				addNode(k)
			case *leaf:
				addLeaf(k)
			}
		}
		nodeID[n] = len(nodes)
		nodes = append(nodes, n)
	}
	kept := e.Kept()
	for _, sha := range kept {
		if r := e.states[sha].tree.root; r != nil {
			addNode(r)
		}
	}
	// The origin commits those versions name, renumbered.
	originID := map[uint32]int{}
	var origins []uint32
	addOrigin := func(o uint32) {
		if _, ok := originID[o]; !ok {
			originID[o] = len(origins)
			origins = append(origins, o)
		}
	}
	for _, f := range states {
		if f.deferred != nil {
			addOrigin(f.deferred.origin)
			continue
		}
		for _, r := range f.runs {
			addOrigin(r.origin)
		}
	}
	emailID := map[int32]int{}
	var emails []string
	for _, o := range origins {
		id := e.commits[o].email
		if _, ok := emailID[id]; !ok {
			emailID[id] = len(emails)
			emails = append(emails, e.emails[id])
		}
	}

	sw.str(string(meta))
	sw.uint(uint64(len(emails)))
	for _, m := range emails {
		sw.str(m)
	}
	sw.uint(uint64(len(origins)))
	for _, o := range origins {
		c := e.commits[o]
		sw.str(c.sha)
		sw.int(c.time)
		sw.uint(uint64(emailID[c.email]))
	}
	sw.uint(uint64(len(states)))
	for _, f := range states {
		if d := f.deferred; d != nil {
			sw.uint(1)
			parent := 0
			if d.parent != nil {
				parent = stateID[d.parent] + 1
			}
			sw.uint(uint64(parent))
			sw.str(d.oldBlob)
			sw.str(d.newBlob)
			sw.uint(uint64(originID[d.origin]))
			continue
		}
		sw.uint(0)
		sw.uint(uint64(f.lines))
		sw.uint(uint64(len(f.runs)))
		for _, r := range f.runs {
			sw.uint(uint64(originID[r.origin]))
			sw.uint(uint64(r.n))
		}
	}
	sw.uint(uint64(len(leaves)))
	for _, l := range leaves {
		sw.str(l.path)
		sw.str(l.e.blob)
		sw.uint(uint64(l.e.kind))
		sw.uint(uint64(stateID[l.e.state]))
		next := 0
		if l.next != nil {
			next = leafID[l.next] + 1
		}
		sw.uint(uint64(next))
	}
	sw.uint(uint64(len(nodes)))
	for _, n := range nodes {
		sw.uint(uint64(n.bitmap))
		for _, k := range n.kids {
			switch k := k.(type) {
			case *node:
				sw.uint(0)
				sw.uint(uint64(nodeID[k]))
			case *leaf:
				sw.uint(1)
				sw.uint(uint64(leafID[k]))
			}
		}
	}
	sw.uint(uint64(len(kept)))
	for _, sha := range kept {
		t := e.states[sha].tree
		sw.str(sha)
		root := 0
		if t.root != nil {
			root = nodeID[t.root] + 1
		}
		sw.uint(uint64(root))
		sw.uint(uint64(t.size))
	}
	if sw.err != nil {
		return sw.err
	}
	if err := sw.w.Flush(); err != nil {
		return err
	}
	return fw.Close()
}

type snapReader struct {
	r   *bufio.Reader
	err error
}

func (s *snapReader) uint(limit uint64) uint64 {
	if s.err != nil {
		return 0
	}
	v, err := binary.ReadUvarint(s.r)
	if err != nil {
		s.err = err
		return 0
	}
	if v > limit {
		s.err = fmt.Errorf("value %d out of range", v)
		return 0
	}
	return v
}

func (s *snapReader) int() int64 {
	if s.err != nil {
		return 0
	}
	v, err := binary.ReadVarint(s.r)
	if err != nil {
		s.err = err
	}
	return v
}

func (s *snapReader) str() string {
	n := s.uint(1 << 30)
	if s.err != nil {
		return ""
	}
	// Grow with the data actually read: a damaged length must not
	// allocate gigabytes.
	var b strings.Builder
	if m, err := io.CopyN(&b, s.r, int64(n)); err != nil || m != int64(n) {
		s.err = cmpErr(err)
		return ""
	}
	return b.String()
}

// capHint bounds a preallocation sized by a count read from the file.
func capHint(n uint64) int { return int(min(n, 1<<12)) }

// Load reads a snapshot written by Save into a new engine and returns it
// with the snapshot's meta. A snapshot that cannot be read is ErrSnapshot.
func Load(r io.Reader, git *gitcmd.Runner, opts Options) (*Engine, []byte, error) {
	head := make([]byte, len(magic))
	if _, err := io.ReadFull(r, head); err != nil || string(head) != magic {
		return nil, nil, fmt.Errorf("%w: not a snapshot", ErrSnapshot)
	}
	zr, err := gzip.NewReader(r)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: %v", ErrSnapshot, err)
	}
	sr := &snapReader{r: bufio.NewReaderSize(zr, 256<<10)}
	e := New(git, opts)
	meta := []byte(sr.str())
	const max = 1 << 40
	nEmails := sr.uint(1 << 31)
	emails := make([]string, 0, capHint(nEmails))
	for range nEmails {
		if emails = append(emails, sr.str()); sr.err != nil {
			return nil, nil, fmt.Errorf("%w: %v", ErrSnapshot, sr.err)
		}
	}
	nOrigins := sr.uint(1 << 31)
	origins := make([]uint32, 0, capHint(nOrigins))
	for range nOrigins {
		sha := sr.str()
		t := sr.int()
		em := sr.uint(uint64(len(emails)))
		if sr.err != nil || int(em) >= len(emails) {
			return nil, nil, fmt.Errorf("%w: %v", ErrSnapshot, cmpErr(sr.err))
		}
		origins = append(origins, e.intern(sha, t, emails[em]))
	}
	origin := func() uint32 {
		o := sr.uint(uint64(len(origins)))
		if int(o) >= len(origins) {
			sr.err = cmpErr(sr.err)
			return 0
		}
		return origins[o]
	}
	nStates := sr.uint(1 << 40)
	states := make([]*fileState, 0, capHint(nStates))
	for i := range int(nStates) {
		switch sr.uint(1) {
		case 1:
			d := &deferred{}
			if p := sr.uint(uint64(i)); p > 0 {
				d.parent = states[p-1]
			}
			d.oldBlob, d.newBlob = sr.str(), sr.str()
			d.origin = origin()
			states = append(states, &fileState{deferred: d})
		default:
			f := &fileState{lines: int(sr.uint(max))}
			nRuns := sr.uint(uint64(f.lines))
			f.runs = make([]run, 0, capHint(nRuns))
			total := 0
			for range nRuns {
				r := run{origin: origin(), n: uint32(sr.uint(1<<32 - 1))}
				if sr.err != nil {
					break
				}
				f.runs = append(f.runs, r)
				total += int(r.n)
			}
			if sr.err == nil && total != f.lines {
				sr.err = errors.New("runs do not add up")
			}
			states = append(states, f)
		}
		if sr.err != nil {
			return nil, nil, fmt.Errorf("%w: %v", ErrSnapshot, sr.err)
		}
	}
	nLeaves := sr.uint(1 << 40)
	leaves := make([]*leaf, 0, capHint(nLeaves))
	for i := range int(nLeaves) {
		l := &leaf{path: sr.str()}
		l.hash = hashPath(l.path)
		blob := sr.str()
		k := kind(sr.uint(255))
		st := sr.uint(uint64(len(states)))
		next := sr.uint(uint64(i))
		if sr.err != nil || int(st) >= len(states) {
			return nil, nil, fmt.Errorf("%w: %v", ErrSnapshot, cmpErr(sr.err))
		}
		l.e = &entry{blob: blob, kind: k, state: states[st]}
		if next > 0 {
			l.next = leaves[next-1]
		}
		leaves = append(leaves, l)
	}
	nNodes := sr.uint(1 << 40)
	nodes := make([]*node, 0, capHint(nNodes))
	for i := range int(nNodes) {
		n := &node{bitmap: uint32(sr.uint(1<<32 - 1))}
		n.kids = make([]any, popcount(n.bitmap))
		for k := range n.kids {
			isLeaf := sr.uint(1) == 1
			if isLeaf {
				id := sr.uint(uint64(len(leaves)))
				if int(id) >= len(leaves) {
					sr.err = cmpErr(sr.err)
					break
				}
				n.kids[k] = leaves[id]
			} else {
				id := sr.uint(uint64(i))
				if int(id) >= i {
					sr.err = cmpErr(sr.err)
					break
				}
				n.kids[k] = nodes[id]
			}
		}
		if sr.err != nil {
			return nil, nil, fmt.Errorf("%w: %v", ErrSnapshot, sr.err)
		}
		nodes = append(nodes, n)
	}
	kept := sr.uint(1 << 31)
	for range kept {
		sha := sr.str()
		root := sr.uint(uint64(len(nodes)))
		size := sr.uint(max)
		if sr.err != nil {
			break
		}
		t := tree{size: int(size)}
		if root > 0 {
			t.root = nodes[root-1]
		}
		e.states[sha] = &state{tree: t}
	}
	if sr.err != nil {
		return nil, nil, fmt.Errorf("%w: %v", ErrSnapshot, sr.err)
	}
	// Nothing may follow, and reading to the end checks gzip's CRC: a
	// damaged byte must not pass for other origins.
	if rest, err := io.ReadAll(sr.r); err != nil || len(rest) > 0 {
		return nil, nil, fmt.Errorf("%w: %v", ErrSnapshot, cmpErr(err))
	}
	return e, meta, nil
}

func cmpErr(err error) error {
	if err != nil {
		return err
	}
	return errors.New("index out of range")
}

func popcount(x uint32) int {
	n := 0
	for ; x != 0; x &= x - 1 {
		n++
	}
	return n
}

// SaveFile writes the snapshot to path atomically (a temporary file in the
// same directory, synced, then renamed).
func (e *Engine) SaveFile(path string, meta []byte) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	f, err := os.CreateTemp(filepath.Dir(path), ".snapshot-*")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	bw := bufio.NewWriterSize(f, 1<<20)
	if err := e.Save(bw, meta); err != nil {
		f.Close()
		return err
	}
	if err := bw.Flush(); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(f.Name(), path)
}

// LoadFile reads a snapshot file; a missing file is os.ErrNotExist.
func LoadFile(path string, git *gitcmd.Runner, opts Options) (*Engine, []byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	return Load(bufio.NewReaderSize(f, 1<<20), git, opts)
}
