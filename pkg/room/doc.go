// Package room is the control plane of a media node: rooms, participants,
// devices (connections), publications, subscriptions and the ordered event
// log of each room.
//
// Each Room is an actor: one goroutine applies joins, leaves, ROAP messages
// and pion callbacks in order, so room state needs no locks. Public methods
// post a closure to the actor and wait for it. The per-packet path lives in
// package forwarder and never takes a lock owned by this package: the room
// only wires forwarder.Receivers to forwarder.DownTracks and publishes the
// changes.
package room
