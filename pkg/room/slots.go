package room

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/pion/sdp/v3"
	"github.com/pion/webrtc/v4"
	"go.uber.org/zap"

	"github.com/switchyard-sfu/switchyard/pkg/forwarder"
	"github.com/switchyard-sfu/switchyard/pkg/simulcast"
)

// slot is one receive slot of a slots-mode connection: a recvonly (or
// sendrecv) m-line of the client's offer with one stable outgoing SSRC.
// What flows into it changes by DownTrack.SwitchTo, never by
// renegotiation. Owned by the room actor.
type slot struct {
	mid      string
	kind     TrackKind
	down     *forwarder.DownTrack
	sender   *webrtc.RTPSender
	selector *simulcast.Selector
	target   *forwarder.Receiver
	status   SlotStatus
	prober   *forwarder.Prober // video slots: sends the connection's bandwidth probes
	// allocated is the simulcast layer the allocator gave the slot last
	// time, -1 for none (its hysteresis state).
	allocated int
}

// noActiveLayer tells "no layer is active" apart from "none fits the
// budget": Select with an unlimited budget fails only in the first case.
func noActiveLayer(layers []simulcast.Layer, lim simulcast.Limits) error {
	_, _, err := simulcast.Select(layers, lim, 0)
	return err
}

// Publishers' nominal frame rate and VP8 temporal structure (L1T3, as Chrome
// and Webex send simulcast), for mapping a slot's maxFps to a temporal
// layer: TID0 7.5 fps, TID1 15, TID2 30.
const (
	publisherFps      = 30
	vp8TemporalLayers = 3
)

// attachSlots gives every receiving m-line of the client's offer that has
// no slot yet a DownTrack, before the answer is created so the answer
// carries the slot's SSRC. Called after SetRemoteDescription(offer).
func (c *Connection) attachSlots() error {
	for _, tr := range c.pc.GetTransceivers() {
		mid := tr.Mid()
		if mid == "" || tr.Sender() != nil || c.slotByMid(mid) != nil || !remoteReceives(c.pc, mid) {
			continue
		}
		kind := KindAudio
		if tr.Kind() == webrtc.RTPCodecTypeVideo {
			kind = KindVideo
		}
		down, err := forwarder.NewDownTrack(forwarder.DownTrackOptions{
			ID:          "slot-" + mid,
			StreamID:    c.id,
			Kind:        tr.Kind(),
			Logger:      c.log.With(zap.String("slot", mid)),
			Retransmits: c.retransmits(),
		})
		if err != nil {
			return err
		}
		sender, err := c.pc.AddTrack(down)
		if err != nil {
			return fmt.Errorf("attach slot %s: %w", mid, err)
		}
		got := ""
		for _, t := range c.pc.GetTransceivers() {
			if t.Sender() == sender {
				got = t.Mid()
			}
		}
		if got != mid {
			return fmt.Errorf("attach slot %s: pion bound it to m-line %q", mid, got)
		}
		s := &slot{
			mid: mid, kind: kind, down: down, sender: sender,
			selector: simulcast.NewSelector(simulcast.SelectorOptions{}),
			status:   SlotStatus{Mid: mid, State: SlotNoSource}, allocated: -1,
		}
		if kind == KindVideo {
			s.prober = forwarder.NewProber(down)
		}
		c.slots = append(c.slots, s)
		c.room.m.traffic.addDownTrack(down)
		c.wg.Add(1)
		go func() {
			defer c.wg.Done()
			_ = down.RunRTCP(sender)
		}()
	}
	return nil
}

// remoteReceives reports whether the client's current remote description
// has mid as recvonly or sendrecv, that is, a receive slot.
func remoteReceives(pc *webrtc.PeerConnection, mid string) bool {
	for _, tr := range pc.GetTransceivers() {
		if tr.Mid() != mid {
			continue
		}
		rd := pc.RemoteDescription()
		if rd == nil || rd.SDP == "" {
			return false
		}
		dir := mediaDirection(rd.SDP, mid)
		return dir == "recvonly" || dir == "sendrecv"
	}
	return false
}

// mediaDirection returns the direction attribute of m-line mid in raw SDP
// ("sendrecv" when none is given).
func mediaDirection(raw, mid string) string {
	var sd sdp.SessionDescription
	if sd.UnmarshalString(raw) != nil {
		return ""
	}
	for _, m := range sd.MediaDescriptions {
		if v, _ := m.Attribute(sdp.AttrKeyMID); v != mid {
			continue
		}
		for _, d := range []string{"sendrecv", "sendonly", "recvonly", "inactive"} {
			if _, ok := m.Attribute(d); ok {
				return d
			}
		}
		return "sendrecv"
	}
	return ""
}

func (c *Connection) slotByMid(mid string) *slot {
	for _, s := range c.slots {
		if s.mid == mid {
			return s
		}
	}
	return nil
}

func (c *Connection) slotInfos() []slotInfo {
	out := make([]slotInfo, len(c.slots))
	for i, s := range c.slots {
		out[i] = slotInfo{mid: s.mid, kind: s.kind}
	}
	return out
}

// RequestMediaResult is the acknowledgement of a media request.
type RequestMediaResult struct {
	Seq     uint64
	Applied bool
	Slots   []SlotStatus
}

// RequestMedia sets what a slots-mode connection receives.
func (m *Manager) RequestMedia(ctx context.Context, connID string, q MediaRequest) (RequestMediaResult, error) {
	var res RequestMediaResult
	err := m.onConnection(ctx, connID, func(r *Room, c *Connection) error {
		if c.mode != SubscribeSlots {
			return fmt.Errorf("%w: connection %q joined in auto-subscribe mode; join with SUBSCRIBE_MODE_SLOTS to use media requests", ErrInvalidArgument, connID)
		}
		if c.request != nil && q.Seq <= c.request.Seq {
			// Lower: ignored; equal: re-acknowledged. Either way the request
			// in force stays.
			res = RequestMediaResult{Seq: c.request.Seq, Applied: false, Slots: c.statuses()}
			return nil
		}
		if err := q.validate(c.slotInfos(), func(id uint32) bool { _, ok := r.sources[id]; return ok }); err != nil {
			return err
		}
		c.request = &q
		r.replan()
		res = RequestMediaResult{Seq: q.Seq, Applied: true, Slots: c.statuses()}
		return nil
	})
	return res, err
}

func (c *Connection) statuses() []SlotStatus {
	out := make([]SlotStatus, len(c.slots))
	for i, s := range c.slots {
		out[i] = s.status
	}
	return out
}

// replan recomputes what flows where after any change: every slots-mode
// connection's slots (sources, layers, statuses), every auto-mode
// subscription's layer and pause state, and the layers each source needs.
func (r *Room) replan() {
	if r.closed {
		return
	}
	now := r.m.o.Now()
	needed := make(map[uint32][]int)
	var plannedSources map[uint32]*planSource
	for _, c := range r.conns {
		if c.closed {
			continue
		}
		if c.mode == SubscribeAuto {
			r.replanAuto(c, now, needed)
			continue
		}
		if len(c.slots) == 0 {
			continue
		}
		if plannedSources == nil {
			plannedSources = r.planSources(now)
		}
		ps, alloc := plan(planInput{
			participant: c.participantID,
			slots:       c.slotInfos(),
			request:     c.request,
			sources:     plannedSources,
			speakers:    r.speakerOrder,
			floorHolder: r.floorHolder,
			estimate:    c.estimate(),
			current:     c.currentLayers(),
		})
		c.afterAllocation(alloc, r.applyPlan(c, ps, now, needed))
	}
	r.addStillForwarded(needed)
	r.announceLayers(needed)
}

func appendLayer(ls []int, src *source, target *forwarder.Receiver) []int {
	for _, l := range src.layers {
		if l.receiver == target && !slices.Contains(ls, l.index) {
			return append(ls, l.index)
		}
	}
	return ls
}

func (r *Room) planSources(now time.Time) map[uint32]*planSource {
	out := make(map[uint32]*planSource, len(r.sources))
	for id, s := range r.sources {
		out[id] = &planSource{
			id: id, participant: s.conn.participantID, kind: s.info.Kind, content: s.info.Content,
			// The planner applies the floor itself, so that a non-holder's
			// share is "no source", not "avatar".
			forwardable: !r.stopped(s),
			layers:      s.simLayers(now),
		}
	}
	return out
}

// applyPlan switches c's slots to the planned sources and layers and
// announces status changes. It returns the video slots that forward
// something, which may carry the connection's probes.
func (r *Room) applyPlan(c *Connection, ps []planned, now time.Time, needed map[uint32][]int) []probeCandidate {
	changed := false
	var cands []probeCandidate
	for _, p := range ps {
		s := c.slotByMid(p.mid)
		if s == nil {
			continue
		}
		st := SlotStatus{Mid: p.mid, State: p.state}
		if p.state != SlotNoSource {
			st.SourceID = p.source
		}
		var target *forwarder.Receiver
		if p.state == SlotLive {
			src := r.sources[p.source]
			if s.kind == KindAudio {
				target = src.layers[0].receiver
			} else {
				budget := 0
				if p.budget > 0 {
					budget = p.budget + p.budget/5 // the selector wants headroom to go up
				}
				layers := src.simLayers(now)
				idx, ok := s.selector.Update(layers, p.limits, budget, now)
				switch {
				case !ok && errors.Is(noActiveLayer(layers, p.limits), simulcast.ErrNoActiveLayer):
					// The publisher sends no video at the moment (paused
					// layers): the participant is there, show the avatar.
					st.State = SlotAvatar
				case !ok:
					st.State = SlotBandwidthDisabled
				default:
					target = src.layerReceiver(idx)
					st.Layer = idx
					needed[p.source] = appendLayer(needed[p.source], src, target)
					s.down.SetMaxTemporalLayer(simulcast.MaxTemporalLayer(p.limits.MaxFps, publisherFps, vp8TemporalLayers))
				}
			}
		}
		if target != s.target {
			s.target = target
			s.down.SwitchTo(target)
		}
		s.down.SetPaused(c.held || !pick(s.kind, p.content, c.media.receiveAudio, c.media.receiveVideo, c.media.receiveShare))
		s.allocated = p.alloc
		if s.prober != nil && s.target != nil {
			cands = append(cands, probeCandidate{prober: s.prober, priority: p.priority, name: s.mid})
		}
		if st != s.status {
			s.status = st
			changed = true
		}
	}
	if changed {
		var seq uint64
		if c.request != nil {
			seq = c.request.Seq
		}
		r.emit(SlotStatusChanged{ConnectionID: c.id, RequestSeq: seq, Slots: c.statuses()})
	}
	return cands
}

// announceLayers emits LayersNeeded for every video source whose set of
// needed layers changed, so the meeting service can pause the others.
func (r *Room) announceLayers(needed map[uint32][]int) {
	for id, src := range r.sources {
		if src.info.Kind != KindVideo || len(src.rids) == 0 {
			continue
		}
		ls := needed[id]
		slices.Sort(ls)
		if slices.Equal(ls, src.needed) && src.announced {
			continue
		}
		src.needed, src.announced = ls, true
		r.emit(LayersNeeded{ConnectionID: src.conn.id, SourceID: id, Layers: ls})
	}
}
