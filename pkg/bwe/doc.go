// Package bwe estimates the bandwidth towards one receiving connection and
// spends it on that connection's receive slots.
//
// [Estimator] is a send-side estimator in the manner of Google Congestion
// Control (draft-ietf-rmcat-gcc-02). The forwarder stamps a transport-wide
// sequence number on every packet it sends to the connection and reports it
// with [Estimator.OnPacketSent]; the receiver's transport-cc feedback comes
// back as [PacketResult]s through [Estimator.OnFeedback]. From these the
// estimator derives
//
//   - a delay-based rate: packets are grouped by send time (5 ms bursts), the
//     change of one-way delay between groups is smoothed by a trendline filter
//     over 20 groups, an adaptive threshold (12.5 ms at start, kept within
//     6–600 ms) turns the slope into overuse/normal/underuse, and an AIMD
//     controller raises the rate (≤ 8 %/s far from the last known capacity,
//     about a packet per response time near it) or cuts it to 0.85 × the
//     acknowledged rate (the larger of its 500 ms and its last 200 ms: a
//     sender stepping up from an application-limited rate sees overuse
//     before the long window holds the new rate);
//   - a loss-based bound: above 10 % loss the rate is scaled by (1 − loss/2),
//     below 2 % the bound relaxes by 5 %/s, in between it holds;
//   - probe results: packets sent in a probe cluster (see [ProbeController])
//     measure the rate the path delivered, and a probe that saw no overuse
//     lifts the estimate to it at once. A cluster carries at least 6000
//     bytes, and its receive rate is the lower of the whole cluster's and
//     its later half's: a bottleneck that lets a burst through at once (a
//     token bucket's depth) or a receiver that reads in bunches would
//     otherwise make a short cluster look faster than the path.
//
// Growth is limited to [DefaultAppLimitFactor] × the acknowledged rate, so a
// sender that is application-limited (sending less than the estimate) does not
// see the estimate climb without bound. A confirmed probe lifts that limit, and
// an estimate above it is held for [DefaultAppLimitedHold] (a mute or a short
// pause keeps it), then decays towards the limit with a
// [AppLimitedHalfLife] half-life: a rate nothing has verified for a while is
// not trusted forever. REMB ([Estimator.OnREMB]) is the fallback when
// transport-cc is not negotiated, and [Estimator.SetCaps] bounds the estimate
// by what the receiver asked for.
//
// [ProbeController] decides when to probe: twice at start (3× and 6× the start
// rate, as libwebrtc does), and whenever the allocator wants more than the
// estimate. [Allocate] turns a budget into per-slot layers: audio first, then
// video by priority, lowest layers first, upgrades while budget remains, with
// hysteresis so a budget hovering near a threshold does not flip layers.
//
// The package is pure: no sockets, no goroutines, no clock. Every method that
// depends on time takes it as an argument, memory is bounded (fixed rings,
// reused scratch space), and nothing here knows about rooms or packets on the
// wire. An Estimator or ProbeController belongs to one connection and is not
// safe for concurrent use; the owner (the connection's RTCP reader or the
// room's actor) serialises calls.
package bwe
