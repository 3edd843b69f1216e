package client

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/ice/v4"
	"github.com/pion/interceptor"
	"github.com/pion/rtcp"
	transport "github.com/pion/transport/v4"
	"github.com/pion/webrtc/v4"
	"go.uber.org/zap"

	pb "github.com/switchyard-sfu/switchyard/api/proto/switchyard/v1"
	"github.com/switchyard-sfu/switchyard/pkg/roap"
	"github.com/switchyard-sfu/switchyard/pkg/roap/roappb"
	"github.com/switchyard-sfu/switchyard/pkg/room"
)

// Options configure a Client.
type Options struct {
	// Node is the node's gRPC API; required.
	Node pb.MediaNodeClient
	// RoomID, ParticipantID and DeviceID are required; the room must exist.
	RoomID, ParticipantID, DeviceID string
	DisplayName                     string
	// Audio and Video select what the client publishes.
	Audio, Video bool
	// SourceBase is the 23-bit base of the client's source ids (CSI style):
	// audio is SourceBase<<8, video SourceBase<<8|1. 0 picks a random base.
	SourceBase uint32
	// VideoBitrate in bit/s (default 500 kbit/s) and VideoFPS (default 30).
	VideoBitrate, VideoFPS int
	// Simulcast, if set, sends the video as these RID layers (lowest
	// first), e.g. DefaultSimulcast; VideoBitrate is then ignored.
	Simulcast []SimulcastLayer
	// DeclareLayers, if set, declares only the first DeclareLayers RIDs in
	// the SDP's a=simulcast line while still sending every layer, as a
	// misbehaving publisher would (robustness tests).
	DeclareLayers int
	// SSRCSimulcast signals the simulcast layers the Webex way
	// (a=ssrc-group:SIM, no RIDs, no MID/RID header extensions).
	SSRCSimulcast bool
	// VideoCodec is webrtc.MimeTypeVP8 (default) or webrtc.MimeTypeH264.
	VideoCodec string
	// NoKeyframes makes the video source never send a keyframe, not even on
	// PLI, as a broken publisher would (robustness tests).
	NoKeyframes bool
	// Share publishes a second video source marked as shared content
	// (a=content:slides), with its own source base.
	Share bool
	// AudioSlots and VideoSlots, if either is set, join in slots mode with
	// that many recvonly receive slots (filled by RequestMedia) instead of
	// auto-subscribe.
	AudioSlots, VideoSlots int
	// KeyframeInterval between periodic keyframes (default 2 s); a PLI
	// from the node forces one earlier.
	KeyframeInterval time.Duration
	// LoopbackOnly gathers only 127.0.0.1 candidates (tests, bench).
	LoopbackOnly bool
	// Net, if set, is the network the client's media uses instead of the
	// host's, e.g. a pion/transport vnet with a bottleneck in front of the
	// client (congestion control tests). Vanish has no effect then.
	Net transport.Net
	// Drop, if set, drops incoming media packets to emulate loss.
	Drop DropFunc
	// SignalTimeout bounds each ROAP exchange (default 10 s).
	SignalTimeout time.Duration
	Logger        *zap.Logger
}

// Client is one participant device.
type Client struct {
	o      Options
	log    *zap.Logger
	pc     *webrtc.PeerConnection
	connID string

	// mu serializes ROAP: the session and every SDP change.
	mu      sync.Mutex
	session *roap.Session

	audio  *source
	video  []*source // one per simulcast layer
	share  *source
	sendTr []*sourceTransceiver
	slotTr []*webrtc.RTPTransceiver

	rec *recorder

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	connected chan struct{}
	connOnce  sync.Once
	gone      atomic.Bool // set by Vanish
}

// Join creates the PeerConnection, sends the ROAP OFFER through the node's
// Join call, applies the answer, and starts following the room's events for
// node-initiated offers.
func Join(ctx context.Context, o Options) (*Client, error) {
	if o.Node == nil {
		return nil, errors.New("client: Options.Node is required")
	}
	if o.Logger == nil {
		o.Logger = zap.NewNop()
	}
	if o.SignalTimeout <= 0 {
		o.SignalTimeout = 10 * time.Second
	}
	if o.SourceBase == 0 {
		var b [4]byte
		_, _ = rand.Read(b[:])
		o.SourceBase = binary.BigEndian.Uint32(b[:])&0x7fffff | 1
	}
	c := &Client{
		o:         o,
		log:       o.Logger.With(zap.String("participant", o.ParticipantID), zap.String("device", o.DeviceID)),
		session:   roap.NewSession(roap.SessionOptions{TieBreaker: roap.ClientTieBreaker}),
		rec:       newRecorder(),
		connected: make(chan struct{}),
	}
	c.ctx, c.cancel = context.WithCancel(context.Background())
	if err := c.setup(); err != nil {
		c.cancel()
		return nil, err
	}
	if err := c.join(ctx); err != nil {
		c.shutdown()
		return nil, err
	}
	return c, nil
}

func (c *Client) setup() error {
	se := webrtc.SettingEngine{}
	if c.o.Net != nil {
		se.SetNet(c.o.Net)
	} else {
		vn, err := newVanishNet(&c.gone)
		if err != nil {
			return err
		}
		se.SetNet(vn)
	}
	se.SetICEMulticastDNSMode(ice.MulticastDNSModeDisabled)
	se.SetNetworkTypes([]webrtc.NetworkType{webrtc.NetworkTypeUDP4})
	if c.o.LoopbackOnly {
		se.SetIncludeLoopbackCandidate(true)
		se.SetIPFilter(func(ip net.IP) bool { return ip.IsLoopback() })
	}
	var first []interceptor.Factory
	if c.o.Drop != nil {
		// Emulated loss happens after SRTP decryption, so SRTP's replay
		// window has already seen a dropped packet's index and would
		// reject its retransmission; real loss happens before SRTP.
		se.DisableSRTPReplayProtection(true)
		first = append(first, dropFactory{drop: c.o.Drop})
	}
	api, err := room.NewAPI(se, false, first...)
	if err != nil {
		return err
	}
	pc, err := api.NewPeerConnection(webrtc.Configuration{BundlePolicy: webrtc.BundlePolicyMaxBundle})
	if err != nil {
		return err
	}
	c.pc = pc
	pc.OnConnectionStateChange(func(s webrtc.PeerConnectionState) {
		if s == webrtc.PeerConnectionStateConnected {
			c.connOnce.Do(func() { close(c.connected) })
		}
	})
	pc.OnTrack(func(t *webrtc.TrackRemote, _ *webrtc.RTPReceiver) {
		c.wg.Add(1)
		go func() {
			defer c.wg.Done()
			c.rec.read(t, func(ssrc uint32) {
				_ = c.pc.WriteRTCP([]rtcp.Packet{&rtcp.PictureLossIndication{MediaSSRC: ssrc}})
			})
		}()
	})
	stream := c.o.ParticipantID + "-" + c.o.DeviceID
	if c.o.Audio {
		c.audio = newAudioSource(c.o.SourceBase<<8, stream)
		if err := c.addSources(c.audio); err != nil {
			return err
		}
	}
	if c.o.Video {
		layers := c.o.Simulcast
		if len(layers) == 0 {
			layers = []SimulcastLayer{{Bitrate: c.o.VideoBitrate}}
		}
		for i, l := range layers {
			v := newVideoSource(c.o.SourceBase<<8|1, stream, c.o.VideoFPS, c.o.KeyframeInterval, l, i)
			if c.o.VideoCodec != "" {
				v.track.codec.MimeType = c.o.VideoCodec
			}
			v.track.noSimulcastExt = c.o.SSRCSimulcast
			v.noKeyframes = c.o.NoKeyframes
			c.video = append(c.video, v)
		}
		if err := c.addSources(c.video...); err != nil {
			return err
		}
	}
	if c.o.Share {
		c.share = newVideoSource(c.ShareSourceID(), stream+"-share", 5, 4*time.Second, SimulcastLayer{Bitrate: 300_000, Width: 1280, Height: 720}, 0)
		c.share.track.id = "share"
		if err := c.addSources(c.share); err != nil {
			return err
		}
	}
	for _, n := range []struct {
		kind  webrtc.RTPCodecType
		count int
	}{{webrtc.RTPCodecTypeAudio, c.o.AudioSlots}, {webrtc.RTPCodecTypeVideo, c.o.VideoSlots}} {
		for i := 0; i < n.count; i++ {
			tr, err := c.pc.AddTransceiverFromKind(n.kind, webrtc.RTPTransceiverInit{Direction: webrtc.RTPTransceiverDirectionRecvonly})
			if err != nil {
				return err
			}
			c.slotTr = append(c.slotTr, tr)
		}
	}
	if !c.o.Audio && !c.o.Video && len(c.slotTr) == 0 {
		// A receive-only client still needs an m-line to carry the
		// transport; the node adds its own m-lines for what it forwards.
		if _, err := c.pc.AddTransceiverFromKind(webrtc.RTPCodecTypeAudio, webrtc.RTPTransceiverInit{Direction: webrtc.RTPTransceiverDirectionRecvonly}); err != nil {
			return err
		}
	}
	return nil
}

// sourceTransceiver ties the sources sent on one transceiver (several for
// simulcast) to it, so their tracks learn the negotiated mid.
type sourceTransceiver struct {
	tr      *webrtc.RTPTransceiver
	sources []*source
}

// addSources sends srcs on one new sendonly transceiver: one source, or the
// layers of a simulcast source (lowest first).
func (c *Client) addSources(srcs ...*source) error {
	tr, err := c.pc.AddTransceiverFromTrack(srcs[0].track, webrtc.RTPTransceiverInit{Direction: webrtc.RTPTransceiverDirectionSendonly})
	if err != nil {
		return err
	}
	sender := tr.Sender()
	for _, s := range srcs[1:] {
		if err := sender.AddEncoding(s.track); err != nil {
			return err
		}
	}
	c.sendTr = append(c.sendTr, &sourceTransceiver{tr: tr, sources: srcs})
	for _, s := range srcs {
		s := s
		read := sender.ReadRTCP
		if s.track.rid != "" {
			rid := s.track.rid
			read = func() ([]rtcp.Packet, interceptor.Attributes, error) { return sender.ReadSimulcastRTCP(rid) }
		}
		c.wg.Add(2)
		go func() {
			defer c.wg.Done()
			s.readRTCP(read)
		}()
		go func() {
			defer c.wg.Done()
			s.run(c.ctx)
		}()
	}
	return nil
}

// annotate adds to the SDP sent to the node what Webex clients announce:
// each source's id (a=jmp-source:<mid> csi=<id>) and, on the share m-line,
// a=content:slides (RFC 4796). pion refuses a munged local description, so
// only the copy that goes out carries them; both are informational for
// pion.
func (c *Client) annotate(sdpText string) string {
	for _, st := range c.sendTr {
		mid := st.tr.Mid()
		if mid == "" {
			continue
		}
		extra := fmt.Sprintf("a=jmp-source:%s csi=%d\r\n", mid, st.sources[0].id)
		if st.sources[0] == c.share {
			extra += "a=content:slides\r\n"
		}
		sdpText = strings.Replace(sdpText, "a=mid:"+mid+"\r\n", "a=mid:"+mid+"\r\n"+extra, 1)
		if n := c.o.DeclareLayers; n > 0 && n < len(st.sources) && len(st.sources) > 1 {
			var rids []string
			for _, src := range st.sources {
				rids = append(rids, src.track.rid)
			}
			sdpText = strings.Replace(sdpText, "a=simulcast:send "+strings.Join(rids, ";"), "a=simulcast:send "+strings.Join(rids[:n], ";"), 1)
		}
		if c.o.SSRCSimulcast && len(st.sources) > 1 {
			sdpText = toSSRCSimulcast(sdpText, mid, st.tr.Sender().GetParameters().Encodings, c.o.Simulcast)
		}
	}
	return sdpText
}

// learnMids tells each track its transceiver's mid once it is assigned.
func (c *Client) learnMids() {
	for _, st := range c.sendTr {
		for _, s := range st.sources {
			s.track.setMid(st.tr.Mid())
		}
	}
}

func (c *Client) join(ctx context.Context) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	sdpText, err := c.localDescription(ctx, true)
	if err != nil {
		return err
	}
	c.learnMids()
	sdpText = c.annotate(sdpText)
	offer, err := c.session.StartOffer(sdpText)
	if err != nil {
		return err
	}
	mode := pb.SubscribeMode_SUBSCRIBE_MODE_AUTO
	if len(c.slotTr) > 0 {
		mode = pb.SubscribeMode_SUBSCRIBE_MODE_SLOTS
	}
	res, err := c.o.Node.Join(ctx, &pb.JoinRequest{
		RoomId: c.o.RoomID, ParticipantId: c.o.ParticipantID, DeviceId: c.o.DeviceID,
		DisplayName: c.o.DisplayName, Offer: toPB(offer), SubscribeMode: mode,
	})
	if err != nil {
		c.session.CancelLocalOffer()
		return fmt.Errorf("join: %w", err)
	}
	c.connID = res.GetConnectionId()
	if err := c.applyReply(res.GetAnswer()); err != nil {
		return err
	}
	// Follow the room's events from just before the join so that the
	// node's follow-up offer cannot be missed.
	evs, err := c.o.Node.Events(c.ctx, &pb.EventsRequest{RoomId: c.o.RoomID, AfterSeq: res.GetEventSeq()})
	if err != nil {
		return fmt.Errorf("events: %w", err)
	}
	c.wg.Add(1)
	go func() {
		defer c.wg.Done()
		c.followEvents(evs)
	}()
	return nil
}

// localDescription creates an offer (or an answer) and returns the SDP once
// ICE gathering completed. Called with mu held.
func (c *Client) localDescription(ctx context.Context, offer bool, opts ...webrtc.OfferOptions) (string, error) {
	var (
		d   webrtc.SessionDescription
		err error
	)
	if offer {
		var oo *webrtc.OfferOptions
		if len(opts) > 0 {
			oo = &opts[0]
		}
		d, err = c.pc.CreateOffer(oo)
	} else {
		d, err = c.pc.CreateAnswer(nil)
	}
	if err != nil {
		return "", err
	}
	gathered := webrtc.GatheringCompletePromise(c.pc)
	if err := c.pc.SetLocalDescription(d); err != nil {
		return "", err
	}
	t := time.NewTimer(c.o.SignalTimeout)
	defer t.Stop()
	select {
	case <-gathered:
	case <-t.C:
		return "", errors.New("ICE gathering timed out")
	case <-ctx.Done():
		return "", ctx.Err()
	}
	return c.pc.LocalDescription().SDP, nil
}

// applyReply handles the node's reply to one of our offers. Called with mu.
func (c *Client) applyReply(p *pb.RoapMessage) error {
	if p == nil {
		return errors.New("node sent no ROAP reply to our offer")
	}
	m := fromPB(p)
	d := c.session.Receive(m)
	switch d.Action {
	case roap.ActionApplyAnswer:
		if err := c.pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeAnswer, SDP: d.SDP}); err != nil {
			c.session.AnswerFailed(d.Seq, err.Error())
			return fmt.Errorf("apply answer: %w", err)
		}
		c.session.AnswerApplied(d.Seq)
		return nil
	case roap.ActionOfferRejected:
		// pion cannot roll back a local offer; the refused offer stays
		// applied locally and the caller should rejoin.
		return fmt.Errorf("node refused offer: %s %s", m.ErrorType, m.ErrorCause)
	default:
		return fmt.Errorf("unexpected ROAP reply %s (action %d)", m.Type, d.Action)
	}
}

// Renegotiate sends a new client offer (optionally restarting ICE) and
// applies the node's answer.
func (c *Client) Renegotiate(ctx context.Context, iceRestart bool) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	sdpText, err := c.localDescription(ctx, true, webrtc.OfferOptions{ICERestart: iceRestart})
	if err != nil {
		return err
	}
	sdpText = c.annotate(sdpText)
	offer, err := c.session.StartOffer(sdpText)
	if err != nil {
		return err
	}
	res, err := c.o.Node.Roap(ctx, &pb.RoapRequest{ConnectionId: c.connID, Message: toPB(offer)})
	if err != nil {
		c.session.CancelLocalOffer()
		return err
	}
	return c.applyReply(res.GetReply())
}

func (c *Client) followEvents(evs pb.MediaNode_EventsClient) {
	for {
		ev, err := evs.Recv()
		if err != nil {
			if !errors.Is(err, io.EOF) && c.ctx.Err() == nil {
				c.log.Debug("events stream ended", zap.Error(err))
			}
			return
		}
		c.rec.event(ev)
		if r := ev.GetRoap(); r != nil && r.GetConnectionId() == c.connID {
			c.handleNodeRoap(r.GetMessage())
		}
	}
}

// handleNodeRoap answers a node-initiated OFFER (or replies with the ROAP
// error the session decides on).
func (c *Client) handleNodeRoap(p *pb.RoapMessage) {
	c.mu.Lock()
	defer c.mu.Unlock()
	ctx, cancel := context.WithTimeout(c.ctx, c.o.SignalTimeout)
	defer cancel()
	d := c.session.Receive(fromPB(p))
	var reply roap.Message
	switch d.Action {
	case roap.ActionReply:
		reply = *d.Reply
	case roap.ActionApplyOffer:
		if err := c.pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeOffer, SDP: d.SDP}); err != nil {
			reply = c.session.OfferFailed(d.Seq, err.Error())
			break
		}
		ans, err := c.localDescription(ctx, false)
		if err != nil {
			reply = c.session.OfferFailed(d.Seq, err.Error())
			break
		}
		reply = c.session.Answered(d.Seq, c.annotate(ans))
	default:
		return
	}
	if _, err := c.o.Node.Roap(ctx, &pb.RoapRequest{ConnectionId: c.connID, Message: toPB(reply)}); err != nil && c.ctx.Err() == nil {
		c.log.Warn("send ROAP reply", zap.Error(err))
	}
}

// PLIs returns how many keyframe requests each video layer (index 0 lowest)
// of this client received from the node.
func (c *Client) PLIs() []uint64 {
	out := make([]uint64, len(c.video))
	for i, v := range c.video {
		out[i] = v.plis.Load()
	}
	return out
}

// ShareSourceID is the source id stamped on the share stream's markers.
func (c *Client) ShareSourceID() uint32 { return (c.o.SourceBase^0x400000)<<8 | 1 }

// SlotMids returns the mids of the client's receive slots of a kind, in
// order (slots mode).
func (c *Client) SlotMids(kind webrtc.RTPCodecType) []string {
	var out []string
	for _, tr := range c.slotTr {
		if tr.Kind() == kind {
			out = append(out, tr.Mid())
		}
	}
	return out
}

// RequestMedia sends a media request for this connection (slots mode).
func (c *Client) RequestMedia(ctx context.Context, req *pb.MediaRequest) (*pb.MediaRequestAck, error) {
	req.ConnectionId = c.connID
	return c.o.Node.RequestMedia(ctx, req)
}

// ConnectionID is the node's id for this device's connection.
func (c *Client) ConnectionID() string { return c.connID }

// SourceIDs returns the audio and video source ids this client stamps on
// its packets.
func (c *Client) SourceIDs() (audio, video uint32) {
	return c.o.SourceBase << 8, c.o.SourceBase<<8 | 1
}

// WaitConnected waits until the transport is connected.
func (c *Client) WaitConnected(ctx context.Context) error {
	select {
	case <-c.connected:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("%s/%s not connected: %w", c.o.ParticipantID, c.o.DeviceID, ctx.Err())
	}
}

// Leave asks the node to close the connection, then closes the client.
func (c *Client) Leave(ctx context.Context) error {
	_, err := c.o.Node.Leave(ctx, &pb.LeaveRequest{ConnectionId: c.connID})
	c.shutdown()
	return err
}

// Close closes the client without telling the node's API; pion still says
// goodbye at the DTLS layer.
func (c *Client) Close() { c.shutdown() }

// Vanish makes the client drop off the network at once, without any
// goodbye: no DTLS close, no more ICE answers, nothing sent or received, as
// when a device loses its network. Close still releases it afterwards.
func (c *Client) Vanish() { c.gone.Store(true) }

// Reappear undoes Vanish: the network is back. The connection recovers
// only if the client also restarts ICE (Renegotiate with iceRestart).
func (c *Client) Reappear() { c.gone.Store(false) }

func (c *Client) shutdown() {
	c.cancel()
	if c.pc != nil {
		_ = c.pc.Close()
	}
	c.wg.Wait()
}

func toPB(m roap.Message) *pb.RoapMessage { return roappb.ToPB(m) }

// fromPB converts a node message; an unconvertible one becomes a zero
// Message, which the session rejects as invalid.
func fromPB(p *pb.RoapMessage) roap.Message {
	m, err := roappb.FromPB(p)
	if err != nil {
		return roap.Message{}
	}
	return m
}

// WriteRTCP sends RTCP to the node on the client's transport (keyframe
// requests, or deliberately odd feedback in robustness tests).
func (c *Client) WriteRTCP(pkts []rtcp.Packet) error { return c.pc.WriteRTCP(pkts) }
