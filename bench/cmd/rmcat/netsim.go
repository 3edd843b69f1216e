package main

import (
	"fmt"
	"net"
	"sync/atomic"
	"time"

	"github.com/pion/logging"
	transport "github.com/pion/transport/v4"
	"github.com/pion/transport/v4/vnet"
)

// Addresses on the emulated network.
const (
	nodeIP     = "10.10.0.1"
	receiverIP = "10.10.0.3"
)

// network is the emulated network of the test: the node and the
// publishers on one router; everything towards the receiver crosses a
// one-way delay and a token bucket whose rate follows the schedule.
type network struct {
	wan          *vnet.Router
	node, rx     *vnet.Net
	pubs         []*vnet.Net
	tbf          *vnet.TBFQueue
	queue        *vnet.Queue
	delay        *vnet.DelayFilter
	queueTime    time.Duration
	offered      atomic.Uint64 // bytes routed towards the receiver (before the bottleneck)
	delivered    atomic.Uint64 // bytes the receiver read (after it)
	receiverView *countingNet
}

func newNetwork(publishers int, rate int, delay, queue time.Duration) (*network, error) {
	lf := logging.NewDefaultLoggerFactory()
	lf.DefaultLogLevel = logging.LogLevelError
	n := &network{queueTime: queue}
	var err error
	if n.wan, err = vnet.NewRouter(&vnet.RouterConfig{CIDR: "10.10.0.0/24", LoggerFactory: lf}); err != nil {
		return nil, err
	}
	newNet := func(ip string) (*vnet.Net, error) {
		return vnet.NewNet(&vnet.NetConfig{StaticIPs: []string{ip}})
	}
	if n.node, err = newNet(nodeIP); err != nil {
		return nil, err
	}
	if err := n.wan.AddNet(n.node); err != nil {
		return nil, err
	}
	for i := range publishers {
		p, err := newNet(fmt.Sprintf("10.10.0.%d", 10+i))
		if err != nil {
			return nil, err
		}
		if err := n.wan.AddNet(p); err != nil {
			return nil, err
		}
		n.pubs = append(n.pubs, p)
	}
	if n.rx, err = newNet(receiverIP); err != nil {
		return nil, err
	}
	n.tbf = vnet.NewTBFQueue(rate, 1500, n.queueBytes(rate))
	if n.queue, err = vnet.NewQueue(n.rx, n.tbf); err != nil {
		return nil, err
	}
	if n.delay, err = vnet.NewDelayFilter(n.queue, vnet.WithDelay(delay)); err != nil {
		return nil, err
	}
	if err := n.wan.AddNet(n.delay); err != nil {
		return nil, err
	}
	rxIP := net.ParseIP(receiverIP)
	n.wan.AddChunkFilter(func(c vnet.Chunk) bool {
		if a, ok := c.DestinationAddr().(*net.UDPAddr); ok && a.IP.Equal(rxIP) {
			n.offered.Add(uint64(len(c.UserData())))
		}
		return true
	})
	n.receiverView = &countingNet{Net: n.rx, n: &n.delivered}
	return n, n.wan.Start()
}

// queueBytes is the bottleneck queue at rate: queueTime worth of bytes.
func (n *network) queueBytes(rate int) int64 {
	return int64(float64(rate) / 8 * n.queueTime.Seconds())
}

func (n *network) setRate(rate int) {
	n.tbf.SetSize(n.queueBytes(rate))
	n.tbf.SetRate(rate)
}

func (n *network) close() {
	_ = n.wan.Stop()
	_ = n.delay.Close()
	_ = n.queue.Close()
}

// countingNet is the receiver's view of the network: it counts the bytes
// its sockets read, that is what crossed the bottleneck.
type countingNet struct {
	*vnet.Net
	n *atomic.Uint64
}

func (c *countingNet) ListenUDP(network string, laddr *net.UDPAddr) (transport.UDPConn, error) {
	conn, err := c.Net.ListenUDP(network, laddr)
	if err != nil {
		return nil, err
	}
	return &countingConn{UDPConn: conn, n: c.n}, nil
}

func (c *countingNet) ListenPacket(network, address string) (net.PacketConn, error) {
	conn, err := c.Net.ListenPacket(network, address)
	if err != nil {
		return nil, err
	}
	return &countingPacketConn{PacketConn: conn, n: c.n}, nil
}

type countingConn struct {
	transport.UDPConn
	n *atomic.Uint64
}

func (c *countingConn) ReadFrom(p []byte) (int, net.Addr, error) {
	k, a, err := c.UDPConn.ReadFrom(p)
	c.n.Add(uint64(max(k, 0)))
	return k, a, err
}

func (c *countingConn) ReadFromUDP(p []byte) (int, *net.UDPAddr, error) {
	k, a, err := c.UDPConn.ReadFromUDP(p)
	c.n.Add(uint64(max(k, 0)))
	return k, a, err
}

func (c *countingConn) Read(p []byte) (int, error) {
	k, err := c.UDPConn.Read(p)
	c.n.Add(uint64(max(k, 0)))
	return k, err
}

type countingPacketConn struct {
	net.PacketConn
	n *atomic.Uint64
}

func (c *countingPacketConn) ReadFrom(p []byte) (int, net.Addr, error) {
	k, a, err := c.PacketConn.ReadFrom(p)
	c.n.Add(uint64(max(k, 0)))
	return k, a, err
}
