// Package cc wires [bwe] congestion control into one receiving
// PeerConnection of the node.
//
// A [Controller] belongs to one connection. It is a pion interceptor
// factory; installed innermost in the connection's interceptor chain (after
// pion's transport-wide sequence number stamper on the write path), it
//
//   - records every RTP packet the node sends to the connection (transport
//     sequence number, size, send time, probe cluster) in a lock-free ring
//     (see sentLog): the packet writers never take a lock;
//   - reads the receiver's RTCP: transport-cc feedback is joined with the
//     ring and handed to a [bwe.Estimator], REMB is the fallback;
//   - runs one prober goroutine that sends the probe clusters a
//     [bwe.ProbeController] asks for, through a [ProbeSender] the room
//     supplies (recent media re-sent on a video slot).
//
// The estimator and probe controller sit behind the Controller's mutex,
// taken by the RTCP readers of the connection (once per feedback message)
// and by the room's actor (once per allocation tick); the per-packet path
// only does atomic stores. The estimate is also published atomically so the
// allocator can read it without the lock.
package cc
