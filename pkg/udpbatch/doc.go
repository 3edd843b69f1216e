// Package udpbatch coalesces the datagrams a fan-out writes on one UDP
// socket into batches sent with one sendmmsg(2) call each.
//
// A forwarder that copies one upstream packet to N subscribers otherwise
// makes N sendto calls on the node's shared media socket. Writer sits under
// pion's ICE UDP mux, where every connection's datagrams meet: between
// Begin and End (one fan-out), writes are copied into a batch and return at
// once; the batch is sent when it is full and whenever a fan-out ends.
// Outside a fan-out (ICE, DTLS, RTCP written by other goroutines while
// no fan-out runs) a write goes straight to the socket, so nothing waits
// for a timer: a datagram is held at most until the end of a fan-out that
// was running when it was written.
//
// On Linux a batch is one sendmmsg call on the socket's own descriptor, with
// the message headers preallocated (no allocation per datagram or per
// batch). Elsewhere a batch is sent one datagram at a time.
package udpbatch
