package forwarder

import "go.uber.org/zap"

// SwitchTo makes r the DownTrack's source, without renegotiation: a
// simulcast layer of the same publisher, another publisher (active speaker),
// or nil for none. Called by the control plane (the room's actor).
//
// The DownTrack adds itself to r's fan-out and keeps forwarding the current
// source until r delivers a keyframe (video with a keyframe detector; one is
// requested from r, and re-requested while waiting, throttled per Receiver),
// then switches on that keyframe packet: the outgoing sequence number
// continues at last+1, the timestamp advances by the wall time since the last
// forwarded packet (at least one tick), VP8 picture ids and TL0PICIDX
// continue, and the old source's packets stop there (the DownTrack leaves its
// fan-out). Other sources (audio) switch on their next packet. A switch
// completes only while bound and not paused.
//
// SwitchTo(nil) stops forwarding at once; SwitchTo with the current source
// cancels a pending switch; SwitchTo while a switch is pending replaces its
// target. A Receiver of another kind is ignored, and so is every call after
// Close.
//
// OnSwitch reports completed switches from the goroutine that completed
// them, so two switches completing back to back on different sources' read
// goroutines may be reported out of order; Source is always current.
func (d *DownTrack) SwitchTo(r *Receiver) {
	if r != nil && r.Kind() != d.kind {
		d.logger.Warn("switch to a receiver of another kind ignored",
			zap.String("id", d.id), zap.Stringer("kind", r.Kind()))
		return
	}
	d.mu.Lock()
	if d.closed.Load() {
		d.mu.Unlock()
		return
	}
	cur, pend := d.cur.Load(), d.pend.Load()
	var request *Receiver
	notify := false
	switch r {
	case nil:
		d.cur.Store(nil)
		d.pend.Store(nil)
		d.detach(cur)
		d.detach(pend)
		notify = cur != nil
	case cur:
		d.pend.Store(nil)
		d.detach(pend)
	case pend:
		request = r // re-ask; the Receiver throttles
	default:
		d.pend.Store(r)
		d.detach(pend)
		r.AddDownTrack(d)
		request = r
	}
	d.mu.Unlock()
	if request != nil && request.detectKeyframes && d.bound.Load() != nil && !d.paused.Load() {
		request.RequestKeyframe()
	}
	if notify && d.onSwitch != nil {
		d.onSwitch(cur, nil)
	}
}

// completeSwitch makes the pending source src current, on the packet that
// switches. d.mu held; returns the previous source.
func (d *DownTrack) completeSwitch(src *Receiver) *Receiver {
	old := d.cur.Load()
	d.cur.Store(src)
	d.pend.Store(nil)
	d.munger.setSource(src, src.clockRate())
	d.munger.reanchor(d.fw.binding.epoch)
	// The switch keyframe satisfies any keyframe wait.
	d.fw.keyframeSeen = d.keyframeWanted.Load()
	d.fw.n.switches++
	// Rebuilding old's fan-out takes its mutex briefly and allocates once;
	// old's read goroutine never waits on it.
	d.detach(old)
	return old
}

// detach leaves r's fan-out unless r is still the current or pending
// source. d.mu held (so that the membership follows the latest SwitchTo).
func (d *DownTrack) detach(r *Receiver) {
	if r != nil && r != d.cur.Load() && r != d.pend.Load() {
		r.RemoveDownTrack(d)
	}
}

// Source returns the Receiver being forwarded, nil when the slot has no
// source.
func (d *DownTrack) Source() *Receiver { return d.cur.Load() }

// PendingSource returns the Receiver a pending switch waits for (its
// keyframe), nil when no switch is pending.
func (d *DownTrack) PendingSource() *Receiver { return d.pend.Load() }

// keyframeSource is the source a subscriber's PLI is for: the pending one
// while a switch waits for its keyframe, else the current one.
func (d *DownTrack) keyframeSource() *Receiver {
	if r := d.pend.Load(); r != nil {
		return r
	}
	return d.cur.Load()
}

// Close stops forwarding and retransmitting and leaves the fan-out of the
// current and pending sources; it is idempotent. The caller removes d from
// the PeerConnection.
func (d *DownTrack) Close() {
	d.closed.Store(true)
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, r := range []*Receiver{d.cur.Load(), d.pend.Load()} {
		if r != nil {
			r.RemoveDownTrack(d)
		}
	}
}
