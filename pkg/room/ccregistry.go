package room

import "sync"

// congestionRegistry lists the connections with a congestion controller
// for node-wide metrics, and keeps the probe counters of closed ones so
// that the totals never go backwards. Not on the packet path.
type congestionRegistry struct {
	mu      sync.Mutex
	conns   map[*Connection]struct{}
	retired CongestionTotals
}

// CongestionTotals are node-wide congestion control figures.
type CongestionTotals struct {
	// Connections with a controller, and their estimates (bit/s).
	Connections int
	Estimates   []int
	// Sum of what was sent to them and allocated to their slots, bit/s.
	Sent, Allocated int
	// PausedSlots counts video slots bandwidth disabled now.
	PausedSlots int
	// Cumulative probe clusters, confirmed and failed.
	Probes, ProbesConfirmed, ProbesFailed uint64
	// Cumulative retransmissions the connections' budgets refused.
	RetransmitsDenied uint64
}

func (g *congestionRegistry) add(c *Connection) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.conns == nil {
		g.conns = make(map[*Connection]struct{})
	}
	g.conns[c] = struct{}{}
}

func (g *congestionRegistry) remove(c *Connection) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if _, ok := g.conns[c]; !ok {
		return
	}
	delete(g.conns, c)
	st := c.cc.Stats()
	g.retired.Probes += st.Probes
	g.retired.ProbesConfirmed += st.Confirmed
	g.retired.ProbesFailed += st.Failed
	g.retired.RetransmitsDenied += st.RetransmitsDenied
}

// CongestionStats snapshots the node's congestion control figures.
func (m *Manager) CongestionStats() CongestionTotals {
	g := &m.cc
	g.mu.Lock()
	defer g.mu.Unlock()
	t := g.retired
	t.Connections = len(g.conns)
	t.Estimates = make([]int, 0, len(g.conns))
	for c := range g.conns {
		st := c.cc.Stats()
		t.Estimates = append(t.Estimates, st.Estimate)
		t.Sent += st.SentBitrate
		t.Allocated += st.Allocated
		t.PausedSlots += int(c.ccPaused.Load())
		t.Probes += st.Probes
		t.ProbesConfirmed += st.Confirmed
		t.ProbesFailed += st.Failed
		t.RetransmitsDenied += st.RetransmitsDenied
	}
	return t
}
