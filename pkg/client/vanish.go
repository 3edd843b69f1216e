package client

import (
	"net"
	"sync/atomic"

	transport "github.com/pion/transport/v4"
	"github.com/pion/transport/v4/stdnet"
)

// vanishNet is the client's network: the real one, with a switch that makes
// the client disappear from it without a goodbye (no DTLS close, no ICE
// answers), as a device does when its network drops. The node then has to
// notice on its own (ICE disconnected → failed).
type vanishNet struct {
	*stdnet.Net
	gone *atomic.Bool
}

func newVanishNet(gone *atomic.Bool) (*vanishNet, error) {
	n, err := stdnet.NewNet()
	if err != nil {
		return nil, err
	}
	return &vanishNet{Net: n, gone: gone}, nil
}

func (n *vanishNet) ListenUDP(network string, laddr *net.UDPAddr) (transport.UDPConn, error) {
	c, err := n.Net.ListenUDP(network, laddr)
	if err != nil {
		return nil, err
	}
	return &vanishConn{UDPConn: c, gone: n.gone}, nil
}

func (n *vanishNet) ListenPacket(network, address string) (net.PacketConn, error) {
	c, err := n.Net.ListenPacket(network, address)
	if err != nil {
		return nil, err
	}
	return &vanishPacketConn{PacketConn: c, gone: n.gone}, nil
}

// vanishConn drops everything in both directions once gone is set.
type vanishConn struct {
	transport.UDPConn
	gone *atomic.Bool
}

func (c *vanishConn) Write(p []byte) (int, error) {
	if c.gone.Load() {
		return len(p), nil
	}
	return c.UDPConn.Write(p)
}

func (c *vanishConn) WriteTo(p []byte, a net.Addr) (int, error) {
	if c.gone.Load() {
		return len(p), nil
	}
	return c.UDPConn.WriteTo(p, a)
}

func (c *vanishConn) WriteToUDP(p []byte, a *net.UDPAddr) (int, error) {
	if c.gone.Load() {
		return len(p), nil
	}
	return c.UDPConn.WriteToUDP(p, a)
}

func (c *vanishConn) ReadFrom(p []byte) (int, net.Addr, error) {
	for {
		n, a, err := c.UDPConn.ReadFrom(p)
		if err != nil || !c.gone.Load() {
			return n, a, err
		}
	}
}

func (c *vanishConn) ReadFromUDP(p []byte) (int, *net.UDPAddr, error) {
	for {
		n, a, err := c.UDPConn.ReadFromUDP(p)
		if err != nil || !c.gone.Load() {
			return n, a, err
		}
	}
}

func (c *vanishConn) Read(p []byte) (int, error) {
	for {
		n, err := c.UDPConn.Read(p)
		if err != nil || !c.gone.Load() {
			return n, err
		}
	}
}

type vanishPacketConn struct {
	net.PacketConn
	gone *atomic.Bool
}

func (c *vanishPacketConn) WriteTo(p []byte, a net.Addr) (int, error) {
	if c.gone.Load() {
		return len(p), nil
	}
	return c.PacketConn.WriteTo(p, a)
}

func (c *vanishPacketConn) ReadFrom(p []byte) (int, net.Addr, error) {
	for {
		n, a, err := c.PacketConn.ReadFrom(p)
		if err != nil || !c.gone.Load() {
			return n, a, err
		}
	}
}
