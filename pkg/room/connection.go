package room

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/sdp/v3"
	"github.com/pion/webrtc/v4"
	"go.uber.org/zap"

	"github.com/switchyard-sfu/switchyard/pkg/cc"
	"github.com/switchyard-sfu/switchyard/pkg/forwarder"
	"github.com/switchyard-sfu/switchyard/pkg/roap"
	"github.com/switchyard-sfu/switchyard/pkg/ssrcsim"
)

// Connection is one device of a participant: one PeerConnection and one
// ROAP session. All fields are owned by the room actor unless noted.
type Connection struct {
	id            string
	participantID string
	deviceID      string
	room          *Room
	log           *zap.Logger
	pc            *webrtc.PeerConnection
	stamper       *ssrcsim.Stamper // maps SSRC-signalled simulcast to RIDs for pion
	session       *roap.Session
	state         ConnectionState
	closed        bool

	mode      SubscribeMode
	published map[string]*source       // track id -> source
	subs      map[string]*subscription // auto mode: track id -> subscription
	slots     []*slot                  // slots mode, in m-line order
	request   *MediaRequest            // slots mode: the media request in force
	held      bool
	media     mediaSwitches
	// mainBase and slidesBase are the CSI bases of this device's sources.
	mainBase, slidesBase uint32

	// needsOffer is set when the node has changes the client has not been
	// offered yet; negotiate sends them once the ROAP session is idle.
	needsOffer bool
	failTimer  *time.Timer
	ufrag      string // local ICE ufrag, admitted on the media port
	// pendingOffer is the node OFFER sent and not yet answered; it is
	// applied to pion together with the answer (see negotiate).
	pendingOffer *webrtc.SessionDescription
	retry        *time.Timer

	// cc is the connection's congestion controller (nil when disabled);
	// probeVia is the video slot or auto-mode subscription its probes are
	// sent on, published by the actor for the prober goroutine.
	cc       *cc.Controller
	probeVia atomic.Pointer[forwarder.Prober]
	// ccPaused counts video slots (auto mode: subscriptions) bandwidth
	// disabled at the last allocation (read by metrics); probeSince is when
	// probeVia was chosen.
	ccPaused   atomic.Int32
	probeSince time.Time

	// wg counts goroutines this connection started (read loops, RTCP
	// readers); closeConnection waits for them after closing the pc.
	wg sync.WaitGroup
}

func (c *Connection) info() DeviceInfo {
	d := DeviceInfo{DeviceID: c.deviceID, ConnectionID: c.id, State: c.state, SubscribedTracks: len(c.subs),
		Held: c.held, Slots: c.statuses(), Congestion: c.congestionStats()}
	now := c.room.m.o.Now()
	for _, p := range c.published {
		info := p.describe(now)
		info.Muted = !c.room.forwardable(p)
		d.Published = append(d.Published, info)
	}
	return d
}

func randomTieBreaker() uint32 {
	var b [4]byte
	_, _ = rand.Read(b[:])
	return roap.NodeTieBreaker(binary.BigEndian.Uint32(b[:]))
}

// validateSDP rejects SDP that pion would choke on or that is not an offer
// we can answer, with a cause a person can act on.
func validateSDP(raw string) error {
	var s sdp.SessionDescription
	if err := s.UnmarshalString(raw); err != nil {
		return fmt.Errorf("%w: malformed SDP: %v", ErrNegotiation, err)
	}
	if len(s.MediaDescriptions) == 0 {
		return fmt.Errorf("%w: SDP has no media sections", ErrNegotiation)
	}
	return nil
}

func (r *Room) join(ctx context.Context, p JoinParams) (JoinResult, error) {
	var res JoinResult
	err := r.do(ctx, func() error {
		part, known := r.participants[p.ParticipantID]
		if !known && len(r.participants) >= r.opts.MaxParticipants {
			return fmt.Errorf("room %q has %d participants: %w", r.id, len(r.participants), ErrRoomFull)
		}
		if err := validateSDP(p.Offer.SDP); err != nil {
			return err
		}
		if err := r.m.o.Limits.checkOfferLimits(p.Offer.SDP, p.Mode); err != nil {
			return err
		}
		if known {
			devices := len(part.devices)
			if _, rejoin := part.devices[p.DeviceID]; rejoin {
				devices--
			}
			if devices >= r.m.o.Limits.DevicesPerParticipant {
				return fmt.Errorf("%w: participant %q already has %d devices (limits.devices_per_participant)", ErrLimit, p.ParticipantID, devices)
			}
		}
		stamper := ssrcsim.NewStamper()
		ctl, factories := r.newController()
		pc, err := r.m.o.Media.NewPeerConnection(stamper, factories...)
		if err != nil {
			if ctl != nil {
				ctl.Close()
			}
			return fmt.Errorf("create peer connection: %w", err)
		}
		c := &Connection{
			id:            newID("c-"),
			participantID: p.ParticipantID,
			deviceID:      p.DeviceID,
			room:          r,
			pc:            pc,
			stamper:       stamper,
			session:       roap.NewSession(roap.SessionOptions{TieBreaker: randomTieBreaker()}),
			state:         StateNew,
			mode:          p.Mode,
			cc:            ctl,
			media:         allMedia(),
			published:     make(map[string]*source),
			subs:          make(map[string]*subscription),
		}
		c.log = r.log.With(zap.String("conn", c.id), zap.String("participant", c.participantID), zap.String("device", c.deviceID))
		c.startCongestion()

		d := c.session.Receive(p.Offer)
		if d.Action != roap.ActionApplyOffer {
			c.abandon()
			return fmt.Errorf("%w: first offer not accepted by ROAP (%v)", ErrInvalidArgument, d.Err)
		}
		answer, err := c.applyRemoteOffer(ctx, d.SDP)
		if err != nil {
			c.abandon()
			return err
		}
		// A rejoining device replaces its previous connection.
		if known {
			if old, ok := part.devices[p.DeviceID]; ok {
				r.closeConnection(old, "replaced by a new connection of the same device")
				part, known = r.participants[p.ParticipantID]
			}
		}
		res.EventSeq = r.events.LastSeq()
		res.ConnectionID = c.id
		res.Answer = c.session.Answered(d.Seq, answer)

		if !known {
			part = &participant{id: p.ParticipantID, displayName: p.DisplayName, devices: make(map[string]*Connection)}
			r.participants[p.ParticipantID] = part
			r.emit(ParticipantJoined{ParticipantID: part.id, DisplayName: part.displayName})
		}
		part.devices[p.DeviceID] = c
		r.conns[c.id] = c
		r.m.indexConnection(c.id, r)
		c.watch()
		r.emit(DeviceJoined{ParticipantID: c.participantID, DeviceID: c.deviceID, ConnectionID: c.id})
		c.log.Info("joined")

		// Auto-subscribe: everything already published by others reaches the
		// new connection through a node-initiated offer. Slots are filled by
		// media requests instead.
		if c.mode == SubscribeAuto {
			for _, other := range r.conns {
				if other.participantID == c.participantID {
					continue
				}
				for _, pub := range other.published {
					r.subscribe(c, pub)
				}
			}
			c.negotiate()
		}
		r.replan()
		return nil
	})
	return res, err
}

// abandon releases a connection whose join failed before it was announced:
// its slots, its admitted ufrag, the pc and the goroutines it started.
func (c *Connection) abandon() {
	c.closed = true
	for _, s := range c.slots {
		s.down.Close()
		c.room.m.traffic.removeDownTrack(s.down)
	}
	c.room.m.o.Media.Release(c.ufrag)
	_ = c.pc.Close()
	c.stopCongestion()
	waitTimeout(&c.wg, 5*time.Second)
}

// watch registers the pion callbacks; each posts to the room actor.
func (c *Connection) watch() {
	r := c.room
	c.pc.OnConnectionStateChange(func(s webrtc.PeerConnectionState) {
		r.post(func() { c.setState(mapState(s)) })
	})
	c.pc.OnTrack(func(t *webrtc.TrackRemote, recv *webrtc.RTPReceiver) {
		r.post(func() { r.onTrack(c, t, recv) })
	})
}

func mapState(s webrtc.PeerConnectionState) ConnectionState {
	switch s {
	case webrtc.PeerConnectionStateConnecting:
		return StateChecking
	case webrtc.PeerConnectionStateConnected:
		return StateConnected
	case webrtc.PeerConnectionStateDisconnected:
		return StateDisconnected
	case webrtc.PeerConnectionStateFailed:
		return StateFailed
	case webrtc.PeerConnectionStateClosed:
		return StateClosed
	default:
		return StateNew
	}
}

func (c *Connection) setState(s ConnectionState) {
	if c.closed || c.state == s {
		return
	}
	c.state = s
	c.log.Debug("connection state", zap.String("state", string(s)))
	c.room.emit(ConnectionStateChanged{ParticipantID: c.participantID, DeviceID: c.deviceID, ConnectionID: c.id, State: s})
	switch s {
	case StateFailed:
		// A vanished client: keep the connection a while for an ICE
		// restart, then clean up so its slots elsewhere show no source.
		if c.failTimer == nil {
			r := c.room
			c.failTimer = time.AfterFunc(r.m.o.Limits.FailedTimeout, func() {
				r.post(func() {
					if !c.closed && c.state == StateFailed {
						r.closeConnection(c, "connection failed")
					}
				})
			})
		}
	case StateConnected:
		if c.failTimer != nil {
			c.failTimer.Stop()
			c.failTimer = nil
		}
	case StateClosed:
		// pion closed it (the client said goodbye at the DTLS layer).
		c.room.closeConnection(c, "connection closed by the client")
	}
}

// applyRemoteOffer applies a client offer and returns the complete answer
// SDP (with candidates).
func (c *Connection) applyRemoteOffer(ctx context.Context, offer string) (string, error) {
	if err := validateSDP(offer); err != nil {
		return "", err
	}
	sim, err := c.mapSSRCSimulcast(offer)
	if err != nil {
		return "", err
	}
	if err := c.pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeOffer, SDP: sim.SDP}); err != nil {
		return "", fmt.Errorf("%w: apply offer: %v", ErrNegotiation, err)
	}
	if c.mode == SubscribeSlots {
		if err := c.attachSlots(); err != nil {
			c.log.Error("attach receive slots", zap.Error(err))
			return "", fmt.Errorf("%w: %v", ErrNegotiation, err)
		}
	}
	answer, err := c.pc.CreateAnswer(nil)
	if err != nil {
		// pion cannot roll a remote offer back; the connection stays in
		// have-remote-offer and every later offer fails until it is closed.
		c.log.Error("create answer after applying an offer", zap.Error(err))
		return "", fmt.Errorf("%w: create answer: %v", ErrNegotiation, err)
	}
	local, err := c.setLocal(ctx, answer)
	if err != nil {
		return "", err
	}
	c.admit(local)
	// The client gets an answer to the offer it made, without the RID
	// form the node used internally.
	return sim.RestoreAnswer(local)
}

// admit registers the connection's local ICE ufrag (new after an ICE
// restart) with the media port's admission count.
func (c *Connection) admit(localSDP string) {
	ufrag := ""
	for _, line := range strings.Split(localSDP, "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), "a=ice-ufrag:"); ok {
			ufrag = v
			break
		}
	}
	if ufrag == c.ufrag {
		return
	}
	media := c.room.m.o.Media
	media.Release(c.ufrag)
	media.Admit(ufrag)
	c.ufrag = ufrag
}

// mapSSRCSimulcast rewrites SSRC-signalled simulcast (a=ssrc-group:SIM, as
// Webex clients send it) into the RID form pion demultiplexes, and tells the
// stamper which SSRC is which layer. SDP without SIM groups is unchanged.
func (c *Connection) mapSSRCSimulcast(remote string) (ssrcsim.Result, error) {
	sim, err := ssrcsim.Rewrite(remote)
	if err != nil {
		return sim, fmt.Errorf("%w: %v", ErrNegotiation, err)
	}
	if len(sim.Layers) > 0 {
		if err := c.stamper.Set(sim.Layers, sim.Ext); err != nil {
			return sim, fmt.Errorf("%w: simulcast SSRCs: %v", ErrNegotiation, err)
		}
	}
	return sim, nil
}

// setLocal sets a local description and waits (bounded) for ICE gathering so
// the SDP carries its candidates; ROAP has no trickle.
func (c *Connection) setLocal(ctx context.Context, d webrtc.SessionDescription) (string, error) {
	gathered := webrtc.GatheringCompletePromise(c.pc)
	if err := c.pc.SetLocalDescription(d); err != nil {
		return "", fmt.Errorf("%w: set local %s: %v", ErrNegotiation, d.Type, err)
	}
	timer := time.NewTimer(c.room.m.o.SignalTimeout)
	defer timer.Stop()
	select {
	case <-gathered:
	case <-timer.C:
		return "", fmt.Errorf("%w: ICE gathering did not complete within %s", ErrNegotiation, c.room.m.o.SignalTimeout)
	case <-ctx.Done():
		return "", ctx.Err()
	}
	return c.pc.LocalDescription().SDP, nil
}

// negotiate sends a node-initiated OFFER when there are unoffered changes
// and the ROAP session is idle; otherwise it runs again when it becomes idle.
//
// The offer is only created, not applied: pion cannot roll back a local
// offer (no have-local-offer → stable transition), and ROAP glare requires
// the node to drop its offer and answer the client's. So the PeerConnection
// stays stable until the ANSWER arrives, and applyAnswer sets the stored
// offer and the answer together. Candidates gathered at join time are in the
// offer already.
func (c *Connection) negotiate() {
	if c.closed || !c.needsOffer || c.session.State() != roap.Idle ||
		c.pc.SignalingState() != webrtc.SignalingStateStable {
		return
	}
	if c.pc.ICEGatheringState() != webrtc.ICEGatheringStateComplete {
		c.log.Warn("not offering before ICE gathering completed")
		return
	}
	offer, err := c.pc.CreateOffer(nil)
	if err != nil {
		c.log.Warn("create offer", zap.Error(err))
		return
	}
	// A client's OFFER_REQUEST is answered with an OFFER_RESPONSE at its
	// seq; otherwise (or once something superseded the request) the node
	// starts an offer of its own.
	msg, err := c.session.StartOfferResponse(offer.SDP)
	if errors.Is(err, roap.ErrNoOfferRequest) {
		msg, err = c.session.StartOffer(offer.SDP)
	}
	if err != nil {
		c.log.Warn("start ROAP offer", zap.Error(err))
		return
	}
	c.pendingOffer = &offer
	c.needsOffer = false
	c.room.emit(RoapOutbound{ConnectionID: c.id, Message: msg})
}

// handleRoap applies one client ROAP message. A negotiation failure returns
// both the ROAP ERROR to relay and an ErrNegotiation error.
func (c *Connection) handleRoap(ctx context.Context, msg roap.Message) (*roap.Message, error) {
	// Malformed SDP is refused before the session sees the message, so it
	// consumes no sequence number and changes no state.
	switch msg.Type {
	case roap.Offer, roap.Answer, roap.OfferResponse:
		err := validateSDP(msg.SDP)
		if err == nil && msg.Type != roap.Answer {
			err = c.room.m.o.Limits.checkOfferLimits(msg.SDP, c.mode)
		}
		if err != nil {
			e := roap.Message{Type: roap.Error, Seq: msg.Seq, ErrorType: roap.ErrorFailed, ErrorCause: err.Error()}
			return &e, err
		}
	}
	d := c.session.Receive(msg)
	switch d.Action {
	case roap.ActionNone:
		return nil, nil
	case roap.ActionReply:
		return d.Reply, nil
	case roap.ActionRollbackApplyOffer, roap.ActionApplyOffer:
		if d.Action == roap.ActionRollbackApplyOffer {
			c.pendingOffer = nil // never applied to pion: nothing to roll back
		}
		if d.Reoffer {
			c.needsOffer = true
		}
		answer, err := c.applyRemoteOffer(ctx, d.SDP)
		if err != nil {
			e := c.session.OfferFailed(d.Seq, err.Error())
			c.afterTransaction()
			return &e, err
		}
		a := c.session.Answered(d.Seq, answer)
		c.afterTransaction()
		return &a, nil
	case roap.ActionApplyAnswer:
		err := c.applyAnswer(d.SDP)
		if err != nil {
			c.needsOffer = true // offered again with the next change
			e := c.session.AnswerFailed(d.Seq, err.Error())
			return &e, err
		}
		c.session.AnswerApplied(d.Seq)
		c.afterTransaction()
		return nil, nil
	case roap.ActionOfferRejected:
		c.pendingOffer = nil
		c.needsOffer = true
		if d.Retry {
			c.scheduleRetry(time.Duration(d.RetryAfter) * time.Second)
		} else {
			c.log.Warn("client refused node offer", zap.Error(d.Err))
		}
		return nil, nil
	case roap.ActionMakeOffer:
		c.needsOffer = true
		c.negotiate()
		return nil, nil
	}
	return nil, fmt.Errorf("%w: unhandled ROAP action %d", ErrInvalidArgument, d.Action)
}

// applyAnswer applies the stored node offer and the client's answer to it.
func (c *Connection) applyAnswer(answer string) error {
	offer := c.pendingOffer
	c.pendingOffer = nil
	if offer == nil {
		return fmt.Errorf("%w: no node offer is pending", ErrNegotiation)
	}
	if err := validateSDP(answer); err != nil {
		return err
	}
	sim, err := c.mapSSRCSimulcast(answer)
	if err != nil {
		return err
	}
	answer = sim.SDP
	if err := c.pc.SetLocalDescription(*offer); err != nil {
		return fmt.Errorf("%w: apply node offer: %v", ErrNegotiation, err)
	}
	if err := c.pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeAnswer, SDP: answer}); err != nil {
		// pion cannot roll the offer back: the connection is stuck in
		// have-local-offer and gets no further node offers.
		c.log.Error("apply answer to node offer", zap.Error(err))
		return fmt.Errorf("%w: apply answer: %v", ErrNegotiation, err)
	}
	return nil
}

// afterTransaction re-offers pending changes once a transaction completes.
// It is posted rather than run inline so that the reply to the current ROAP
// message is returned before the next OFFER appears in the events.
func (c *Connection) afterTransaction() {
	if c.needsOffer {
		c.room.post(c.negotiate)
	}
}

func (c *Connection) scheduleRetry(after time.Duration) {
	if after <= 0 {
		after = 100 * time.Millisecond
	}
	if c.retry != nil {
		c.retry.Stop()
	}
	c.retry = time.AfterFunc(after, func() { c.room.post(c.negotiate) })
}

// closeConnection tears a connection down: its publications end (and every
// subscriber is renegotiated), its subscriptions are released, the pc is
// closed and its goroutines are awaited.
func (r *Room) closeConnection(c *Connection, reason string) {
	if c.closed {
		return
	}
	for _, pub := range c.published {
		r.unpublish(pub)
	}
	for _, s := range c.subs {
		r.releaseSubscription(s)
	}
	for _, s := range c.slots {
		s.down.SwitchTo(nil)
		s.down.Close()
		r.m.traffic.removeDownTrack(s.down)
	}
	c.closed = true
	if c.retry != nil {
		c.retry.Stop()
	}
	if c.failTimer != nil {
		c.failTimer.Stop()
	}
	r.m.o.Media.Release(c.ufrag)
	if err := c.pc.Close(); err != nil {
		c.log.Debug("close peer connection", zap.Error(err))
	}
	c.stopCongestion()
	waitTimeout(&c.wg, 5*time.Second)
	delete(r.conns, c.id)
	r.m.indexConnection(c.id, nil)
	c.state = StateClosed
	r.emit(ConnectionStateChanged{ParticipantID: c.participantID, DeviceID: c.deviceID, ConnectionID: c.id, State: StateClosed})
	r.emit(DeviceLeft{ParticipantID: c.participantID, DeviceID: c.deviceID, ConnectionID: c.id, Reason: reason})
	if p, ok := r.participants[c.participantID]; ok && p.devices[c.deviceID] == c {
		delete(p.devices, c.deviceID)
		if len(p.devices) == 0 {
			delete(r.participants, p.id)
			for k := range r.muted {
				if k.participant == p.id {
					delete(r.muted, k)
				}
			}
			if r.floorHolder == p.id {
				r.changeFloor("")
			}
			r.emit(ParticipantLeft{ParticipantID: p.id, Reason: reason})
		}
	}
	r.replan()
	c.log.Info("connection closed", zap.String("reason", reason))
}

func waitTimeout(wg *sync.WaitGroup, d time.Duration) bool {
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-done:
		return true
	case <-t.C:
		return false
	}
}
