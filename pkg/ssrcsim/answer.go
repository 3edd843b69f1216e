package ssrcsim

import "slices"

// RestoreAnswer takes pion's answer to r.SDP and removes, from the m-lines
// Rewrite converted, what answers the conversion rather than the client's
// offer: the a=rid and a=simulcast lines and the extmap lines Rewrite added.
// The client then gets an answer to the offer it made. Every other byte is
// kept.
func (r Result) RestoreAnswer(answer string) (string, error) {
	if len(r.added) == 0 {
		return answer, nil
	}
	if err := validate(answer); err != nil {
		return "", err
	}
	secs := splitSDP(answer)
	repl := map[int][]string{}
	for i := 1; i < len(secs); i++ {
		added, ok := r.added[midOf(secs[i].lines)]
		if !ok {
			continue
		}
		kept := make([]string, 0, len(secs[i].lines))
		for _, l := range secs[i].lines {
			if k, v, ok := attr(l); ok {
				if k == "rid" || k == "simulcast" {
					continue
				}
				if e, ok := parseExtmap(v); ok && k == "extmap" && slices.Contains(added, e.uri) {
					continue
				}
			}
			kept = append(kept, l)
		}
		if len(kept) != len(secs[i].lines) {
			repl[i] = kept
		}
	}
	return assemble(answer, secs, repl), nil
}
