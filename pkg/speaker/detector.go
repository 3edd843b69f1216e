package speaker

import (
	"slices"
	"time"
)

// Detector tracks audio sources and decides who the dominant speaker is.
// See the package documentation for the scoring. A Detector is not safe for
// concurrent use.
type Detector struct {
	cfg     config
	sources map[uint32]*audioSource
	order   []*audioSource // first-seen order: the stable tie break
	ranked  []*audioSource // scratch for Speakers, len(ranked) == len(order)
	dom     *audioSource   // dominant speaker, nil if none
	changed bool           // dom changed since the last Evaluate
	started bool           // epoch and now are set
	epoch   time.Time      // bucket 0 starts here
	now     time.Time      // latest Evaluate time: the end of the scored window
}

// NewDetector returns a Detector with the given options.
func NewDetector(o Options) *Detector {
	return &Detector{cfg: newConfig(o), sources: make(map[uint32]*audioSource)}
}

// maxOffset bounds how far from the epoch a time may be before the epoch
// moves; time.Time.Sub saturates at about 292 years.
const maxOffset = 100 * 365 * 24 * time.Hour

// anchor fixes the epoch at the first time the detector sees, and moves it
// when a time is too far from it to number buckets (a zero time.Time, a
// clock gone wild). Bucket numbers then change meaning, so all history is
// dropped: it is far outside any window anyway.
func (d *Detector) anchor(at time.Time) {
	if !d.started {
		d.started, d.epoch, d.now = true, at, at
		return
	}
	if off := at.Sub(d.epoch); off > -maxOffset && off < maxOffset {
		return
	}
	d.epoch = at
	for _, s := range d.order {
		s.ring = [numBuckets]bucket{}
	}
}

// bucketOf returns the number of the bucket holding t (floor division, so
// times before the epoch get negative numbers).
func (d *Detector) bucketOf(t time.Time) int64 {
	off, w := int64(t.Sub(d.epoch)), int64(d.cfg.width)
	n := off / w
	if off%w < 0 {
		n--
	}
	return n
}

// Observe records one interval of audio from source: its mean RFC 6464 level
// (0 loudest .. 127 silence) and the fraction of its packets with the
// voice-activity bit, for the interval ending at at. An unknown source is
// added. An observation not later than the source's previous one (time
// going backwards, duplicates) is ignored. Out-of-range values are clamped;
// NaN counts as silence.
func (d *Detector) Observe(source uint32, meanLevel float64, voicedFraction float64, at time.Time) {
	s := d.sources[source]
	if s == nil {
		s = &audioSource{id: source}
		d.sources[source] = s
		d.order = append(d.order, s)
		d.ranked = append(d.ranked, s)
	} else if s.seen && !at.After(s.lastAt) {
		return
	}
	d.anchor(at)
	n := d.bucketOf(at)
	e := d.cfg.energy(meanLevel, voicedFraction)
	from := n - d.cfg.firstSpan + 1
	if s.seen {
		// Cover the buckets since the previous observation; if that
		// one fell into this bucket too, share the bucket.
		from = max(min(d.bucketOf(s.lastAt)+1, n), n-d.cfg.maxSpan+1)
	}
	for k := from; k <= n; k++ {
		s.add(k, e)
	}
	s.seen, s.lastAt = true, at
	if e > 0 {
		s.spoke, s.lastSpoke = true, at
	}
}

// Remove forgets source. If it was the dominant speaker, the best-ranked
// remaining source that has spoken (see [Detector.Speakers]) takes over, or
// there is none; the next Evaluate reports the change.
func (d *Detector) Remove(source uint32) {
	s := d.sources[source]
	if s == nil {
		return
	}
	delete(d.sources, source)
	if i := slices.Index(d.order, s); i >= 0 {
		d.order = slices.Delete(d.order, i, i+1) // zeroes the freed slot
	}
	clear(d.ranked) // scratch: drop every reference, refilled by Speakers
	d.ranked = d.ranked[:len(d.order)]
	if d.dom != s {
		return
	}
	d.dom, d.changed = nil, true
	now := d.bucketOf(d.now)
	for _, o := range d.order {
		if !o.spoke {
			continue
		}
		o.act = o.activity(now)
		if d.dom == nil || d.before(o, d.dom) {
			d.dom = o
		}
	}
}

// Evaluate scores the window ending at at and switches the dominant speaker
// if a challenger qualifies. It reports whether the dominant speaker changed
// since the previous Evaluate, including through Remove. An at earlier than
// a previous Evaluate's is taken as that time.
func (d *Detector) Evaluate(at time.Time) (dominantChanged bool) {
	if !d.started || at.After(d.now) {
		d.now = at
	}
	d.anchor(d.now)
	now := d.bucketOf(d.now)
	var best *audioSource
	var bestWins int
	var bestAct float64
	for _, s := range d.order {
		if s == d.dom {
			continue
		}
		wins, act := d.challenge(s, now)
		if wins < d.cfg.need {
			continue
		}
		if best == nil || wins > bestWins || wins == bestWins && act > bestAct {
			best, bestWins, bestAct = s, wins, act
		}
	}
	if best != nil {
		d.dom, d.changed = best, true
	}
	changed := d.changed
	d.changed = false
	return changed
}

// challenge counts the buckets of the window ending at now in which s is
// clearly louder than the dominant speaker, and sums s's energy there.
func (d *Detector) challenge(s *audioSource, now int64) (wins int, act float64) {
	for k := now - numBuckets + 1; k <= now; k++ {
		e := s.energy(k)
		if e <= 0 {
			continue
		}
		act += float64(e)
		if float64(e) >= float64(d.dom.energy(k))+d.cfg.louderBy {
			wins++
		}
	}
	return wins, act
}

// Dominant returns the dominant speaker; ok is false if there is none yet
// (or it was removed and nobody else has spoken).
func (d *Detector) Dominant() (source uint32, ok bool) {
	if d.dom == nil {
		return 0, false
	}
	return d.dom.id, true
}
