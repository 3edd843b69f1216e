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
//     once, stores it in the packet cache and calls every DownTrack's write
//     path. It owns the parsed packet, the munger state and the outgoing header
//     of every DownTrack it feeds.
//   - the RTCP goroutine of a DownTrack (running [DownTrack.RunRTCP]) answers
//     NACKs from the packet cache and turns PLI/FIR into throttled upstream
//     keyframe requests. It owns its own scratch buffers and header, so
//     retransmissions never share memory with forwarding.
//   - control-plane goroutines (the room's actor, pion's Bind/Unbind) add and
//     remove DownTracks, bind, pause and close them. They publish state through
//     atomics and copy-on-write slices; the read goroutine never takes a lock
//     the control plane holds. The only lock on the packet path is the packet
//     cache's slot mutex, shared with RTCP goroutines for the length of a copy.
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
// # Retransmissions
//
// DownTracks answer subscriber NACKs themselves, from the Receiver's cache, as
// RFC 4588 RTX when the subscriber negotiated it, else as plain
// retransmissions. Do not also register pion's NACK responder interceptor on
// subscriber PeerConnections, or lost packets are sent twice.
package forwarder
