package provenance

import (
	"bufio"
	"strings"
	"testing"
)

// TestCombinedQuirks parses git's combined diff as git 2.39 prints it for
// two odd cases: a parent without the file (its count printed as -1,
// unsigned) and a hunk whose parent count is off by one. The mapping
// trusts only the column markers and the result positions.
func TestCombinedQuirks(t *testing.T) {
	in := "\x1e" + strings.Repeat("a", 40) + "\x00\x00" +
		"::000000 100644 100644 " + strings.Repeat("0", 40) + " " + strings.Repeat("1", 40) + " " + strings.Repeat("2", 40) + " AM\x00f\x00\x00" +
		"diff --combined f\n" +
		"index 0000000,1111111..2222222\n" +
		"--- a/f\n+++ b/f\n" +
		"@@@ -1,18446744073709551615 -1,3 +1,3 @@@\n" +
		"++new\n" +
		"+ kept1\n" +
		" -gone\n" +
		"+ kept2\n"
	r := &combinedReader{br: bufio.NewReader(strings.NewReader(in))}
	sha, files, err := r.next()
	if err != nil || sha != strings.Repeat("a", 40) || len(files) != 1 {
		t.Fatalf("next: %q %v %v", sha, files, err)
	}
	f := files[0]
	if len(f.hunks) != 1 || f.hunks[0].parents[0].count != -1 || f.hunks[0].result.count != 3 {
		t.Fatalf("hunks: %+v", f.hunks)
	}
	// Parent 2 has "kept1 gone kept2" plus a last line outside the hunk.
	m, err := f.mapping(1, 4)
	if err != nil {
		t.Fatal(err)
	}
	want := []int32{-1, 0, 2, 3}
	if len(m) != len(want) {
		t.Fatalf("mapping %v, want %v", m, want)
	}
	for i := range want {
		if m[i] != want[i] {
			t.Fatalf("mapping %v, want %v", m, want)
		}
	}
	// Nothing maps to the parent without the file.
	m0, err := f.mapping(0, 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range m0 {
		if p >= 0 {
			t.Fatalf("a line maps to a parent without the file: %v", m0)
		}
	}
}
