package provenance

import (
	"cmp"
	"context"
	"fmt"

	"github.com/sluicehq/sluice/internal/gitlog"
)

// applyCommit replays a non-merge commit: it builds the commit's tree from
// its parent's (the empty tree for a root) and counts every file's hunks,
// classifying each deleted line by its origin.
// update is a file a commit adds or changes.
type update struct {
	path string
	e    *entry
}

func (e *Engine) applyCommit(ctx context.Context, c *gitlog.Commit) ([]Counts, error) {
	var parent tree
	if len(c.Parents) == 1 {
		var err error
		if parent, err = e.parentTree(c.Parents[0]); err != nil {
			return nil, err
		}
	}
	me := e.intern(c.SHA, c.AuthorTime.Unix(), c.AuthorEmail)
	counts := make([]Counts, len(c.Files))
	t := parent
	var updates []update
	for i := range c.Files {
		f := &c.Files[i]
		oldPath := f.Path
		if f.OldPath != "" {
			oldPath = f.OldPath
		}
		oldKind, newKind := kindOf(f.OldMode), kindOf(f.NewMode)
		var old *entry
		if oldKind != 0 {
			if old = parent.get(oldPath); old == nil {
				return nil, fmt.Errorf("%q is not in the parent's tree", oldPath)
			}
		}
		k := &classifier{e: e, time: c.AuthorTime.Unix(), person: e.persons[e.commits[me].email], c: &counts[i]}
		countable := !f.Binary && !f.Submodule
		if countable {
			for _, h := range f.Hunks {
				k.c.Hunks++
				k.c.HALOC += max(h.OldLines, h.NewLines)
				k.c.NewWork += max(h.NewLines-h.OldLines, 0)
			}
		}
		if f.Status == 'D' || f.Status == 'R' || (oldKind != 0 && newKind == 0) {
			t = t.set(oldPath, nil)
		}
		var del func(uint32, int)
		if countable {
			del = k.deleted
		}
		var next *fileState
		sameKind := oldKind != 0 && oldKind == newKind && f.Status != 'T'
		switch {
		case newKind == 0:
			// Deleted, or now a gitlink: only the deleted lines count.
			if old != nil && del != nil {
				if err := e.deleteLines(ctx, old.state, f.Hunks, del); err != nil {
					return nil, fmt.Errorf("%q: %w", oldPath, err)
				}
			}
		case f.Binary:
			d := &deferred{origin: me, newBlob: f.NewBlob}
			if sameKind {
				d.parent, d.oldBlob = old.state, f.OldBlob
			}
			next = &fileState{deferred: d}
		case sameKind:
			if len(f.Hunks) == 0 {
				next = old.state // a mode change or an unchanged rename
				break
			}
			if err := e.resolve(ctx, old.state); err != nil {
				return nil, err
			}
			var err error
			if next, err = applyHunks(old.state, f.Hunks, me, del); err != nil {
				return nil, fmt.Errorf("%q: %w", f.Path, err)
			}
		default:
			// Added, or a type change: every line is new; a type change
			// also deletes every line of the old version.
			var created []gitlog.Hunk
			var deleted []gitlog.Hunk
			for _, h := range f.Hunks {
				if h.OldLines == 0 {
					created = append(created, h)
				} else {
					deleted = append(deleted, h)
				}
			}
			if old != nil && del != nil {
				if err := e.deleteLines(ctx, old.state, deleted, del); err != nil {
					return nil, fmt.Errorf("%q: %w", oldPath, err)
				}
			}
			lines := 0
			for _, h := range created {
				lines += h.NewLines
			}
			next = newFile(me, lines)
		}
		if next != nil {
			updates = append(updates, update{f.Path, &entry{blob: f.NewBlob, kind: newKind, state: next}})
		}
	}
	if err := e.followRenames(ctx, c, parent, me, updates); err != nil {
		return nil, err
	}
	for _, u := range updates {
		t = t.set(u.path, u.e)
	}
	e.setTree(c.SHA, t)
	return counts, nil
}

// deleteLines reports the origins of the lines that hunks delete from old.
func (e *Engine) deleteLines(ctx context.Context, old *fileState, hunks []gitlog.Hunk, del func(uint32, int)) error {
	var dh []gitlog.Hunk
	for _, h := range hunks {
		if h.OldLines > 0 {
			dh = append(dh, gitlog.Hunk{OldStart: h.OldStart, OldLines: h.OldLines})
		}
	}
	if len(dh) == 0 {
		return nil
	}
	if err := e.resolve(ctx, old); err != nil {
		return err
	}
	// The new side of these hunks is irrelevant: give each its position.
	pos := 0
	for i := range dh {
		dh[i].NewStart = dh[i].OldStart - 1 - pos
		pos += dh[i].OldLines
		if dh[i].NewStart < 0 {
			dh[i].NewStart = 0
		}
	}
	_, err := applyHunks(old, dh, 0, del)
	return err
}

// followRenames makes the new files of a commit follow renames as blame
// does. The commit diff pairs renames globally: each deleted file goes to
// at most one new file, the best match first. Blame asks, for one new
// file at a time, which deleted file it comes from; when another new file
// took that file in the global pairing, the answers differ. That needs a
// rename and a second new file in one commit; only then is git asked.
func (e *Engine) followRenames(ctx context.Context, c *gitlog.Commit, parent tree, me uint32, updates []update) error {
	if len(c.Parents) != 1 {
		return nil
	}
	var sources []candidatePath
	renames, dests := 0, 0
	global := map[string]string{} // new path → its global source
	for i := range c.Files {
		f := &c.Files[i]
		if kindOf(f.OldMode) != 0 && (f.Status == 'D' || f.Status == 'R') {
			sources = append(sources, candidatePath{cmp.Or(f.OldPath, f.Path), candidateBlob{f.OldBlob, kindOf(f.OldMode)}})
		}
		if kindOf(f.NewMode) != 0 && (f.Status == 'A' || f.Status == 'R') {
			dests++
			global[f.Path] = f.OldPath
		}
		if f.Status == 'R' {
			renames++
		}
	}
	if renames == 0 || dests < 2 {
		return nil
	}
	for i := range updates {
		u := &updates[i]
		g, ok := global[u.path]
		if !ok {
			continue
		}
		src, err := e.renameSource(ctx, c.Parents[0], c.SHA, u.path, u.e.blob, u.e.kind, sources, g)
		if err != nil {
			return err
		}
		if src == g {
			continue
		}
		if err := e.resolve(ctx, u.e.state); err != nil {
			return err
		}
		st := newFile(me, u.e.state.lines)
		if pe := parent.get(src); src != "" && pe != nil {
			if err := e.resolve(ctx, pe.state); err != nil {
				return err
			}
			hunks, err := e.blobHunks(ctx, pe.blob, u.e.blob)
			if err != nil {
				return err
			}
			if st, err = applyHunks(pe.state, hunks, me, nil); err != nil {
				return fmt.Errorf("%q renamed from %q: %w", u.path, src, err)
			}
		}
		u.e = &entry{blob: u.e.blob, kind: u.e.kind, state: st}
	}
	return nil
}

// candidateBlob is a possible rename source.
type candidateBlob struct {
	blob string
	kind kind
}

// renameSource answers blame's find_rename: which of the sources git's
// rename detection pairs with path when path is the only destination. It
// decides itself when the answer is clear-cut — one identical source; no
// source near the threshold; or a single source near it that either
// scores at least 75 % (which wins git's basename step and its inexact
// step alike) or is paired, the source the commit diff gave path (which
// scores at least 50 %, so single-destination detection picks it too) —
// with the similarity computed as git computes it, and asks git otherwise.
func (e *Engine) renameSource(ctx context.Context, from, to, path, blob string, k kind, sources []candidatePath, paired string) (string, error) {
	var identical []string
	for _, s := range sources {
		if s.blob == blob && (s.kind == k || s.kind == kindFile && k == kindFile) {
			identical = append(identical, s.path)
		}
	}
	switch {
	case len(identical) == 1:
		return identical[0], nil
	case len(identical) > 1:
		return e.askRename(ctx, from, to, path, sources)
	case k != kindFile:
		return "", nil // symlinks are renamed only when identical
	}
	dst, err := e.blobs.signature(ctx, blob)
	if err != nil {
		return "", err
	}
	if dst == nil {
		return e.askRename(ctx, from, to, path, sources)
	}
	best, near := "", 0
	for _, s := range sources {
		if s.kind != kindFile {
			continue
		}
		src, err := e.blobs.signature(ctx, s.blob)
		if err != nil {
			return "", err
		}
		if src == nil {
			return e.askRename(ctx, from, to, path, sources)
		}
		sc := score(src, dst)
		if sc < askScore {
			continue
		}
		near++
		if near > 1 || (sc < clearScore && s.path != paired) {
			return e.askRename(ctx, from, to, path, sources)
		}
		best = s.path
	}
	return best, nil
}

// clearScore is the score from which a lone candidate wins outright: git's
// basename step pairs at 75 %, its inexact step at 50 %.
const clearScore = minimumScore + (maxScore-minimumScore)/2

// askRename runs git's rename detection for the one destination.
func (e *Engine) askRename(ctx context.Context, from, to, path string, sources []candidatePath) (string, error) {
	paths := make([]string, len(sources))
	for i, s := range sources {
		paths[i] = s.path
	}
	e.Stats.RenameQueries++
	return e.findRename(ctx, from, to, path, paths)
}
