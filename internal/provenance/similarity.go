package provenance

import (
	"bytes"
	"slices"
)

// This file computes git's rename similarity score (diffcore-rename.c's
// estimate_similarity over diffcore-delta.c's span hashes) so that the
// engine can tell, without starting git, that two files cannot be paired
// as a rename. It only ever rules a rename out: when the score comes close
// to git's threshold, git itself is asked.

const (
	maxScore     = 60000 // git's MAX_SCORE
	minimumScore = 30000 // -M's default: 50 %
	// askScore is the score from which git is asked: a margin below the
	// threshold, so that an emulation slip cannot hide a rename.
	askScore = 27000
	hashBase = 107927
)

// hspan is the bytes of chunks with one hash.
type hspan struct {
	hash uint32
	cnt  uint64
}

// signature is a blob's span hashes, sorted, and its size.
type signature struct {
	size  uint64
	spans []hspan
}

// newSignature hashes a blob as diffcore-delta does: chunks end at a
// newline or after 64 bytes; in text, a CR before LF is skipped.
func newSignature(data []byte) *signature {
	text := !bytes.Contains(data[:min(len(data), 8000)], []byte{0})
	counts := map[uint32]uint64{}
	var acc1, acc2 uint32
	n := 0
	for i := 0; i < len(data); i++ {
		c := uint32(data[i])
		if text && c == '\r' && i+1 < len(data) && data[i+1] == '\n' {
			continue
		}
		old1 := acc1
		acc1 = (acc1 << 7) ^ (acc2 >> 25)
		acc2 = (acc2 << 7) ^ (old1 >> 25)
		acc1 += c
		n++
		if n < 64 && c != '\n' {
			continue
		}
		counts[(acc1+acc2*0x61)%hashBase] += uint64(n)
		n, acc1, acc2 = 0, 0, 0
	}
	// git does not hash a last chunk without a newline.
	s := &signature{size: uint64(len(data)), spans: make([]hspan, 0, len(counts))}
	for h, c := range counts {
		s.spans = append(s.spans, hspan{h, c})
	}
	slices.SortFunc(s.spans, func(a, b hspan) int { return int(a.hash) - int(b.hash) })
	return s
}

// score is estimate_similarity(src, dst) for two regular files.
func score(src, dst *signature) int {
	big, small := max(src.size, dst.size), min(src.size, dst.size)
	if big*(maxScore-minimumScore) < (big-small)*maxScore {
		return 0
	}
	if big == 0 {
		return 0
	}
	var copied uint64
	d := dst.spans
	for _, s := range src.spans {
		for len(d) > 0 && d[0].hash < s.hash {
			d = d[1:]
		}
		if len(d) > 0 && d[0].hash == s.hash {
			copied += min(s.cnt, d[0].cnt)
			d = d[1:]
		}
	}
	return int(copied * maxScore / big)
}
