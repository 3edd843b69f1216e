package speaker

import (
	"testing"
	"time"
)

var t0 = time.Date(2025, 1, 1, 12, 0, 0, 0, time.UTC)

const (
	silent = 127.0
	ms     = time.Millisecond
	sec    = time.Second
)

// talk is a source speaking at level during (from, to].
type talk struct {
	src      uint32
	from, to time.Duration
	level    float64
}

// change is a dominant speaker change seen by Evaluate.
type change struct {
	at  time.Duration
	dom uint32
	ok  bool
}

// sim observes srcs every step from step to end (inclusive), silent unless a
// talk covers the instant, and evaluates after each step. It returns the
// changes Evaluate reported.
func sim(d *Detector, srcs []uint32, talks []talk, start, end, step time.Duration) []change {
	var out []change
	for at := start + step; at <= end; at += step {
		for _, s := range srcs {
			level := silent
			for _, tk := range talks {
				if tk.src == s && at > tk.from && at <= tk.to {
					level = min(level, tk.level)
				}
			}
			d.Observe(s, level, voiced(level), t0.Add(at))
		}
		if d.Evaluate(t0.Add(at)) {
			dom, ok := d.Dominant()
			out = append(out, change{at, dom, ok})
		}
	}
	return out
}

// voiced is the VAD fraction a client would send for level.
func voiced(level float64) float64 {
	if level < DefaultSilenceLevel {
		return 1
	}
	return 0
}

// wantChanges checks that got has the sources of want, each at a time within
// [want.at, want.at+slack].
func wantChanges(t *testing.T, got []change, want []change, slack time.Duration) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("changes = %+v, want %+v (±%v)", got, want, slack)
	}
	for i := range want {
		g, w := got[i], want[i]
		if g.dom != w.dom || g.ok != w.ok || g.at < w.at || g.at > w.at+slack {
			t.Fatalf("change %d = %+v, want %+v (+%v)", i, g, w, slack)
		}
	}
}

func wantDominant(t *testing.T, d *Detector, src uint32, ok bool) {
	t.Helper()
	if got, gotOK := d.Dominant(); got != src || gotOK != ok {
		t.Fatalf("Dominant() = (%d, %v), want (%d, %v)", got, gotOK, src, ok)
	}
}
