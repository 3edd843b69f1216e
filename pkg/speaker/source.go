package speaker

import "time"

// bucket holds the mean energy of one source over one time bucket.
type bucket struct {
	n     int64 // bucket number; a ring slot holding another number is stale
	sum   float32
	count uint32
}

// audioSource is one audio source's recent history.
type audioSource struct {
	id        uint32
	ring      [numBuckets]bucket
	seen      bool      // observed at least once
	lastAt    time.Time // time of the latest accepted observation
	spoke     bool      // ever had an observation above silence
	lastSpoke time.Time // time of the latest such observation
	act       float64   // scratch: energy in the window, set by rank
}

// slot maps a bucket number to its ring slot, also for negative numbers.
func slot(n int64) int {
	return int((n%numBuckets + numBuckets) % numBuckets)
}

// add folds an energy into bucket n.
func (s *audioSource) add(n int64, e float32) {
	b := &s.ring[slot(n)]
	if b.n != n || b.count == 0 {
		*b = bucket{n: n, sum: e, count: 1}
		return
	}
	b.sum += e
	b.count++
}

// energy returns the mean energy of bucket n, 0 if it holds nothing.
func (s *audioSource) energy(n int64) float32 {
	if s == nil {
		return 0
	}
	b := &s.ring[slot(n)]
	if b.n != n || b.count == 0 {
		return 0
	}
	return b.sum / float32(b.count)
}

// activity returns the total energy of the window ending at bucket now.
func (s *audioSource) activity(now int64) float64 {
	var sum float64
	for k := now - numBuckets + 1; k <= now; k++ {
		sum += float64(s.energy(k))
	}
	return sum
}
