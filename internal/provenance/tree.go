package provenance

import "math/bits"

// kind is the class of a tree entry that blame distinguishes: a change of
// kind is a type change, after which no line is passed to the parent.
type kind uint8

const (
	kindFile kind = iota + 1 // 100644 or 100755
	kindLink                 // 120000
)

// kindOf returns the kind of a git mode, or 0 for what provenance does not
// track (gitlinks, "000000").
func kindOf(mode string) kind {
	switch mode {
	case "100644", "100755", "100664":
		return kindFile
	case "120000":
		return kindLink
	}
	return 0
}

// entry is one file of a commit's tree as provenance sees it.
type entry struct {
	blob  string // object id, hex
	kind  kind
	state *fileState
}

// tree is a persistent map from path to entry: a hash array mapped trie
// whose updates copy only the nodes on one path, so a commit's tree shares
// everything its change did not touch with its parent's.
type tree struct {
	root *node
	size int
}

const (
	bitsPerLevel = 5
	fanout       = 1 << bitsPerLevel
	maxDepth     = 64 / bitsPerLevel // below this, colliding keys share a leaf
)

type node struct {
	bitmap uint32
	kids   []any // *node or *leaf, in bit order
}

type leaf struct {
	hash uint64
	path string
	e    *entry
	next *leaf // keys whose whole hash collides
}

// hashPath is 64-bit FNV-1a: deterministic, so that a tree written to disk
// is still a valid trie when read back.
func hashPath(p string) uint64 {
	h := uint64(14695981039346656037)
	for i := 0; i < len(p); i++ {
		h ^= uint64(p[i])
		h *= 1099511628211
	}
	return h
}

// get returns the entry at path, or nil.
func (t tree) get(path string) *entry {
	h := hashPath(path)
	n := t.root
	for depth := 0; n != nil; depth++ {
		bit := uint32(1) << ((h >> (depth * bitsPerLevel)) & (fanout - 1))
		if depth >= maxDepth {
			bit = 1
		}
		if n.bitmap&bit == 0 {
			return nil
		}
		switch k := n.kids[bits.OnesCount32(n.bitmap&(bit-1))].(type) {
		case *node:
			n = k
		case *leaf:
			for l := k; l != nil; l = l.next {
				if l.hash == h && l.path == path {
					return l.e
				}
			}
			return nil
		}
	}
	return nil
}

// set returns a tree with path mapped to e (e == nil deletes it).
func (t tree) set(path string, e *entry) tree {
	h := hashPath(path)
	root, delta := setNode(t.root, 0, h, path, e)
	return tree{root: root, size: t.size + delta}
}

func setNode(n *node, depth int, h uint64, path string, e *entry) (*node, int) {
	bit := uint32(1) << ((h >> (depth * bitsPerLevel)) & (fanout - 1))
	if depth >= maxDepth {
		bit = 1
	}
	if n == nil {
		if e == nil {
			return nil, 0
		}
		return &node{bitmap: bit, kids: []any{&leaf{hash: h, path: path, e: e}}}, 1
	}
	idx := bits.OnesCount32(n.bitmap & (bit - 1))
	if n.bitmap&bit == 0 {
		if e == nil {
			return n, 0
		}
		c := &node{bitmap: n.bitmap | bit, kids: make([]any, len(n.kids)+1)}
		copy(c.kids, n.kids[:idx])
		c.kids[idx] = &leaf{hash: h, path: path, e: e}
		copy(c.kids[idx+1:], n.kids[idx:])
		return c, 1
	}
	var repl any
	delta := 0
	switch k := n.kids[idx].(type) {
	case *node:
		sub, d := setNode(k, depth+1, h, path, e)
		delta = d
		if sub == k {
			return n, 0
		}
		if sub != nil {
			repl = sub
		}
	case *leaf:
		if k.hash == h || depth >= maxDepth {
			l, d := setChain(k, h, path, e)
			delta = d
			if l != nil {
				repl = l
			}
			break
		}
		if e == nil {
			return n, 0
		}
		// Two different hashes in one slot: push the old leaf down.
		sub := &node{}
		sub = pushLeaf(sub, depth+1, k)
		sub, delta = setNode(sub, depth+1, h, path, e)
		repl = sub
	}
	if repl == nil {
		if len(n.kids) == 1 {
			return nil, delta
		}
		c := &node{bitmap: n.bitmap &^ bit, kids: make([]any, len(n.kids)-1)}
		copy(c.kids, n.kids[:idx])
		copy(c.kids[idx:], n.kids[idx+1:])
		return c, delta
	}
	c := &node{bitmap: n.bitmap, kids: make([]any, len(n.kids))}
	copy(c.kids, n.kids)
	c.kids[idx] = repl
	return c, delta
}

// pushLeaf places an existing leaf chain into a fresh node at depth.
func pushLeaf(n *node, depth int, l *leaf) *node {
	bit := uint32(1) << ((l.hash >> (depth * bitsPerLevel)) & (fanout - 1))
	if depth >= maxDepth {
		bit = 1
	}
	n.bitmap = bit
	n.kids = []any{l}
	return n
}

// setChain updates a chain of leaves sharing a hash slot.
func setChain(l *leaf, h uint64, path string, e *entry) (*leaf, int) {
	if l == nil {
		if e == nil {
			return nil, 0
		}
		return &leaf{hash: h, path: path, e: e}, 1
	}
	if l.hash == h && l.path == path {
		if e == nil {
			return l.next, -1
		}
		return &leaf{hash: h, path: path, e: e, next: l.next}, 0
	}
	next, d := setChain(l.next, h, path, e)
	if next == l.next {
		return l, 0
	}
	return &leaf{hash: l.hash, path: l.path, e: l.e, next: next}, d
}

// each calls fn for every path, in no particular order.
func (t tree) each(fn func(path string, e *entry)) {
	var walk func(n *node)
	walk = func(n *node) {
		for _, k := range n.kids {
			switch k := k.(type) {
			case *node:
				walk(k)
			case *leaf:
				for l := k; l != nil; l = l.next {
					fn(l.path, l.e)
				}
			}
		}
	}
	if t.root != nil {
		walk(t.root)
	}
}
