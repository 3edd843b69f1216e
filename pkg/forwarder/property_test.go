package forwarder

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"
)

// The property test drives three slots over five VP8 sources (three
// simulcast layers of one publisher, two other publishers, one of them with
// 7-bit picture ids) with random loss and reordering on the way in, random
// SwitchTo, SetMaxTemporalLayer and pauses, on a fake clock, and checks
// every packet each slot sends. A "stint" is the run of output from one
// anchoring of the munger to the next (a switch or a resume starts one).
//
// Invariants:
//
//  1. Source: every packet comes from the slot's current source; a stint
//     starts with a keyframe and carries only frames from it on.
//  2. Sequence numbers are unique. Each packet is either the new maximum
//     (previous maximum + 1 + k) or fills one of the k numbers skipped
//     earlier ("holes"). When a hole appears, the NACK mapping resolves it
//     to a packet of the stint's source that has not reached the Receiver
//     (lost or still delayed): deliberately dropped packets (temporal
//     layers, switches) never leave holes. A hole is only ever filled by
//     the packet it maps to (or by padding when that packet turns out to
//     belong to a dropped frame), and the mapping of every sent number
//     names the source and incoming number of what was sent.
//  3. Timestamps: within a stint out-in is constant; a new stint starts
//     exactly max(1, elapsed×90 kHz) after the last newest forwarded packet,
//     so timestamps never go backwards and jump by at most elapsed×clock
//     plus one frame.
//  4. VP8 numbering: all packets of a frame carry one picture id; across a
//     stint boundary picture id and TL0PICIDX continue at +1; within a
//     stint TL0PICIDX out-in is constant and consecutive forwarded frames
//     F1 < F2 are exactly idx(F2)-idx(F1)-D apart, D being the frames in
//     between that the slot saw as newest frame and dropped.
//  5. Temporal layers: a forwarded frame's TID is within the limit in force
//     when the slot first saw it, every frame it references was forwarded
//     unless the slot had not seen it yet, and a frame is forwarded whole
//     (every packet the slot processed) or not at all.
//  6. Retransmission: NACKs for sent numbers re-send exactly what was sent
//     (descriptor included) from the right source's cache, also across
//     switches.
func TestSlotProperties(t *testing.T) {
	seeds := 16
	if testing.Short() {
		seeds = 2
	}
	for seed := range uint64(seeds) {
		t.Run(fmt.Sprint("seed=", seed), func(t *testing.T) { runSlotProperties(t, seed, 600) })
	}
}

type propFrame struct {
	src, idx int
	tid      int
	key      bool
	refs     []int
	pkts     []*propPkt
}

type propPkt struct {
	frame     *propFrame
	seq       uint16
	ts        uint32
	raw       []byte
	payload   []byte
	delivered int // delivery number; 0: not (yet) delivered
}

type propSource struct {
	i          int
	l          *layer
	gen        *vp8Source
	frames     []*propFrame
	pkts       map[uint16]*propPkt
	held       []heldPkt
	keyEvery   int
	lastKey    int
	keyAt      int
	plisSeen   int
	maxPerFrom int
}

type heldPkt struct {
	p    *propPkt
	left int
}

// nextFrame generates one frame with its reference structure (L1T3: TL0
// references the previous TL0, a TL2 frame right after TL0 and every other
// TL1 frame reference TL0 only and carry Y, the others reference their
// layer's previous frame).
func (s *propSource) nextFrame(t testing.TB, rng *rand.Rand) *propFrame {
	idx := len(s.frames)
	key := idx == 0 || idx-s.lastKey >= s.keyEvery || (s.keyAt >= 0 && idx >= s.keyAt)
	if key {
		s.lastKey, s.keyAt = idx, -1
	}
	pos := (idx - s.lastKey) % 4
	f := &propFrame{src: s.i, idx: idx, key: key, tid: [4]int{0, 2, 1, 2}[pos]}
	sync := key || pos == 1
	ref := func(r int) {
		if r >= s.lastKey {
			f.refs = append(f.refs, r)
		}
	}
	switch pos {
	case 0:
		if !key {
			ref(idx - 4)
		}
	case 1:
		ref(idx - 1)
	case 2:
		ref(idx - 2)
		if (idx-s.lastKey)/4%2 == 1 {
			ref(idx - 4) // the previous TL1 frame
		} else {
			sync = true
		}
	case 3:
		ref(idx - 1)
	}
	vs := s.gen.next(1+rng.IntN(s.maxPerFrom), key)
	for _, v := range vs {
		v.tid, v.sync = f.tid, sync
		p := &propPkt{frame: f, seq: v.seq, ts: v.ts, payload: v.payload()}
		p.raw = v.build(t)
		f.pkts = append(f.pkts, p)
		s.pkts[v.seq] = p
	}
	s.frames = append(s.frames, f)
	return f
}

func runSlotProperties(t *testing.T, seed uint64, ticks int) {
	rng := rand.New(rand.NewPCG(seed, seed*7919))
	clock := newFakeClock()
	srcs := make([]*propSource, 5)
	for i := range srcs {
		l := newLayer(t, clock, uint32(0x100+i), webrtc.RTPCodecTypeVideo, upVP8)
		l.r.cache = newPacketCache(1024)
		g := newVP8Source(l, byte(i+1), uint16(rng.Uint32()), rng.Uint32(), rng.IntN(1<<15))
		g.pic7 = i == 4
		g.forceKey = false
		srcs[i] = &propSource{i: i, l: l, gen: g, pkts: map[uint16]*propPkt{}, keyEvery: 20 + rng.IntN(40), keyAt: -1, maxPerFrom: 1 + i%3}
	}
	slots := make([]*propSlot, 3)
	for i := range slots {
		slots[i] = newPropSlot(t, i, clock, srcs, i != 1)
	}
	delivered := 0
	deliver := func(s *propSource, p *propPkt) {
		delivered++
		p.delivered = delivered
		clock.Advance(time.Duration(rng.IntN(3)) * time.Millisecond)
		for _, ps := range slots {
			ps.before(p)
		}
		s.l.r.HandlePacket(p.raw)
		for _, ps := range slots {
			ps.after(t, p)
		}
	}
	for tick := range ticks {
		clock.Advance(33 * time.Millisecond)
		for _, ps := range slots {
			ps.act(rng, srcs)
		}
		// Each source produces a frame; packets are lost (3%) or held back
		// behind 1-3 later packets of the same source (10%).
		var queue [][2]int
		for _, s := range srcs {
			if n := s.l.pliCount(); n > s.plisSeen {
				s.plisSeen = n
				if s.keyAt < 0 {
					s.keyAt = len(s.frames) + 1 + rng.IntN(3)
				}
			}
			f := s.nextFrame(t, rng)
			for range f.pkts {
				queue = append(queue, [2]int{s.i, 0})
			}
			for _, p := range f.pkts {
				s.held = append(s.held, heldPkt{p: p})
				switch r := rng.Float64(); {
				case r < 0.03:
					s.held[len(s.held)-1].left = -1 // lost
				case r < 0.13:
					s.held[len(s.held)-1].left = 1 + rng.IntN(3)
				}
			}
		}
		rng.Shuffle(len(queue), func(i, j int) { queue[i], queue[j] = queue[j], queue[i] })
		for _, q := range queue {
			s := srcs[q[0]]
			// Deliver the oldest packet that is not held back; held ones
			// count down as later packets pass them.
			for i := range s.held {
				h := &s.held[i]
				if h.left == 0 {
					p := h.p
					s.held = slices.Delete(s.held, i, i+1)
					for j := range s.held {
						if s.held[j].left > 0 {
							s.held[j].left--
						}
					}
					deliver(s, p)
					break
				}
			}
			s.held = slices.DeleteFunc(s.held, func(h heldPkt) bool { return h.left < 0 })
		}
		if tick%50 == 49 {
			for _, ps := range slots {
				ps.checkRetransmissions(t)
			}
		}
	}
	var total DownTrackStats
	for _, ps := range slots {
		ps.finish(t)
		st := ps.d.Stats()
		total.Switches += st.Switches
		total.LayerDrops += st.LayerDrops
		total.Packets += st.Packets
	}
	if total.Switches == 0 || total.LayerDrops == 0 || total.Packets == 0 {
		t.Errorf("the run did not exercise switches and layer drops: %+v", total)
	}
}

// propWriter hands every write to the slot's checker.
type propWriter struct{ ps *propSlot }

func (w propWriter) WriteRTP(h *rtp.Header, payload []byte) (int, error) {
	buf := make([]byte, rtp.PacketMarshalSize(h, payload))
	n, err := rtp.MarshalPacketTo(buf, h, payload)
	if err != nil {
		return 0, err
	}
	var p rtp.Packet
	if err := p.Unmarshal(buf[:n]); err != nil {
		return 0, err
	}
	w.ps.wrote(p)
	return n, nil
}

func (w propWriter) Write(b []byte) (int, error) { return len(b), nil }
