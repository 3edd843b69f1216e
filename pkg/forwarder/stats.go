package forwarder

import "sync/atomic"

// ReceiverStats is a snapshot of a Receiver's counters.
type ReceiverStats struct {
	Packets          uint64 // valid RTP packets handled
	Bytes            uint64 // bytes of those packets, headers included
	Malformed        uint64 // datagrams dropped as unparseable or oversized RTP
	Mismatched       uint64 // packets dropped because their SSRC or payload type is not the receiver's
	Duplicates       uint64 // packets dropped because the same sequence number was already received
	Keyframes        uint64 // keyframes seen (counted once per frame)
	KeyframeRequests uint64 // keyframe requests sent upstream (after throttling)
}

// receiverCounters are written by the read goroutine (and by any goroutine for
// keyframeRequests) and read by Stats.
type receiverCounters struct {
	packets, bytes, malformed, mismatched, duplicates, keyframes, keyframeRequests atomic.Uint64
}

func (c *receiverCounters) snapshot() ReceiverStats {
	return ReceiverStats{
		Packets:          c.packets.Load(),
		Bytes:            c.bytes.Load(),
		Malformed:        c.malformed.Load(),
		Mismatched:       c.mismatched.Load(),
		Duplicates:       c.duplicates.Load(),
		Keyframes:        c.keyframes.Load(),
		KeyframeRequests: c.keyframeRequests.Load(),
	}
}

// DownTrackStats is a snapshot of a DownTrack's counters.
type DownTrackStats struct {
	Packets     uint64 // packets forwarded (retransmissions excluded)
	Bytes       uint64 // bytes the write stream reported for them
	Retransmits uint64 // packets re-sent in answer to NACKs (RTX or plain)
	// RetransmitsDenied counts retransmissions DownTrackOptions.Retransmits
	// refused (not sent, not in Retransmits).
	RetransmitsDenied uint64
	NACKs             uint64 // sequence numbers NACKed by the subscriber
	NACKMisses        uint64 // NACKed packets that could not be re-sent (not forwarded here, no longer cached)
	PLIs              uint64 // PLI and FIR messages received from the subscriber
	Dropped           uint64 // packets not forwarded: waiting for a keyframe, paused, duplicate, too late
	KeyframeWaits     uint64 // times the track was told to wait for a keyframe (bind, resume)
	WriteErrors       uint64 // writes the write stream refused
	Switches          uint64 // source switches completed (SwitchTo)
	LayerDrops        uint64 // VP8 packets dropped by the temporal-layer limit (also in Dropped)
	CodecDrops        uint64 // packets dropped because the source's codec is not negotiated or allowed (also in Dropped)
	Padding           uint64 // padding-only packets sent on numbers whose packet was dropped late
	Probes            uint64 // padding-only bandwidth probes inserted (see Prober)
}

// fwdCounters are the forwarding counters: plain fields guarded by the
// DownTrack's mutex, which the packet path holds anyway.
type fwdCounters struct {
	packets, bytes, dropped, writeErrors, switches, layerDrops, codecDrops, padding, probes uint64
}

// downTrackCounters are the counters written outside the DownTrack's mutex:
// keyframeWaits by the control plane and the read goroutine, the rest by the
// RTCP goroutine.
type downTrackCounters struct {
	keyframeWaits                                     atomic.Uint64
	retransmits, nacks, nackMisses, plis, writeErrors atomic.Uint64
	retransmitsDenied                                 atomic.Uint64
}

func (c *downTrackCounters) snapshot(n *fwdCounters) DownTrackStats {
	return DownTrackStats{
		Packets:           n.packets,
		Bytes:             n.bytes,
		Retransmits:       c.retransmits.Load(),
		RetransmitsDenied: c.retransmitsDenied.Load(),
		NACKs:             c.nacks.Load(),
		NACKMisses:        c.nackMisses.Load(),
		PLIs:              c.plis.Load(),
		Dropped:           n.dropped,
		KeyframeWaits:     c.keyframeWaits.Load(),
		WriteErrors:       n.writeErrors + c.writeErrors.Load(),
		Switches:          n.switches,
		LayerDrops:        n.layerDrops,
		CodecDrops:        n.codecDrops,
		Padding:           n.padding,
		Probes:            n.probes,
	}
}
