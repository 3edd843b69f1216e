// Package forwarder is Switchyard's per-packet hot path: it reads one upstream
// RTP stream, keeps a short history of it for retransmissions, detects
// keyframes, and fans each packet out to the DownTracks that forward it to
// subscribers.
//
// # Goroutines and ownership
//
// Three kinds of goroutines touch this package, and every field documents
// which one owns it:
//
//   - the read goroutine of a Receiver (one per upstream track, running
//     [Receiver.ReadLoop] or calling [Receiver.HandlePacket]) parses each packet
//     once (RTP header, VP8 payload descriptor), stores it in the packet cache,
//     updates the Receiver's keyframe size, bitrate window and audio-level
//     counters, and calls every DownTrack's write path. It owns the parsed
//     packet. A DownTrack's forwarding state (munger, VP8 numbering, outgoing
//     header) is guarded by the DownTrack's mutex, which in steady state only
//     its current source's read goroutine takes; while a switch is pending the
//     target's read goroutine takes it for the keyframe that completes it.
//   - the RTCP goroutine of a DownTrack (running [DownTrack.RunRTCP]) answers
//     NACKs from the packet cache and turns PLI/FIR into throttled upstream
//     keyframe requests. It owns its own scratch buffers and header, so
//     retransmissions never share memory with forwarding.
//   - control-plane goroutines (the room's actor, pion's Bind/Unbind) add and
//     remove DownTracks, bind, pause, switch and close them. They publish state
//     through atomics and copy-on-write slices; SwitchTo and Close take the
//     DownTrack's mutex for a few pointer updates and fan-out rebuilds. The
//     other locks on the packet path are the packet cache's slot mutex,
//     shared with RTCP goroutines for the length of a copy, and a Receiver's
//     fan-out mutex, taken once per completed switch to leave the old
//     source.
//
// # Forwarding
//
// A DownTrack rewrites SSRC and payload type to what its PeerConnection
// negotiated, and sequence numbers and timestamps so that the outgoing stream is
// contiguous from a random start (see munger.go). Header extensions are never
// forwarded as they are, because their IDs belong to the publisher's
// negotiation: all are stripped, and the audio level (RFC 6464) is re-added
// under the subscriber's ID when both sides negotiated it. pion's interceptors
// add transport-wide sequence numbers and produce sender reports from what is
// actually written.
//
// Video DownTracks whose codec has a keyframe detector (VP8, VP9, H264) drop
// packets until a keyframe arrives and ask the publisher for one when bound or
// resumed. Other codecs (AV1, audio) are forwarded without waiting.
//
// VP8 payload descriptors are rewritten so that picture ids (+1 per forwarded
// frame), TL0PICIDX and KEYIDX stay continuous; the payload is shared by all
// DownTracks of a Receiver, so a changed descriptor is written into the
// DownTrack's scratch copy. [DownTrack.SetMaxTemporalLayer] drops VP8 frames
// above a temporal layer without sequence or picture id gaps: the munger
// gives dropped packets no outgoing number.
//
// # Receive slots
//
// A DownTrack is a receive slot: one outgoing SSRC whose source changes
// without renegotiation ([DownTrack.SwitchTo]): a simulcast layer (one
// Receiver per layer), another publisher, or none. A video switch waits for
// the target's keyframe while the current source goes on, then continues the
// outgoing sequence numbers, timestamps and VP8 numbering; NACKs for packets
// sent before a switch are answered from the old source's cache. Each packet
// goes out with the negotiated payload type of its source's codec, so a slot
// can carry VP8 from one publisher and H264 from the next. Receivers report
// what the control plane needs to choose sources: [Receiver.Dimensions],
// [Receiver.Bitrate], [Receiver.LastPacket] and [Receiver.AudioLevel].
//
// # Retransmissions
//
// DownTracks answer subscriber NACKs themselves, from the Receiver's cache, as
// RFC 4588 RTX when the subscriber negotiated it, else as plain
// retransmissions. Do not also register pion's NACK responder interceptor on
// subscriber PeerConnections, or lost packets are sent twice. A
// [RetransmitLimiter] (DownTrackOptions.Retransmits, the node's per-connection
// congestion controller) may refuse a retransmission; it is then not sent and
// not remembered as sent, so the subscriber's next NACK may get it.
package forwarder
