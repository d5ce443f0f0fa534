package store

import (
	"strings"
	"unicode/utf8"
)

// CleanText makes s storable as TEXT on both engines: each byte that is not
// part of valid UTF-8 becomes the four characters \xNN (lowercase hex) and NUL
// bytes are dropped. PostgreSQL rejects both, and git hands over author names,
// subjects and paths as raw bytes. The result is deterministic, so the same
// input always maps to the same stored string, and CleanText(CleanText(s)) ==
// CleanText(s).
func CleanText(s string) string {
	if utf8.ValidString(s) && strings.IndexByte(s, 0) < 0 {
		return s
	}
	const hex = "0123456789abcdef"
	var b strings.Builder
	b.Grow(len(s) + 8)
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c != 0 {
				b.WriteByte(c)
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b.WriteString(`\x`)
			b.WriteByte(hex[c>>4])
			b.WriteByte(hex[c&0xf])
			i++
			continue
		}
		b.WriteString(s[i : i+size])
		i += size
	}
	return b.String()
}
