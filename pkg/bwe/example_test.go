package bwe_test

import (
	"fmt"
	"time"

	"github.com/switchyard-sfu/switchyard/pkg/bwe"
)

// Example shows the wiring for one receiving connection: the forwarder
// reports sends, the RTCP reader feeds transport-cc feedback, probe results
// go to the probe controller, and the room's actor allocates the estimate
// and asks for a probe when an upgrade is blocked.
func Example() {
	est := bwe.NewEstimator(bwe.EstimatorOptions{})
	probes := bwe.NewProbeController(bwe.ProbeOptions{})
	now := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)

	// Allocation with the start estimate: the thumbnail's top layer does
	// not fit, so the allocator wants more.
	slots := []bwe.Slot{
		{ID: "audio", Kind: bwe.Audio, Layers: []int{40_000}},
		{ID: "main", Kind: bwe.Video, Priority: 2, Layers: []int{150_000, 500_000}, Current: -1},
	}
	allocs, wanted := bwe.Allocate(est.Estimate(), slots, bwe.DefaultHysteresis)
	fmt.Println(allocs, wanted)

	// The pacer asks for probes: the two start probes.
	for {
		p, ok := probes.Next(now, est.Estimate(), wanted)
		if !ok {
			break
		}
		fmt.Printf("probe %d at %d bit/s: %d packets, %d bytes, %v\n", p.Cluster, p.Bitrate, p.Packets, p.Bytes, p.Duration())
		// The pacer sends the cluster; every packet is reported.
		var fb []bwe.PacketResult
		gap := p.Duration() / time.Duration(p.Packets)
		for i := range p.Packets {
			seq := uint16(10*p.Cluster + i)
			at := now.Add(time.Duration(i) * gap)
			est.OnPacketSent(bwe.PacketSent{TransportSeq: seq, Size: p.Bytes / p.Packets, SentAt: at, Probe: true, ProbeCluster: p.Cluster})
			fb = append(fb, bwe.PacketResult{TransportSeq: seq, Received: true, ArrivedAt: at.Add(30 * time.Millisecond)})
		}
		now = now.Add(100 * time.Millisecond)
		est.OnPacketSent(bwe.PacketSent{TransportSeq: uint16(10*p.Cluster + 9), Size: 1000, SentAt: now})
		// Feedback comes back; probe results go to the controller.
		est.OnFeedback(fb, now.Add(60*time.Millisecond))
		for r, ok := est.PopProbeResult(); ok; r, ok = est.PopProbeResult() {
			fmt.Printf("cluster %d delivered %d bit/s, confirmed %v\n", r.Cluster, r.Bitrate, r.Confirmed)
			probes.OnProbeResult(r.Cluster, r.Bitrate, now)
		}
	}

	allocs, wanted = bwe.Allocate(est.Estimate(), slots, bwe.DefaultHysteresis)
	fmt.Println(est.Estimate(), allocs, wanted)
	// Output:
	// [{audio 0 40000} {main 0 150000}] 600000
	// probe 1 at 900000 bit/s: 5 packets, 6000 bytes, 53.333333ms
	// cluster 1 delivered 900000 bit/s, confirmed true
	// probe 2 at 1800000 bit/s: 5 packets, 6000 bytes, 26.666666ms
	// cluster 2 delivered 1800000 bit/s, confirmed true
	// 1800000 [{audio 0 40000} {main 1 500000}] 0
}
