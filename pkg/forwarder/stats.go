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
	Packets       uint64 // packets forwarded (retransmissions excluded)
	Bytes         uint64 // bytes the write stream reported for them
	Retransmits   uint64 // packets re-sent in answer to NACKs (RTX or plain)
	NACKs         uint64 // sequence numbers NACKed by the subscriber
	NACKMisses    uint64 // NACKed packets that could not be re-sent (not forwarded here, no longer cached)
	PLIs          uint64 // PLI and FIR messages received from the subscriber
	Dropped       uint64 // packets not forwarded: waiting for a keyframe, paused, duplicate, too late
	KeyframeWaits uint64 // times the track was told to wait for a keyframe (bind, resume)
	WriteErrors   uint64 // writes the write stream refused
}

// downTrackCounters: packets, bytes, dropped and keyframeWaits are mostly
// written by the read goroutine; the NACK counters by the RTCP goroutine.
// They sit on separate cache lines so the two goroutines do not contend.
type downTrackCounters struct {
	packets, bytes, dropped, keyframeWaits, writeErrors atomic.Uint64
	_                                                   [24]byte
	retransmits, nacks, nackMisses, plis                atomic.Uint64
}

func (c *downTrackCounters) snapshot() DownTrackStats {
	return DownTrackStats{
		Packets:       c.packets.Load(),
		Bytes:         c.bytes.Load(),
		Retransmits:   c.retransmits.Load(),
		NACKs:         c.nacks.Load(),
		NACKMisses:    c.nackMisses.Load(),
		PLIs:          c.plis.Load(),
		Dropped:       c.dropped.Load(),
		KeyframeWaits: c.keyframeWaits.Load(),
		WriteErrors:   c.writeErrors.Load(),
	}
}
