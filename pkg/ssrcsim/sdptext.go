package ssrcsim

import (
	"strconv"
	"strings"
)

// The SDP is edited as text, not through a parser's Marshal, so that every
// line Rewrite does not mean to change stays byte-for-byte as the client
// wrote it.

// section is the session part of an SDP (the first section) or one m-line
// with its lines, as a byte range of the original text.
type section struct {
	start, end int      // byte range in the SDP, including the trailing end of line
	lines      []string // the lines without their end of line
}

// splitSDP cuts an SDP into the session section and one section per m-line.
func splitSDP(s string) []section {
	secs := []section{{}}
	for off := 0; off < len(s); {
		next := len(s)
		if i := strings.IndexByte(s[off:], '\n'); i >= 0 {
			next = off + i + 1
		}
		line := strings.TrimRight(s[off:next], "\r\n")
		if strings.HasPrefix(line, "m=") {
			secs[len(secs)-1].end = off
			secs = append(secs, section{start: off})
		}
		cur := &secs[len(secs)-1]
		cur.lines = append(cur.lines, line)
		off = next
	}
	secs[len(secs)-1].end = len(s)
	return secs
}

// eolOf returns the end of line the SDP uses (CRLF as RFC 8866 says, LF if
// the writer used bare LFs).
func eolOf(s string) string {
	if i := strings.IndexByte(s, '\n'); i > 0 && s[i-1] == '\r' {
		return "\r\n"
	}
	return "\n"
}

// attr splits an a= line into its attribute name and value.
func attr(line string) (key, value string, ok bool) {
	rest, ok := strings.CutPrefix(line, "a=")
	if !ok {
		return "", "", false
	}
	key, value, _ = strings.Cut(rest, ":")
	return key, value, true
}

// extmap is one a=extmap line.
type extmap struct {
	id  int
	uri string
}

// parseExtmap reads "a=extmap:<id>[/<direction>] <uri> [<attributes>]".
func parseExtmap(value string) (extmap, bool) {
	idDir, rest, ok := strings.Cut(value, " ")
	if !ok {
		return extmap{}, false
	}
	idStr, _, _ := strings.Cut(idDir, "/")
	id, err := strconv.Atoi(idStr)
	if err != nil || id < 1 || id > 255 {
		return extmap{}, false
	}
	uri, _, _ := strings.Cut(strings.TrimSpace(rest), " ")
	return extmap{id: id, uri: uri}, true
}

// midOf returns the section's a=mid value, or "".
func midOf(lines []string) string {
	for _, l := range lines {
		if k, v, ok := attr(l); ok && k == "mid" {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

// assemble rebuilds the SDP s with the sections in repl replaced by new
// lines; every other byte is copied from s.
func assemble(s string, secs []section, repl map[int][]string) string {
	if len(repl) == 0 {
		return s
	}
	eol := eolOf(s)
	var b strings.Builder
	b.Grow(len(s) + 512)
	prev := 0
	for i, sec := range secs {
		lines, ok := repl[i]
		if !ok {
			continue
		}
		b.WriteString(s[prev:sec.start])
		terminated := strings.HasSuffix(s[sec.start:sec.end], "\n")
		for j, l := range lines {
			b.WriteString(l)
			if j < len(lines)-1 || terminated {
				b.WriteString(eol)
			}
		}
		prev = sec.end
	}
	b.WriteString(s[prev:])
	return b.String()
}
