package room

import (
	"errors"
	"fmt"
	"net"
	"time"

	"github.com/pion/ice/v4"
	"github.com/pion/interceptor"
	"github.com/pion/interceptor/pkg/nack"
	"github.com/pion/interceptor/pkg/twcc"
	"github.com/pion/sdp/v3"
	"github.com/pion/webrtc/v4"

	"github.com/switchyard-sfu/switchyard/pkg/forwarder"
	"github.com/switchyard-sfu/switchyard/pkg/ssrcsim"
	"github.com/switchyard-sfu/switchyard/pkg/udpbatch"
)

// MediaOptions configure the node's WebRTC transport.
type MediaOptions struct {
	// UDPPort is the one UDP port every connection shares (ICE UDP mux).
	// 0 picks an ephemeral port per local address (tests).
	UDPPort int
	// ListenIPs restricts the local addresses the mux listens on and
	// advertises; empty means every interface.
	ListenIPs []string
	// IncludeLoopback offers 127.0.0.1 candidates. Needed for browsers and
	// clients on the same host (the local demo, tests).
	IncludeLoopback bool
	// NAT1To1IPs are public addresses advertised instead of the local ones,
	// for a node behind 1:1 NAT.
	NAT1To1IPs []string
	// ICEDisconnectedTimeout and ICEFailedTimeout: how long without
	// connectivity a connection turns disconnected, then failed (0: pion's
	// 5 s and 25 s).
	ICEDisconnectedTimeout, ICEFailedTimeout time.Duration
}

// Media builds PeerConnections that share one configuration and one UDP mux.
type Media struct {
	se        webrtc.SettingEngine
	mux       *ice.MultiUDPMuxDefault
	admission *admission
	batch     udpbatch.Group // one Writer per media socket
}

// NewMedia opens the UDP mux and prepares the pion API.
func NewMedia(o MediaOptions) (*Media, error) {
	ips, err := listenIPs(o)
	if err != nil {
		return nil, err
	}
	adm := newAdmission()
	var (
		muxes []ice.UDPMux
		batch udpbatch.Group
	)
	closeAll := func() {
		for _, m := range muxes {
			_ = m.Close()
		}
	}
	for _, ip := range ips {
		conn, err := net.ListenUDP("udp4", &net.UDPAddr{IP: ip, Port: o.UDPPort})
		if err != nil {
			closeAll()
			return nil, fmt.Errorf("open media port %s:%d: %w", ip, o.UDPPort, err)
		}
		out, err := udpbatch.New(conn, udpbatch.Options{})
		if err != nil {
			_ = conn.Close()
			closeAll()
			return nil, fmt.Errorf("media port %s:%d: %w", ip, o.UDPPort, err)
		}
		batch = append(batch, out)
		muxes = append(muxes, ice.NewUDPMuxDefault(ice.UDPMuxParams{UDPConn: &admissionConn{UDPConn: conn, a: adm, out: out}}))
	}
	mux := ice.NewMultiUDPMuxDefault(muxes...)

	return newMedia(settingEngine(o, mux), mux, adm, batch)
}

// newMedia finishes a Media on mux: the SRTP profiles the node prefers, and
// a check that the node's API can be built on se. It closes mux on failure.
func newMedia(se webrtc.SettingEngine, mux *ice.MultiUDPMuxDefault, adm *admission, batch udpbatch.Group) (*Media, error) {
	if err := preferGCM(&se); err != nil {
		_ = mux.Close()
		return nil, err
	}
	if _, err := NewAPI(se, true); err != nil {
		_ = mux.Close()
		return nil, err
	}
	return &Media{se: se, mux: mux, admission: adm, batch: batch}, nil
}

// listenIPs are the local IPv4 addresses the media port listens on: the
// configured ones, or every up interface's (loopback only when included).
func listenIPs(o MediaOptions) ([]net.IP, error) {
	if len(o.ListenIPs) > 0 {
		var ips []net.IP
		for _, s := range o.ListenIPs {
			ip := net.ParseIP(s)
			if ip == nil || ip.To4() == nil {
				return nil, fmt.Errorf("%w: listen IP %q is not an IPv4 address", ErrInvalidArgument, s)
			}
			ips = append(ips, ip.To4())
		}
		return ips, nil
	}
	ifaces, err := net.Interfaces()
	if err != nil {
		return nil, err
	}
	var ips []net.IP
	for _, ifc := range ifaces {
		if ifc.Flags&net.FlagUp == 0 || (ifc.Flags&net.FlagLoopback != 0 && !o.IncludeLoopback) {
			continue
		}
		addrs, err := ifc.Addrs()
		if err != nil {
			continue
		}
		for _, a := range addrs {
			if n, ok := a.(*net.IPNet); ok && n.IP.To4() != nil {
				ips = append(ips, n.IP.To4())
			}
		}
	}
	if len(ips) == 0 {
		return nil, fmt.Errorf("%w: no IPv4 address to listen on for media", ErrInvalidArgument)
	}
	return ips, nil
}

// Admit lets the connection with local ICE ufrag receive media on the port.
func (m *Media) Admit(ufrag string) { m.admission.add(ufrag) }

// Release forgets an admitted ufrag and the remote addresses it admitted.
func (m *Media) Release(ufrag string) { m.admission.remove(ufrag) }

// Batch brackets a fan-out on every media socket, so that the copies of one
// packet leave in sendmmsg batches (see pkg/udpbatch).
func (m *Media) Batch() forwarder.Batcher { return m.batch }

// SendStats sums the media sockets' batching counters.
func (m *Media) SendStats() udpbatch.Stats {
	var s udpbatch.Stats
	for _, w := range m.batch {
		ws := w.Stats()
		s.Batches += ws.Batches
		s.Batched += ws.Batched
		s.Direct += ws.Direct
		s.Errors += ws.Errors
	}
	return s
}

// DroppedPackets counts datagrams from 5-tuples no connection admitted.
func (m *Media) DroppedPackets() uint64 { return m.admission.dropped.Load() }

// NewAPI returns a pion API with the codecs, header extensions and
// interceptors Switchyard speaks. forwarding selects the node's interceptor
// set: NACKs from subscribers are answered from the forwarder's cache, so no
// NACK responder is installed there; a client endpoint gets the responder.
// first are installed ahead of the standard set, so they see incoming RTP
// before the NACK generator does (pkg/client's loss emulation).
func NewAPI(se webrtc.SettingEngine, forwarding bool, first ...interceptor.Factory) (*webrtc.API, error) {
	m := &webrtc.MediaEngine{}
	// pion's NACK generator (interceptor v0.1.48) does not see packets
	// repaired over RTX and keeps NACKing them, so a pion endpoint asks
	// for plain retransmissions; the node offers RTX to everyone else.
	if err := RegisterCodecs(m, forwarding); err != nil {
		return nil, err
	}
	ir := &interceptor.Registry{}
	for _, f := range first {
		ir.Add(f)
	}
	// A packet still missing after five NACKs (about half a second) is too
	// late to be useful, and the generator does not notice RTX repairs, so
	// bound how often one packet is asked for.
	gen, err := nack.NewGeneratorInterceptor(nack.GeneratorMaxNacksPerPacket(5))
	if err != nil {
		return nil, err
	}
	ir.Add(gen)
	if !forwarding {
		resp, err := nack.NewResponderInterceptor()
		if err != nil {
			return nil, err
		}
		ir.Add(resp)
	}
	if err := webrtc.ConfigureRTCPReports(ir); err != nil {
		return nil, err
	}
	twccGen, err := twcc.NewSenderInterceptor()
	if err != nil {
		return nil, err
	}
	ir.Add(twccGen)
	twccExt, err := twcc.NewHeaderExtensionInterceptor()
	if err != nil {
		return nil, err
	}
	ir.Add(twccExt)
	return webrtc.NewAPI(webrtc.WithMediaEngine(m), webrtc.WithInterceptorRegistry(ir), webrtc.WithSettingEngine(se)), nil
}

// RegisterCodecs registers Opus, VP8, H264, VP9 and AV1 (each with RTX when
// rtx is set) and the feedback and header extensions the node relies on.
func RegisterCodecs(m *webrtc.MediaEngine, rtx bool) error {
	videoFB := []webrtc.RTCPFeedback{
		{Type: webrtc.TypeRTCPFBTransportCC},
		{Type: webrtc.TypeRTCPFBCCM, Parameter: "fir"},
		{Type: webrtc.TypeRTCPFBNACK},
		{Type: webrtc.TypeRTCPFBNACK, Parameter: "pli"},
	}
	audio := webrtc.RTPCodecParameters{
		RTPCodecCapability: webrtc.RTPCodecCapability{
			MimeType: webrtc.MimeTypeOpus, ClockRate: 48000, Channels: 2,
			SDPFmtpLine:  "minptime=10;useinbandfec=1",
			RTCPFeedback: []webrtc.RTCPFeedback{{Type: webrtc.TypeRTCPFBTransportCC}},
		},
		PayloadType: 111,
	}
	if err := m.RegisterCodec(audio, webrtc.RTPCodecTypeAudio); err != nil {
		return err
	}
	video := []struct {
		mime string
		fmtp string
		pt   webrtc.PayloadType
	}{
		{webrtc.MimeTypeVP8, "", 96},
		{webrtc.MimeTypeH264, "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f", 102},
		{webrtc.MimeTypeH264, "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42001f", 104},
		{webrtc.MimeTypeH264, "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=4d001f", 106},
		{webrtc.MimeTypeVP9, "profile-id=0", 98},
		{webrtc.MimeTypeAV1, "", 45},
	}
	for _, v := range video {
		c := webrtc.RTPCodecParameters{
			RTPCodecCapability: webrtc.RTPCodecCapability{MimeType: v.mime, ClockRate: 90000, SDPFmtpLine: v.fmtp, RTCPFeedback: videoFB},
			PayloadType:        v.pt,
		}
		if err := m.RegisterCodec(c, webrtc.RTPCodecTypeVideo); err != nil {
			return err
		}
		if !rtx {
			continue
		}
		r := webrtc.RTPCodecParameters{
			RTPCodecCapability: webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeRTX, ClockRate: 90000, SDPFmtpLine: fmt.Sprintf("apt=%d", v.pt)},
			PayloadType:        v.pt + 1,
		}
		if err := m.RegisterCodec(r, webrtc.RTPCodecTypeVideo); err != nil {
			return err
		}
	}
	exts := []struct {
		uri   string
		kinds []webrtc.RTPCodecType
	}{
		{sdp.SDESMidURI, []webrtc.RTPCodecType{webrtc.RTPCodecTypeAudio, webrtc.RTPCodecTypeVideo}},
		{sdp.SDESRTPStreamIDURI, []webrtc.RTPCodecType{webrtc.RTPCodecTypeVideo}},
		{sdp.SDESRepairRTPStreamIDURI, []webrtc.RTPCodecType{webrtc.RTPCodecTypeVideo}},
		{sdp.TransportCCURI, []webrtc.RTPCodecType{webrtc.RTPCodecTypeAudio, webrtc.RTPCodecTypeVideo}},
		{sdp.AudioLevelURI, []webrtc.RTPCodecType{webrtc.RTPCodecTypeAudio}},
	}
	for _, e := range exts {
		for _, k := range e.kinds {
			if err := m.RegisterHeaderExtension(webrtc.RTPHeaderExtensionCapability{URI: e.uri}, k); err != nil {
				return err
			}
		}
	}
	return nil
}

// NewPeerConnection creates a PeerConnection on the shared mux. Each gets
// its own API so that its SSRC-simulcast stamper (first in the interceptor
// chain, see pkg/ssrcsim) belongs to it alone.
//
// more are the connection's own interceptors (its congestion controller),
// installed after the stamper: innermost on the write path, so they see
// outgoing packets with the transport-wide sequence number stamped.
func (m *Media) NewPeerConnection(stamper *ssrcsim.Stamper, more ...interceptor.Factory) (*webrtc.PeerConnection, error) {
	api, err := NewAPI(m.se, true, append([]interceptor.Factory{stamper}, more...)...)
	if err != nil {
		return nil, err
	}
	return api.NewPeerConnection(webrtc.Configuration{
		BundlePolicy:  webrtc.BundlePolicyMaxBundle,
		RTCPMuxPolicy: webrtc.RTCPMuxPolicyRequire,
	})
}

// LocalAddrs lists the UDP addresses the mux listens on.
func (m *Media) LocalAddrs() []net.Addr { return m.mux.GetListenAddresses() }

// Close closes the UDP mux. PeerConnections must be closed first.
func (m *Media) Close() error {
	if m == nil || m.mux == nil {
		return errors.New("media not open")
	}
	return m.mux.Close()
}
