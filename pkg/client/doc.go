// Package client is a pion-based meeting participant that joins a
// Switchyard node through its gRPC API, acting as its own meeting service.
//
// It publishes synthetic media with real RTP packetization (Opus-sized audio
// with the RFC 6464 audio level, VP8 video with correctly flagged keyframes
// and a new keyframe on every PLI), answers node-initiated ROAP offers from
// the room's event stream, and records what it receives. Every synthetic
// payload ends with a Marker (source id, sequence, send time) so that tests,
// the bench tool and examples can check what arrived from whom, in which
// order and how late.
package client
