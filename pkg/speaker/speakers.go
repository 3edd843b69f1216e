package speaker

import "slices"

// Speakers returns up to n sources, best first: the dominant speaker, then
// the others by their speech energy over the last Window (as of the last
// Evaluate), then by how recently they spoke; sources that never spoke come
// after those that did. Remaining ties keep the order in which sources were
// first observed. n <= 0 gives nil. The only allocation is the result.
func (d *Detector) Speakers(n int) []uint32 {
	if n <= 0 || len(d.order) == 0 {
		return nil
	}
	now := d.bucketOf(d.now)
	r := d.ranked
	copy(r, d.order)
	for _, s := range r {
		s.act = s.activity(now)
	}
	slices.SortStableFunc(r, func(a, b *audioSource) int {
		switch {
		case a == b:
			return 0
		case a == d.dom:
			return -1
		case b == d.dom:
			return 1
		case d.before(a, b):
			return -1
		case d.before(b, a):
			return 1
		}
		return 0
	})
	out := make([]uint32, min(n, len(r)))
	for i := range out {
		out[i] = r[i].id
	}
	return out
}

// before reports whether a ranks strictly before b, ignoring dominance;
// both must have act set.
func (d *Detector) before(a, b *audioSource) bool {
	switch {
	case a.act != b.act:
		return a.act > b.act
	case a.spoke != b.spoke:
		return a.spoke
	case a.spoke:
		return a.lastSpoke.After(b.lastSpoke)
	}
	return false
}
