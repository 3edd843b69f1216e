package forwarder

import (
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pion/rtcp"
	"github.com/pion/rtp"
	"github.com/pion/transport/v4/test"
	"github.com/pion/webrtc/v4"
)

// seqWriter checks that forwarded (not retransmitted) sequence numbers are
// never repeated while read goroutines of several sources race.
type seqWriter struct {
	mu   sync.Mutex
	seen map[uint16]bool
	dups int
	n    int
}

func (w *seqWriter) WriteRTP(h *rtp.Header, _ []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if h.SSRC == downSSRC { // not RTX
		w.n++
		if w.seen[h.SequenceNumber] {
			w.dups++
		}
		w.seen[h.SequenceNumber] = true
	}
	return 0, nil
}

func (w *seqWriter) Write(b []byte) (int, error) { return len(b), nil }

// TestSlotConcurrentSwitching runs three sources' read goroutines into two
// slots while the control plane switches, limits layers, pauses, rebinds and
// the RTCP goroutines NACK and PLI. Run with -race.
func TestSlotConcurrentSwitching(t *testing.T) {
	defer test.CheckRoutines(t)()
	clock := newFakeClock()
	layers := make([]*layer, 3)
	for i := range layers {
		layers[i] = newLayer(t, clock, uint32(0xA0+i), webrtc.RTPCodecTypeVideo, upVP8)
	}
	writers := []*seqWriter{{seen: map[uint16]bool{}}, {seen: map[uint16]bool{}}}
	slots := make([]*DownTrack, len(writers))
	for i, w := range writers {
		ctx := &fakeContext{codecs: downVideoCodecs, ssrc: downSSRC, rtx: downRTXSSRC, writer: w}
		slots[i] = newSlot(t, DownTrackOptions{OnSwitch: func(from, to *Receiver) { _, _ = from.DownTrackCount, to }}, ctx)
		slots[i].SwitchTo(layers[i].r)
	}
	var stop atomic.Bool
	var readers, controls, rtcps sync.WaitGroup
	for i, l := range layers {
		readers.Add(1)
		go func() { // one read goroutine per source
			defer readers.Done()
			src := newVP8Source(l, byte(i+1), uint16(i*20000), 0, i*1000)
			for n := 0; !stop.Load(); n++ {
				src.send(t, src.next(1+n%3, n%40 == 0))
			}
		}()
	}
	for i, d := range slots {
		controls.Add(1)
		rtcps.Add(1)
		go func() { // control plane
			defer controls.Done()
			rng := rand.New(rand.NewPCG(uint64(i), 1))
			ctx := &fakeContext{codecs: downVideoCodecs, ssrc: downSSRC, rtx: downRTXSSRC, writer: writers[i]}
			for range 3000 {
				switch rng.IntN(10) {
				case 0, 1, 2, 3:
					d.SwitchTo(layers[rng.IntN(len(layers))].r)
				case 4:
					d.SwitchTo(nil)
				case 5:
					d.SwitchTo(d.Source())
				case 6, 7:
					d.SetMaxTemporalLayer(rng.IntN(4) - 1)
				case 8:
					d.SetPaused(rng.IntN(2) == 0)
				case 9:
					if _, err := d.Bind(ctx); err != nil {
						t.Error(err)
					}
				}
				_ = d.PendingSource()
				clock.Advance(1000)
			}
			d.SetPaused(false)
			d.SwitchTo(layers[i].r)
			writers[i].mu.Lock()
			writers[i].n = 0 // count what is forwarded from here on
			writers[i].mu.Unlock()
		}()
		go func() { // RTCP
			defer rtcps.Done()
			for n := uint16(0); !stop.Load(); n++ {
				b := d.bound.Load()
				d.handleRTCP([]rtcp.Packet{
					&rtcp.TransportLayerNack{MediaSSRC: downSSRC, Nacks: []rtcp.NackPair{{PacketID: n, LostPackets: 0xFFFF}}},
					&rtcp.PictureLossIndication{MediaSSRC: b.ssrc},
				})
			}
		}()
	}
	controls.Wait()
	// The read goroutines go on until every slot forwards again.
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(time.Millisecond) {
		done := true
		for _, w := range writers {
			w.mu.Lock()
			done = done && w.n > 0
			w.mu.Unlock()
		}
		if done {
			break
		}
	}
	stop.Store(true)
	readers.Wait()
	rtcps.Wait()
	for i, w := range writers {
		w.mu.Lock()
		if w.n == 0 || w.dups != 0 {
			t.Errorf("slot %d: %d packets, %d repeated sequence numbers", i, w.n, w.dups)
		}
		w.mu.Unlock()
		slots[i].Close()
	}
}
