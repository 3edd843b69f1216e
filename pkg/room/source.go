package room

import (
	"crypto/rand"
	"encoding/binary"
	"errors"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/pion/rtcp"
	"github.com/pion/sdp/v3"
	"github.com/pion/webrtc/v4"
	"go.uber.org/zap"

	"github.com/switchyard-sfu/switchyard/pkg/forwarder"
	"github.com/switchyard-sfu/switchyard/pkg/simulcast"
)

// source is one published stream (Webex: a capture source, CSI): main
// audio, main video or share of one device. A simulcast video source has one
// layer per spatial layer, each its own pion track and forwarder.Receiver.
// Owned by the room actor; each layer's read loop runs on its own goroutine.
type source struct {
	info    TrackInfo
	conn    *Connection
	rids    []string                 // declared simulcast RIDs, lowest first; nil when not RID simulcast
	layers  []*layer                 // sorted by index
	subs    map[string]*subscription // auto-mode subscriber connection id -> subscription
	created time.Time
	ended   bool
	// needed is the set of layers some slot needs, as last announced.
	needed    []int
	announced bool
}

// layer is one spatial layer of a source.
type layer struct {
	index    int
	rid      string
	ssrc     uint32
	receiver *forwarder.Receiver
}

// subscription is one source forwarded to an auto-mode connection. Owned by
// the room actor.
type subscription struct {
	src    *source
	conn   *Connection
	down   *forwarder.DownTrack
	sender *webrtc.RTPSender
	target *forwarder.Receiver
	// paused is true while the DownTrack is paused: the source may not
	// reach the connection, or the connection's estimate cannot carry it.
	paused bool
	// selector picks the video layer within the allocated budget; nil
	// while the connection's estimate is not allocated.
	selector *simulcast.Selector
	prober   *forwarder.Prober // video: sends the connection's bandwidth probes
	// allocated is the simulcast layer the allocator gave the subscription
	// last time, -1 for none (its hysteresis state).
	allocated int
}

// layerFresh is how long a new layer counts as active before its first
// packet; layerIdle is how long a layer may go without packets before it
// counts as paused.
const (
	layerFresh = 2 * time.Second
	layerIdle  = 1500 * time.Millisecond
)

// simLayers describes the source's layers for pkg/simulcast.
func (s *source) simLayers(now time.Time) []simulcast.Layer {
	out := make([]simulcast.Layer, 0, len(s.layers))
	for _, l := range s.layers {
		w, h := l.receiver.Dimensions()
		last := l.receiver.LastPacket()
		active := now.Sub(last) < layerIdle || (last.IsZero() && now.Sub(s.created) < layerFresh)
		out = append(out, simulcast.Layer{Index: l.index, Width: w, Height: h, Bitrate: l.receiver.Bitrate(now), Active: active})
	}
	return out
}

// layerReceiver returns the receiver of spatial layer idx (nil if absent).
func (s *source) layerReceiver(idx int) *forwarder.Receiver {
	for _, l := range s.layers {
		if l.index == idx {
			return l.receiver
		}
	}
	return nil
}

// topActive is the receiver of the highest active layer, the lowest when
// none is active (auto mode without an allocated estimate).
func (s *source) topActive(now time.Time) *forwarder.Receiver {
	layers := s.simLayers(now)
	for i := len(layers) - 1; i >= 0; i-- {
		if layers[i].Active {
			return s.layers[i].receiver
		}
	}
	if len(s.layers) > 0 {
		return s.layers[0].receiver
	}
	return nil
}

// describe refreshes the layer part of info for events and GetRoom.
func (s *source) describe(now time.Time) TrackInfo {
	info := s.info
	info.Layers = nil
	for i, l := range s.simLayers(now) {
		info.Layers = append(info.Layers, LayerInfo{
			Index: l.Index, RID: s.layers[i].rid, SSRC: s.layers[i].ssrc,
			Width: l.Width, Height: l.Height, Bitrate: l.Bitrate, Active: l.Active,
		})
	}
	return info
}

// mediaAttributes reads what the publisher's SDP says about mid: the
// declared simulcast RIDs (lowest first, as clients list them), whether it
// carries share content (RFC 4796 a=content:slides), and the source id the
// client announced (Webex: a=jmp-source:<mid> csi=<id>; 0 if none).
func mediaAttributes(pc *webrtc.PeerConnection, mid string) (rids []string, content Content, csi uint32) {
	content = ContentMain
	rd := pc.RemoteDescription()
	if rd == nil {
		return nil, content, 0
	}
	var sd sdp.SessionDescription
	if sd.UnmarshalString(rd.SDP) != nil {
		return nil, content, 0
	}
	for _, m := range sd.MediaDescriptions {
		if v, _ := m.Attribute(sdp.AttrKeyMID); v != mid {
			continue
		}
		for _, a := range m.Attributes {
			switch a.Key {
			case "content":
				if strings.EqualFold(strings.TrimSpace(a.Value), "slides") {
					content = ContentSlides
				}
			case "simulcast":
				rids = parseSimulcastSend(a.Value)
			case "jmp-source":
				csi = parseJMPSource(a.Value, mid)
			}
		}
	}
	return rids, content, csi
}

// parseJMPSource reads "<mid> csi=<id>"; 0 when malformed or for another mid.
func parseJMPSource(v, mid string) uint32 {
	f := strings.Fields(v)
	if len(f) < 2 || f[0] != mid || !strings.HasPrefix(f[1], "csi=") {
		return 0
	}
	n, err := strconv.ParseUint(strings.TrimPrefix(f[1], "csi="), 10, 32)
	if err != nil {
		return 0
	}
	return uint32(n)
}

// parseSimulcastSend extracts the send RIDs from an a=simulcast value such
// as "send q;h;f" or "send ~q;h,f recv x" (paused markers and alternatives
// are accepted; each alternative group counts as one layer).
func parseSimulcastSend(v string) []string {
	f := strings.Fields(v)
	for i := 0; i+1 < len(f); i += 2 {
		if f[i] != "send" {
			continue
		}
		var rids []string
		for _, group := range strings.Split(f[i+1], ";") {
			alt := strings.Split(group, ",")[0]
			if alt = strings.TrimPrefix(alt, "~"); alt != "" {
				rids = append(rids, alt)
			}
		}
		return rids
	}
	return nil
}

// sourceID allocates a CSI-style id: base<<8 | (audio 0, video 1). A
// device's main audio and video share its base; share has its own. A CSI the
// client announced is used when it has the right form and is free.
func (r *Room) sourceID(c *Connection, kind TrackKind, content Content, announced uint32) uint32 {
	low := uint32(1)
	if kind == KindAudio {
		low = 0
	}
	if _, taken := r.sources[announced]; announced>>8 != 0 && announced&0xff == low && !taken {
		return announced
	}
	base := &c.mainBase
	if content == ContentSlides {
		base = &c.slidesBase
	}
	for {
		if *base == 0 {
			*base = randomBase()
		}
		id := *base<<8 | low
		if _, taken := r.sources[id]; !taken {
			return id
		}
		*base = 0 // a second stream of the same kind: new base
	}
}

// videoOf is the id of the video source of the device whose audio source
// is audio: the same CSI base, low byte 1.
func videoOf(audio uint32) uint32 { return audio&^0xff | 1 }

func randomBase() uint32 {
	var b [4]byte
	_, _ = rand.Read(b[:])
	return binary.BigEndian.Uint32(b[:])&0x7fffff | 1
}

// onTrack adds a pion track: a new source, or a further simulcast layer of
// an existing one.
func (r *Room) onTrack(c *Connection, t *webrtc.TrackRemote, recv *webrtc.RTPReceiver) {
	if c.closed {
		return
	}
	mid := ""
	for _, tr := range c.pc.GetTransceivers() {
		if tr.Receiver() == recv {
			mid = tr.Mid()
		}
	}
	var src *source
	for _, s := range c.published {
		if s.info.Mid == mid && !s.ended {
			src = s
		}
	}
	isNew := src == nil
	if isNew {
		kind := KindAudio
		if t.Kind() == webrtc.RTPCodecTypeVideo {
			kind = KindVideo
		}
		rids, content, csi := mediaAttributes(c.pc, mid)
		src = &source{
			info: TrackInfo{ID: newID("tr-"), Kind: kind, MimeType: t.Codec().MimeType, Mid: mid, Content: content},
			conn: c, rids: rids, subs: make(map[string]*subscription), created: r.m.o.Now(),
		}
		src.info.SourceID = r.sourceID(c, kind, content, csi)
	}
	index := 0
	if rid := t.RID(); rid != "" {
		index = -1
		for i, declared := range src.rids {
			if declared == rid {
				index = i
			}
		}
		if index < 0 || src.layerReceiver(index) != nil {
			// A layer the SDP did not declare (or a second track for one
			// that did): ignored and counted.
			r.m.traffic.undeclaredLayer()
			c.log.Warn("ignoring undeclared simulcast layer", zap.String("mid", mid), zap.String("rid", rid))
			return
		}
	}
	l := &layer{index: index, rid: t.RID(), ssrc: uint32(t.SSRC())}
	l.receiver = newReceiver(c, src, t, recv)
	src.layers = append(src.layers, l)
	sortLayers(src.layers)
	r.m.traffic.addReceiver(l.receiver)
	r.startReadLoop(c, src, l, t, recv)

	if isNew {
		c.published[src.info.ID] = src
		r.sources[src.info.SourceID] = src
		c.log.Info("source published", zap.String("track", src.info.ID), zap.Uint32("source", src.info.SourceID),
			zap.String("kind", string(src.info.Kind)), zap.String("codec", src.info.MimeType), zap.String("mid", mid),
			zap.String("content", string(src.info.Content)), zap.Int("declared_layers", len(src.rids)))
		r.emit(TrackPublished{ParticipantID: c.participantID, DeviceID: c.deviceID, ConnectionID: c.id, Track: src.describe(r.m.o.Now())})
		for _, other := range r.conns {
			if other.participantID == c.participantID || other.closed || other.mode != SubscribeAuto {
				continue
			}
			r.subscribe(other, src)
			other.negotiate()
		}
	}
	r.replan()
}

func sortLayers(ls []*layer) {
	for i := 1; i < len(ls); i++ {
		for j := i; j > 0 && ls[j].index < ls[j-1].index; j-- {
			ls[j], ls[j-1] = ls[j-1], ls[j]
		}
	}
}

func newReceiver(c *Connection, src *source, t *webrtc.TrackRemote, recv *webrtc.RTPReceiver) *forwarder.Receiver {
	var audioLevelID uint8
	for _, e := range recv.GetParameters().HeaderExtensions {
		if e.URI == sdp.AudioLevelURI {
			audioLevelID = uint8(e.ID)
		}
	}
	pc := c.pc
	return forwarder.NewReceiver(forwarder.ReceiverOptions{
		Kind:                  t.Kind(),
		SSRC:                  uint32(t.SSRC()),
		Codec:                 t.Codec(),
		AudioLevelExtensionID: audioLevelID,
		RequestKeyframe: func(ssrc uint32) {
			_ = pc.WriteRTCP([]rtcp.Packet{&rtcp.PictureLossIndication{MediaSSRC: ssrc}})
		},
		Logger: c.log.With(zap.String("track", src.info.ID), zap.String("rid", t.RID())),
		Batch:  c.room.m.o.Media.Batch(),
	})
}

func (r *Room) startReadLoop(c *Connection, src *source, l *layer, t *webrtc.TrackRemote, recv *webrtc.RTPReceiver) {
	c.wg.Add(2)
	go func() {
		defer c.wg.Done()
		err := l.receiver.ReadLoop(t)
		if err != nil && !errors.Is(err, io.EOF) && !isClosedErr(err) {
			c.log.Debug("read loop ended", zap.Error(err))
		}
		r.post(func() { r.removeLayer(src, l) })
	}()
	rid := t.RID()
	go func() {
		// Reading RTCP drives the receive-side interceptors (reports); a
		// simulcast receiver has one RTCP stream per RID.
		defer c.wg.Done()
		for {
			var err error
			if rid != "" {
				_, _, err = recv.ReadSimulcastRTCP(rid)
			} else {
				_, _, err = recv.ReadRTCP()
			}
			if err != nil {
				return
			}
		}
	}()
}

func isClosedErr(err error) bool {
	return strings.Contains(err.Error(), "closed")
}

// removeLayer drops a layer whose track ended; the source ends with its
// last layer.
func (r *Room) removeLayer(src *source, l *layer) {
	for i, x := range src.layers {
		if x == l {
			src.layers = append(src.layers[:i], src.layers[i+1:]...)
			l.receiver.Close()
			r.m.traffic.removeReceiver(l.receiver)
			break
		}
	}
	if len(src.layers) == 0 {
		r.unpublish(src)
		return
	}
	r.replan()
}

// subscribe adds an auto-mode DownTrack for src to c. The caller negotiates
// and replans, which points the DownTrack at a layer (replanAuto).
func (r *Room) subscribe(c *Connection, src *source) {
	if src.ended || c.closed {
		return
	}
	if _, ok := c.subs[src.info.ID]; ok {
		return
	}
	kind := webrtc.RTPCodecTypeAudio
	if src.info.Kind == KindVideo {
		kind = webrtc.RTPCodecTypeVideo
	}
	down, err := forwarder.NewDownTrack(forwarder.DownTrackOptions{
		ID:          src.info.ID,
		StreamID:    src.conn.id,
		Kind:        kind,
		Logger:      c.log.With(zap.String("track", src.info.ID)),
		Retransmits: c.retransmits(),
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
	s := &subscription{src: src, conn: c, down: down, sender: tr.Sender(), allocated: -1}
	if kind == webrtc.RTPCodecTypeVideo {
		s.prober = forwarder.NewProber(down)
	}
	c.subs[src.info.ID] = s
	src.subs[c.id] = s
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
	s.down.SwitchTo(nil)
	s.down.Close()
	r.m.traffic.removeDownTrack(s.down)
	delete(s.src.subs, s.conn.id)
	delete(s.conn.subs, s.src.info.ID)
	if s.prober != nil && s.conn.probeVia.Load() == s.prober {
		s.conn.probeVia.Store(nil) // the next allocation picks another
	}
	if !s.conn.closed {
		if err := s.conn.pc.RemoveTrack(s.sender); err != nil {
			s.conn.log.Debug("remove downtrack", zap.Error(err))
		}
		s.conn.needsOffer = true
	}
}

// unpublish ends a source: auto-mode subscribers lose their DownTrack
// through renegotiation, slots showing it move on, and the event is
// announced. Idempotent.
func (r *Room) unpublish(src *source) {
	if src.ended {
		return
	}
	src.ended = true
	for _, s := range src.subs {
		r.releaseSubscription(s)
		s.conn.negotiate()
	}
	for _, l := range src.layers {
		l.receiver.Close()
		r.m.traffic.removeReceiver(l.receiver)
	}
	src.layers = nil
	c := src.conn
	delete(c.published, src.info.ID)
	if r.sources[src.info.SourceID] == src {
		delete(r.sources, src.info.SourceID)
	}
	r.speakers.Remove(src.info.SourceID)
	delete(r.levels, src.info.SourceID)
	c.log.Info("source unpublished", zap.String("track", src.info.ID))
	r.emit(TrackUnpublished{ParticipantID: c.participantID, DeviceID: c.deviceID, ConnectionID: c.id, TrackID: src.info.ID})
	r.replan()
}
