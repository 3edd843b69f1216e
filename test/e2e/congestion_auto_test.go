package e2e

import (
	"testing"

	"github.com/switchyard-sfu/switchyard/pkg/client"
)

// TestCongestionBottleneckAuto: an auto-subscribe receiver behind 1 Mbit/s
// gets its estimate allocated like a slots receiver: it settles on the
// middle layer of the publisher's video (with the audio) without sustained
// loss, a cut to 300 kbit/s moves it down to the lowest layer, and
// restoring the link brings it back up. Its congestion stats (allocated,
// sent) are filled.
func TestCongestionBottleneckAuto(t *testing.T) {
	n := startCCNode(t, 1_000_000, "cc-auto")
	pub := n.join("pub", client.Options{Audio: true, Video: true, Simulcast: ccSimulcast, VideoFPS: 30}, n.bn.pub)
	rx := n.join("rx", client.Options{}, n.bn.rx) // auto-subscribe
	audioSrc, videoSrc := pub.SourceIDs()
	n.waitSources("cc-auto", audioSrc, videoSrc)

	// The receiver's video track: the one carrying the video source's
	// markers.
	video := func() client.TrackStats {
		for _, tr := range rx.Tracks() {
			if tr.Kind == "video" && tr.SourceID == videoSrc {
				return tr
			}
		}
		return client.TrackStats{}
	}
	layer := func() int {
		// The node's choice (the layers it needs of the source: rx is its
		// only receiver), once packets of that layer arrive: a late packet
		// of the previous layer (from the bottleneck's queue, or a
		// retransmission) is not a switch.
		needed := lastLayersNeeded(rx, videoSrc)
		tr := video()
		if len(needed) != 1 || tr.Packets == 0 || tr.LastLayer != uint8(needed[0]) {
			return -1
		}
		return int(needed[0])
	}
	defer n.trace(rx, func() int { return int(video().LastLayer) })()

	// 1 Mbit/s: the middle layer (500 kbit/s) and the audio fit, the top
	// layer does not.
	n.waitLayer(rx, layer, "settled on the middle layer at 1 Mbit/s", 1)
	n.checkSettled(rx, layer, video)
	// Filled in for an auto connection (the value follows the estimate:
	// a dip on a loaded box allocates the lowest layer for a while).
	if c := n.congestion(rx); c == nil || c.GetAllocatedBps() == 0 || c.GetSentBps() == 0 {
		t.Errorf("auto connection's allocation not in its stats: %+v", c)
	}
	n.eventually("audio received", func() bool {
		for _, tr := range rx.Tracks() {
			if tr.Kind == "audio" && tr.SourceID == audioSrc && tr.Packets > 0 {
				return true
			}
		}
		return false
	}, rx)

	n.cutAndRestore(rx, layer)
}

// lastLayersNeeded returns the newest LayersNeeded of source src that c
// has seen (nil before any).
func lastLayersNeeded(c *client.Client, src uint32) []uint32 {
	evs := c.Events()
	for i := len(evs) - 1; i >= 0; i-- {
		if n := evs[i].GetLayersNeeded(); n != nil && n.GetSourceId() == src {
			return n.GetLayers()
		}
	}
	return nil
}
