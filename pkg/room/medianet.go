package room

import (
	"fmt"
	"net"
	"time"

	"github.com/pion/ice/v4"
	transport "github.com/pion/transport/v4"
	"github.com/pion/webrtc/v4"
)

// settingEngine is the pion configuration every connection of a Media
// shares.
func settingEngine(o MediaOptions, mux ice.UDPMux) webrtc.SettingEngine {
	se := webrtc.SettingEngine{}
	se.SetICEUDPMux(mux)
	se.SetIncludeLoopbackCandidate(o.IncludeLoopback)
	se.SetICEMulticastDNSMode(ice.MulticastDNSModeDisabled)
	se.SetNetworkTypes([]webrtc.NetworkType{webrtc.NetworkTypeUDP4})
	if len(o.NAT1To1IPs) > 0 {
		se.SetNAT1To1IPs(o.NAT1To1IPs, webrtc.ICECandidateTypeHost)
	}
	if o.ICEDisconnectedTimeout > 0 && o.ICEFailedTimeout > 0 {
		keepalive := min(2*time.Second, o.ICEDisconnectedTimeout/2)
		se.SetICETimeouts(o.ICEDisconnectedTimeout, o.ICEFailedTimeout, keepalive)
	}
	return se
}

// NewMediaOnNet is NewMedia on an emulated network (pion/transport vnet),
// for tests and benchmarks of congestion control over a bottleneck: the
// media port is opened on n at each of o.ListenIPs (required), and ICE
// uses n. The media-port admission filter and batched sends need real
// sockets and are not applied.
func NewMediaOnNet(o MediaOptions, n transport.Net) (*Media, error) {
	if n == nil || len(o.ListenIPs) == 0 {
		return nil, fmt.Errorf("%w: media on an emulated network needs the network and its listen IPs", ErrInvalidArgument)
	}
	ips, err := listenIPs(o)
	if err != nil {
		return nil, err
	}
	var muxes []ice.UDPMux
	for _, ip := range ips {
		conn, err := n.ListenUDP("udp4", &net.UDPAddr{IP: ip, Port: o.UDPPort})
		if err != nil {
			for _, m := range muxes {
				_ = m.Close()
			}
			return nil, fmt.Errorf("open media port %s:%d: %w", ip, o.UDPPort, err)
		}
		muxes = append(muxes, ice.NewUDPMuxDefault(ice.UDPMuxParams{UDPConn: conn, Net: n}))
	}
	mux := ice.NewMultiUDPMuxDefault(muxes...)
	se := settingEngine(o, mux)
	se.SetNet(n)
	return newMedia(se, mux, newAdmission(), nil)
}
