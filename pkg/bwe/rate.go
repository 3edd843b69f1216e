package bwe

import "time"

// Geometry of a [rateWindow].
const (
	rateBucket  = 10 * time.Millisecond
	rateBuckets = 128 // power of two
)

// rateWindow measures a byte rate over a sliding window of arrival time.
// Bytes are summed into fixed 10 ms buckets, so the cost per packet is
// constant and the memory fixed, whatever the packet rate.
type rateWindow struct {
	buckets [rateBuckets]int64
	window  int64 // buckets in the window
	head    int64 // bucket index of the newest arrival
	first   int64 // bucket index of the first arrival
	lastNs  int64 // newest arrival, ns
	started bool
}

func newRateWindow(window time.Duration) rateWindow {
	return rateWindow{window: int64(window / rateBucket)}
}

// add counts size bytes arriving at tNs (ns on the receiver's time base).
// Arrivals older than the ring are ignored.
func (w *rateWindow) add(tNs int64, size int) {
	if tNs < 0 {
		return
	}
	idx := tNs / int64(rateBucket)
	if !w.started {
		w.head, w.first, w.lastNs, w.started = idx, idx, tNs, true
	}
	switch {
	case idx > w.head:
		if idx-w.head >= rateBuckets {
			w.buckets = [rateBuckets]int64{}
		} else {
			for i := w.head + 1; i <= idx; i++ {
				w.buckets[i&(rateBuckets-1)] = 0
			}
		}
		w.head = idx
	case w.head-idx >= rateBuckets:
		return
	}
	if tNs > w.lastNs {
		w.lastNs = tNs
	}
	w.buckets[idx&(rateBuckets-1)] += int64(size)
}

// rate returns the rate in bit/s over the window ending at the newest
// arrival, or 0 until a full window of arrivals has been seen.
func (w *rateWindow) rate() int {
	if !w.started || w.head-w.first+1 < w.window {
		return 0
	}
	var sum int64
	for i := w.head - w.window + 1; i <= w.head; i++ {
		sum += w.buckets[i&(rateBuckets-1)]
	}
	// The window starts at the oldest bucket's start and ends at the newest
	// arrival, so a partly filled newest bucket does not bias the rate.
	span := w.lastNs - (w.head-w.window+1)*int64(rateBucket)
	if span <= 0 {
		return 0
	}
	r := float64(sum) * 8 * float64(time.Second) / float64(span)
	if r > 1<<40 {
		r = 1 << 40
	}
	return int(r)
}

// reset forgets every arrival; used when the receiver's clock jumps.
func (w *rateWindow) reset() {
	*w = rateWindow{window: w.window}
}
