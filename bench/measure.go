package main

import (
	"context"
	"fmt"
	"sync"
	"time"

	pb "github.com/switchyard-sfu/switchyard/api/proto/switchyard/v1"
	"github.com/switchyard-sfu/switchyard/pkg/client"
)

// Frozen video: a video track counts as frozen for the time that passes
// more than freezeAfter after its last new frame, checked every pollEvery.
const (
	freezeAfter = 500 * time.Millisecond
	pollEvery   = 200 * time.Millisecond
)

// trackKey names one downstream track of one receiver.
type trackKey struct {
	rx    int
	track string
}

// trackSnap is the part of a track's stats the bench takes deltas of.
type trackSnap struct {
	packets, missing uint64
	latency          client.LatencyHistogram
	video            bool
}

func snapTracks(rxs []*client.Client) map[trackKey]trackSnap {
	out := make(map[trackKey]trackSnap)
	for i, c := range rxs {
		for id, st := range c.Tracks() {
			out[trackKey{i, id}] = trackSnap{packets: st.Packets, missing: st.Missing, latency: st.Latency, video: st.Kind == "video"}
		}
	}
	return out
}

// receiverDelta is what the receivers got between two snapshots.
type receiverDelta struct {
	packets, missing uint64
	// latency over every track, and split by kind: audio packets travel
	// alone, video frames in bursts that the node fans out one after the
	// other.
	latency, audio, video client.LatencyHistogram
}

func diffTracks(before, after map[trackKey]trackSnap) receiverDelta {
	var d receiverDelta
	for k, a := range after {
		b := before[k] // zero for a track that appeared in the window
		d.packets += a.packets - b.packets
		if a.missing > b.missing {
			d.missing += a.missing - b.missing
		}
		l := a.latency.Sub(b.latency)
		d.latency.Add(l)
		if a.video {
			d.video.Add(l)
		} else {
			d.audio.Add(l)
		}
	}
	return d
}

// freezeMeter accumulates frozen time of every video track while it runs.
type freezeMeter struct {
	mu     sync.Mutex
	last   map[trackKey]uint64    // frames seen
	change map[trackKey]time.Time // when frames last changed
	frozen time.Duration
	tracks int
}

func frames(st client.TrackStats) uint64 {
	var n uint64
	for _, f := range st.FramesByTID {
		n += f
	}
	return n + st.Keyframes
}

// run polls rxs until ctx ends.
func (f *freezeMeter) run(ctx context.Context, rxs []*client.Client) {
	f.last, f.change = map[trackKey]uint64{}, map[trackKey]time.Time{}
	tick := time.NewTicker(pollEvery)
	defer tick.Stop()
	prev := time.Now()
	f.poll(rxs, prev, prev)
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-tick.C:
			f.poll(rxs, prev, now)
			prev = now
		}
	}
}

func (f *freezeMeter) poll(rxs []*client.Client, prev, now time.Time) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for i, c := range rxs {
		for id, st := range c.Tracks() {
			if st.Kind != "video" {
				continue
			}
			k := trackKey{i, id}
			n := frames(st)
			last, seen := f.last[k]
			if !seen || n != last {
				f.last[k], f.change[k] = n, now
				continue
			}
			f.frozen += frozenBetween(f.change[k], prev, now)
		}
	}
	f.tracks = len(f.last)
}

// frozenBetween is the part of (prev, now] that lies more than freezeAfter
// after the last new frame at lastFrame.
func frozenBetween(lastFrame, prev, now time.Time) time.Duration {
	from := lastFrame.Add(freezeAfter)
	if from.Before(prev) {
		from = prev
	}
	if now.After(from) {
		return now.Sub(from)
	}
	return 0
}

func (f *freezeMeter) result() (time.Duration, int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.frozen, f.tracks
}

// windowResult is one steady window's raw measurements.
type windowResult struct {
	dur         time.Duration
	nodeCPU     time.Duration
	genCPU      time.Duration
	boxCPU      time.Duration // every process on the machine
	node        *pb.NodeInfo  // rates averaged over the window
	rss         int64
	rx          receiverDelta
	frozen      time.Duration
	videoTracks int
}

// measureWindow measures the node and the receivers over d. GetNodeInfo
// reports rates since its previous call (at least 1 s before), so one call
// at the start and one at the end give the window's averages.
func measureWindow(ctx context.Context, n *nodeProc, rxs []*client.Client, d time.Duration) (windowResult, error) {
	var w windowResult
	if _, err := n.api.GetNodeInfo(ctx, &pb.GetNodeInfoRequest{}); err != nil {
		return w, fmt.Errorf("node info: %w", err)
	}
	p0, err := n.sample()
	if err != nil {
		return w, err
	}
	b0, err := boxBusy(n.hz)
	if err != nil {
		return w, err
	}
	g0 := selfCPU()
	t0 := time.Now()
	before := snapTracks(rxs)

	fctx, stop := context.WithCancel(ctx)
	var fm freezeMeter
	done := make(chan struct{})
	go func() {
		defer close(done)
		fm.run(fctx, rxs)
	}()
	select {
	case <-time.After(d):
	case <-ctx.Done():
	}
	stop()
	<-done

	after := snapTracks(rxs)
	w.dur = time.Since(t0)
	w.genCPU = selfCPU() - g0
	b1, err := boxBusy(n.hz)
	if err != nil {
		return w, err
	}
	w.boxCPU = b1 - b0
	p1, err := n.sample()
	if err != nil {
		return w, err
	}
	w.nodeCPU, w.rss = p1.CPU-p0.CPU, p1.RSS
	w.node, err = n.api.GetNodeInfo(ctx, &pb.GetNodeInfoRequest{})
	if err != nil {
		return w, fmt.Errorf("node info: %w", err)
	}
	w.rx = diffTracks(before, after)
	w.frozen, w.videoTracks = fm.result()
	return w, ctx.Err()
}
