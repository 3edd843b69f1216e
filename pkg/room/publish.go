package room

import (
	"errors"
	"io"
	"strings"

	"github.com/pion/rtcp"
	"github.com/pion/sdp/v3"
	"github.com/pion/webrtc/v4"
	"go.uber.org/zap"

	"github.com/switchyard-sfu/switchyard/pkg/forwarder"
)

// publication is one upstream track and its forwarder.Receiver. Owned by the
// room actor; the receiver's read loop runs on its own goroutine.
type publication struct {
	info     TrackInfo
	conn     *Connection
	receiver *forwarder.Receiver
	subs     map[string]*subscription // subscriber connection id -> subscription
	ended    bool
}

// subscription is one publication forwarded to one connection.
type subscription struct {
	pub    *publication
	conn   *Connection
	down   *forwarder.DownTrack
	sender *webrtc.RTPSender
}

// publish starts forwarding a new upstream track and auto-subscribes every
// other participant's connections to it.
func (r *Room) publish(c *Connection, t *webrtc.TrackRemote, recv *webrtc.RTPReceiver) {
	if c.closed {
		return
	}
	kind := KindAudio
	if t.Kind() == webrtc.RTPCodecTypeVideo {
		kind = KindVideo
	}
	codec := t.Codec()
	mid := ""
	for _, tr := range c.pc.GetTransceivers() {
		if tr.Receiver() == recv {
			mid = tr.Mid()
		}
	}
	pub := &publication{
		info: TrackInfo{ID: newID("tr-"), Kind: kind, MimeType: codec.MimeType, Mid: mid},
		conn: c,
		subs: make(map[string]*subscription),
	}
	var audioLevelID uint8
	for _, e := range recv.GetParameters().HeaderExtensions {
		if e.URI == sdp.AudioLevelURI {
			audioLevelID = uint8(e.ID)
		}
	}
	pc := c.pc
	pub.receiver = forwarder.NewReceiver(forwarder.ReceiverOptions{
		Kind:                  t.Kind(),
		SSRC:                  uint32(t.SSRC()),
		Codec:                 codec,
		AudioLevelExtensionID: audioLevelID,
		RequestKeyframe: func(ssrc uint32) {
			_ = pc.WriteRTCP([]rtcp.Packet{&rtcp.PictureLossIndication{MediaSSRC: ssrc}})
		},
		Logger: c.log.With(zap.String("track", pub.info.ID)),
	})
	c.published[pub.info.ID] = pub
	r.m.traffic.addReceiver(pub.receiver)

	c.wg.Add(2)
	go func() {
		defer c.wg.Done()
		err := pub.receiver.ReadLoop(t)
		if err != nil && !errors.Is(err, io.EOF) && !isClosedErr(err) {
			c.log.Debug("read loop ended", zap.Error(err))
		}
		r.post(func() { r.unpublish(pub) })
	}()
	go func() {
		// Reading RTCP drives the receive-side interceptors (reports).
		defer c.wg.Done()
		for {
			if _, _, err := recv.ReadRTCP(); err != nil {
				return
			}
		}
	}()

	c.log.Info("track published", zap.String("track", pub.info.ID), zap.String("kind", string(kind)),
		zap.String("codec", codec.MimeType), zap.String("mid", mid))
	r.emit(TrackPublished{ParticipantID: c.participantID, DeviceID: c.deviceID, ConnectionID: c.id, Track: pub.info})
	for _, other := range r.conns {
		if other.participantID == c.participantID || other.closed {
			continue
		}
		r.subscribe(other, pub)
		other.negotiate()
	}
}

func isClosedErr(err error) bool {
	return strings.Contains(err.Error(), "closed")
}

// subscribe adds a DownTrack for pub to c. The caller negotiates.
func (r *Room) subscribe(c *Connection, pub *publication) {
	if pub.ended || c.closed {
		return
	}
	if _, ok := c.subs[pub.info.ID]; ok {
		return
	}
	down, err := forwarder.NewDownTrack(forwarder.DownTrackOptions{
		ID:       pub.info.ID,
		StreamID: pub.conn.id,
		Receiver: pub.receiver,
		Logger:   c.log.With(zap.String("track", pub.info.ID)),
	})
	if err != nil {
		c.log.Warn("create downtrack", zap.Error(err))
		return
	}
	tr, err := c.pc.AddTransceiverFromTrack(down, webrtc.RTPTransceiverInit{Direction: webrtc.RTPTransceiverDirectionSendonly})
	if err != nil {
		c.log.Warn("add downtrack", zap.Error(err))
		return
	}
	s := &subscription{pub: pub, conn: c, down: down, sender: tr.Sender()}
	c.subs[pub.info.ID] = s
	pub.subs[c.id] = s
	pub.receiver.AddDownTrack(down)
	r.m.traffic.addDownTrack(down)
	c.needsOffer = true
	c.wg.Add(1)
	go func() {
		defer c.wg.Done()
		_ = down.RunRTCP(s.sender)
	}()
}

// releaseSubscription stops forwarding s and removes its sender from the
// subscriber's PeerConnection. The caller negotiates.
func (r *Room) releaseSubscription(s *subscription) {
	s.pub.receiver.RemoveDownTrack(s.down)
	s.down.Close()
	r.m.traffic.removeDownTrack(s.down)
	delete(s.pub.subs, s.conn.id)
	delete(s.conn.subs, s.pub.info.ID)
	if !s.conn.closed {
		if err := s.conn.pc.RemoveTrack(s.sender); err != nil {
			s.conn.log.Debug("remove downtrack", zap.Error(err))
		}
		s.conn.needsOffer = true
	}
}

// unpublish ends a publication: every subscriber loses its DownTrack through
// renegotiation and the event is announced. Idempotent.
func (r *Room) unpublish(pub *publication) {
	if pub.ended {
		return
	}
	pub.ended = true
	for _, s := range pub.subs {
		r.releaseSubscription(s)
		s.conn.negotiate()
	}
	pub.receiver.Close()
	r.m.traffic.removeReceiver(pub.receiver)
	c := pub.conn
	delete(c.published, pub.info.ID)
	c.log.Info("track unpublished", zap.String("track", pub.info.ID))
	r.emit(TrackUnpublished{ParticipantID: c.participantID, DeviceID: c.deviceID, ConnectionID: c.id, TrackID: pub.info.ID})
}
