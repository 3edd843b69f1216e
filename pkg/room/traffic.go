package room

import (
	"sync"

	"github.com/switchyard-sfu/switchyard/pkg/forwarder"
)

// traffic aggregates forwarding counters across the node. Live receivers and
// DownTracks are summed on demand; the totals of ended ones are folded into
// retired so that the node's counters never go backwards. Not on the packet
// path: the forwarder's own counters are atomics.
type traffic struct {
	mu         sync.Mutex
	receivers  map[*forwarder.Receiver]struct{}
	downTracks map[*forwarder.DownTrack]struct{}
	retired    TrafficTotals
}

// TrafficTotals are cumulative node counters.
type TrafficTotals struct {
	PacketsIn, BytesIn   uint64
	PacketsOut, BytesOut uint64
	MalformedIn          uint64
	Retransmits          uint64
	// UndeclaredLayers counts simulcast layers a publisher sent without
	// declaring them in its SDP (ignored).
	UndeclaredLayers uint64
	// UnknownPackets counts datagrams on the media port from 5-tuples no
	// connection created through Join admitted (dropped).
	UnknownPackets uint64
}

func newTraffic() *traffic {
	return &traffic{receivers: map[*forwarder.Receiver]struct{}{}, downTracks: map[*forwarder.DownTrack]struct{}{}}
}

func (t *traffic) addReceiver(r *forwarder.Receiver) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.receivers[r] = struct{}{}
}

func (t *traffic) removeReceiver(r *forwarder.Receiver) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if _, ok := t.receivers[r]; !ok {
		return
	}
	delete(t.receivers, r)
	addReceiverStats(&t.retired, r.Stats())
}

func (t *traffic) undeclaredLayer() {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.retired.UndeclaredLayers++
}

func (t *traffic) addDownTrack(d *forwarder.DownTrack) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.downTracks[d] = struct{}{}
}

func (t *traffic) removeDownTrack(d *forwarder.DownTrack) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if _, ok := t.downTracks[d]; !ok {
		return
	}
	delete(t.downTracks, d)
	addDownTrackStats(&t.retired, d.Stats())
}

func addReceiverStats(t *TrafficTotals, s forwarder.ReceiverStats) {
	t.PacketsIn += s.Packets
	t.BytesIn += s.Bytes
	t.MalformedIn += s.Malformed
}

func addDownTrackStats(t *TrafficTotals, s forwarder.DownTrackStats) {
	t.PacketsOut += s.Packets
	t.BytesOut += s.Bytes
	t.Retransmits += s.Retransmits
}

// NodeStats is a snapshot of the node's forwarding state.
type NodeStats struct {
	Rooms           int
	Connections     int
	PublishedTracks int
	ForwardedTracks int
	Totals          TrafficTotals
}

// Stats snapshots the node's counters.
func (m *Manager) Stats() NodeStats {
	m.mu.RLock()
	s := NodeStats{Rooms: len(m.rooms), Connections: len(m.conns)}
	m.mu.RUnlock()
	t := m.traffic
	t.mu.Lock()
	defer t.mu.Unlock()
	s.Totals = t.retired
	s.PublishedTracks = len(t.receivers)
	s.ForwardedTracks = len(t.downTracks)
	for r := range t.receivers {
		addReceiverStats(&s.Totals, r.Stats())
	}
	for d := range t.downTracks {
		addDownTrackStats(&s.Totals, d.Stats())
	}
	s.Totals.UnknownPackets = m.o.Media.DroppedPackets()
	return s
}
