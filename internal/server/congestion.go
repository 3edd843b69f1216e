package server

import (
	pb "github.com/switchyard-sfu/switchyard/api/proto/switchyard/v1"
	"github.com/switchyard-sfu/switchyard/pkg/room"
)

// congestionToPB converts a connection's congestion control state; nil
// stays nil (congestion control disabled).
func congestionToPB(c *room.CongestionStats) *pb.CongestionStats {
	if c == nil {
		return nil
	}
	bps := func(v int) uint64 { return uint64(max(v, 0)) }
	return &pb.CongestionStats{
		EstimateBps:       bps(c.Estimate),
		DelayBasedBps:     bps(c.DelayBased),
		LossBoundBps:      bps(c.LossBound),
		RembBps:           bps(c.REMB),
		AckedBps:          bps(c.Acked),
		SentBps:           bps(c.Sent),
		AllocatedBps:      bps(c.Allocated),
		WantedBps:         bps(c.Wanted),
		RttMs:             uint32(max(c.RTT.Milliseconds(), 0)),
		Loss:              float32(c.Loss),
		Usage:             c.Usage,
		PausedSlots:       uint32(max(c.PausedSlots, 0)),
		FeedbackMessages:  c.Feedback,
		Probes:            c.Probes,
		ProbesConfirmed:   c.ProbesConfirmed,
		ProbesFailed:      c.ProbesFailed,
		RetransmitsDenied: c.RetransmitsDenied,
		LastProbeBps:      bps(c.LastProbe),
	}
}
