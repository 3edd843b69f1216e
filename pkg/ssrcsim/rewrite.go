package ssrcsim

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/pion/sdp/v3"
)

// Layer maps one SSRC-signalled simulcast layer to the synthetic RID the
// node uses for it.
type Layer struct {
	MID     string // the m-line's a=mid
	RID     string // "l0" for the first SSRC of the SIM group (lowest layer), "l1", ...
	SSRC    uint32
	RTXSSRC uint32 // from a=ssrc-group:FID, 0 if none
	MaxFs   int    // from a=ssrc:<ssrc> fmtp:* max-fs=N (frame size in macroblocks), 0 if none
}

// Result is a rewritten SDP and what the node needs to receive it.
type Result struct {
	SDP    string
	Layers []Layer             // in m-line order, then SIM order; nil if nothing was rewritten
	Ext    Extensions          // zero if nothing was rewritten
	added  map[string][]string // rewritten mid -> extmap URIs Rewrite added
}

// Rewrite converts every m-line that has an a=ssrc-group:SIM and neither
// a=simulcast nor a=rid (and that is not rejected, recvonly or inactive)
// into RID simulcast: it adds a=rid:l<i> send (with max-fs when the SSRC
// had one) per SIM SSRC and a=simulcast:send l0;l1;..., adds a media-level
// a=msid if the m-line has none (from the SSRCs' msid, else mslabel/label,
// else "-" and "ssrcsim-<mid>", because pion needs a stream and a track id
// for simulcast), removes the m-line's a=ssrc and a=ssrc-group lines, and
// adds the missing extmap lines for the MID, RID and repaired-RID
// extensions (see Extensions for how their IDs are chosen).
//
// Every other m-line, and an SDP without SIM groups, is returned
// byte-for-byte unchanged, so Rewrite is idempotent.
func Rewrite(s string) (Result, error) {
	if err := validate(s); err != nil {
		return Result{}, err
	}
	secs := splitSDP(s)
	var sims []*simMedia
	for i := 1; i < len(secs); i++ {
		m, err := parseSimMedia(secs[i].lines)
		if err != nil {
			return Result{}, fmt.Errorf("m-line %d: %w", i-1, err)
		}
		if m != nil {
			m.sec = i
			sims = append(sims, m)
		}
	}
	if len(sims) == 0 {
		return Result{SDP: s}, nil
	}
	ext, err := chooseExtensions(secs)
	if err != nil {
		return Result{}, err
	}
	res := Result{Ext: ext, added: map[string][]string{}}
	repl := map[int][]string{}
	for _, m := range sims {
		lines, added := m.rewrite(secs[m.sec].lines, ext)
		repl[m.sec] = lines
		res.added[m.mid] = added
		res.Layers = append(res.Layers, m.layers()...)
	}
	res.SDP = assemble(s, secs, repl)
	return res, nil
}

// validate checks that s parses as an SDP (pion's parser accepts an empty
// string, so the v= line is checked too).
func validate(s string) error {
	if !strings.HasPrefix(s, "v=") {
		return fmt.Errorf("%w: does not start with v=", ErrMalformedSDP)
	}
	var parsed sdp.SessionDescription
	if err := parsed.UnmarshalString(s); err != nil {
		return fmt.Errorf("%w: %w", ErrMalformedSDP, err)
	}
	return nil
}

// simMedia is what Rewrite learned from one m-line with a SIM group.
type simMedia struct {
	sec     int
	mid     string
	sim     []uint32          // SIM group, lowest layer first
	rtx     map[uint32]uint32 // primary -> RTX, from FID groups
	maxFs   map[uint32]int
	msid    string         // "<stream> <track>" to add as a=msid; "" if the m-line has one
	exts    map[string]int // extmap URIs of the m-line
	lastExt int            // index of the m-line's last extmap line, -1 if none
}

// parseSimMedia returns nil for an m-line Rewrite leaves alone.
func parseSimMedia(lines []string) (*simMedia, error) {
	if !convertible(lines) {
		return nil, nil
	}
	m := &simMedia{
		mid:     midOf(lines),
		rtx:     map[uint32]uint32{},
		maxFs:   map[uint32]int{},
		exts:    map[string]int{},
		lastExt: -1,
	}
	if m.mid == "" {
		return nil, ErrNoMID
	}
	ssrcAttrs := map[uint32]map[string]string{} // ssrc -> attribute -> first value
	hasMsid := false
	for i, l := range lines {
		k, v, ok := attr(l)
		if !ok {
			continue
		}
		switch k {
		case "msid":
			hasMsid = true
		case "extmap":
			if e, ok := parseExtmap(v); ok {
				m.exts[e.uri] = e.id
			}
			m.lastExt = i
		case "ssrc-group":
			if err := m.parseGroup(v); err != nil {
				return nil, err
			}
		case "ssrc":
			idStr, rest, _ := strings.Cut(v, " ")
			ssrc, err := parseSSRC(idStr)
			if err != nil {
				return nil, err
			}
			name, value, _ := strings.Cut(rest, ":")
			if ssrcAttrs[ssrc] == nil {
				ssrcAttrs[ssrc] = map[string]string{}
			}
			if _, seen := ssrcAttrs[ssrc][name]; !seen {
				ssrcAttrs[ssrc][name] = value
			}
			if name == "fmtp" {
				if fs := maxFsOf(value); fs > 0 && m.maxFs[ssrc] == 0 {
					m.maxFs[ssrc] = fs
				}
			}
		}
	}
	if !hasMsid {
		m.msid = msidFor(m.mid, m.sim, ssrcAttrs)
	}
	return m, nil
}

// convertible reports whether an m-line has a SIM group, is not already RID
// simulcast, and may send.
func convertible(lines []string) bool {
	if f := strings.Fields(lines[0]); len(f) > 1 && f[1] == "0" && !hasAttr(lines, "bundle-only") {
		return false // rejected m-line
	}
	sim := false
	for _, l := range lines {
		k, v, ok := attr(l)
		if !ok {
			continue
		}
		switch k {
		case "simulcast", "rid", "recvonly", "inactive":
			return false
		case "ssrc-group":
			if sem, _, _ := strings.Cut(v, " "); sem == "SIM" {
				sim = true
			}
		}
	}
	return sim
}

func hasAttr(lines []string, key string) bool {
	for _, l := range lines {
		if k, _, ok := attr(l); ok && k == key {
			return true
		}
	}
	return false
}

func (m *simMedia) parseGroup(v string) error {
	f := strings.Fields(v)
	if len(f) == 0 {
		return fmt.Errorf("%w: empty ssrc-group", ErrMalformedSDP)
	}
	ssrcs := make([]uint32, 0, len(f)-1)
	for _, s := range f[1:] {
		ssrc, err := parseSSRC(s)
		if err != nil {
			return err
		}
		ssrcs = append(ssrcs, ssrc)
	}
	switch f[0] {
	case "SIM":
		if m.sim != nil {
			return fmt.Errorf("%w: more than one ssrc-group:SIM", ErrMalformedSDP)
		}
		if len(ssrcs) == 0 {
			return fmt.Errorf("%w: ssrc-group:SIM without SSRCs", ErrMalformedSDP)
		}
		seen := map[uint32]bool{}
		for _, s := range ssrcs {
			if seen[s] {
				return fmt.Errorf("%w: SSRC %d twice in ssrc-group:SIM", ErrMalformedSDP, s)
			}
			seen[s] = true
		}
		m.sim = ssrcs
	case "FID":
		if len(ssrcs) != 2 {
			return fmt.Errorf("%w: ssrc-group:FID with %d SSRCs", ErrMalformedSDP, len(ssrcs))
		}
		m.rtx[ssrcs[0]] = ssrcs[1]
	}
	return nil
}

func parseSSRC(s string) (uint32, error) {
	v, err := strconv.ParseUint(s, 10, 32)
	if err != nil {
		return 0, fmt.Errorf("%w: SSRC %q", ErrMalformedSDP, s)
	}
	return uint32(v), nil
}

// maxFsOf reads max-fs from an ssrc fmtp value ("* max-fs=240;max-fps=30"
// or "<pt> max-fs=240").
func maxFsOf(v string) int {
	_, params, _ := strings.Cut(strings.TrimSpace(v), " ")
	for p := range strings.FieldsFuncSeq(params, func(r rune) bool { return r == ';' || r == ' ' }) {
		if n, ok := strings.CutPrefix(p, "max-fs="); ok {
			if fs, err := strconv.Atoi(n); err == nil && fs > 0 {
				return fs
			}
		}
	}
	return 0
}

// msidFor builds the "<stream> <track>" of the a=msid line Rewrite adds.
func msidFor(mid string, sim []uint32, attrs map[uint32]map[string]string) string {
	stream, track := "", ""
	for _, s := range sim {
		if f := strings.Fields(attrs[s]["msid"]); len(f) > 0 {
			stream = f[0]
			if len(f) > 1 {
				track = f[1]
			}
			break
		}
	}
	for _, s := range sim {
		if stream == "" {
			stream = strings.TrimSpace(attrs[s]["mslabel"])
		}
		if track == "" {
			track = strings.TrimSpace(attrs[s]["label"])
		}
	}
	if stream == "" {
		stream = "-" // JSEP: no stream
	}
	if track == "" {
		track = "ssrcsim-" + mid
	}
	return stream + " " + track
}

// rewrite returns the m-line's new lines and the extmap URIs it added.
func (m *simMedia) rewrite(lines []string, ext Extensions) (out, added []string) {
	var extLines []string
	for i, uri := range simulcastURIs {
		if _, ok := m.exts[uri]; !ok {
			extLines = append(extLines, "a=extmap:"+strconv.Itoa(int(ext.ids()[i]))+" "+uri)
			added = append(added, uri)
		}
	}
	out = make([]string, 0, len(lines)+len(extLines)+len(m.sim)+2)
	for i, l := range lines {
		k, _, _ := attr(l)
		if k == "ssrc" || k == "ssrc-group" {
			continue
		}
		out = append(out, l)
		if k == "mid" {
			if m.msid != "" {
				out = append(out, "a=msid:"+m.msid)
			}
			if m.lastExt < 0 {
				out = append(out, extLines...)
			}
		}
		if i == m.lastExt {
			out = append(out, extLines...)
		}
	}
	// The RID lines go after the last attribute (a=mid at least), not at
	// the very end, in case the m-line ends with something else.
	lastAttr := len(out) - 1
	for lastAttr > 0 && !strings.HasPrefix(out[lastAttr], "a=") {
		lastAttr--
	}
	tail := slices.Clone(out[lastAttr+1:])
	out = append(out[:lastAttr+1], m.ridLines()...)
	return append(out, tail...), added
}

// ridLines are the a=rid lines and the a=simulcast line.
func (m *simMedia) ridLines() []string {
	lines := make([]string, 0, len(m.sim)+1)
	rids := make([]string, len(m.sim))
	for i, s := range m.sim {
		rids[i] = ridName(i)
		line := "a=rid:" + rids[i] + " send"
		if fs := m.maxFs[s]; fs > 0 {
			line += " max-fs=" + strconv.Itoa(fs)
		}
		lines = append(lines, line)
	}
	return append(lines, "a=simulcast:send "+strings.Join(rids, ";"))
}

func (m *simMedia) layers() []Layer {
	out := make([]Layer, len(m.sim))
	for i, s := range m.sim {
		out[i] = Layer{MID: m.mid, RID: ridName(i), SSRC: s, RTXSSRC: m.rtx[s], MaxFs: m.maxFs[s]}
	}
	return out
}

func ridName(i int) string { return "l" + strconv.Itoa(i) }
