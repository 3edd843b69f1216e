package meeting

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"sync"
	"time"

	"go.uber.org/zap"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	pb "github.com/switchyard-sfu/switchyard/api/proto/switchyard/v1"
)

// ErrNoNode means no reachable node accepts new meetings.
var ErrNoNode = errors.New("no media node is available for a new meeting")

// overloaded is the CPU share (cores used / cores) above which a node gets
// new meetings only when every other node is as busy.
const overloaded = 0.85

// node is one media node as the service sees it.
type node struct {
	addr string
	conn *grpc.ClientConn
	api  pb.MediaNodeClient

	// mu guards the fields below; written by polls and by events.
	mu        sync.Mutex
	info      *pb.NodeInfo // last successful GetNodeInfo; nil before
	reachable bool
	lastErr   error
	// drainingEvent is set when a room's events said node_draining; a
	// later poll that reports draining=false (a restarted node) clears it.
	drainingEvent bool
}

// id is the node's own id once known, else its address.
func (n *node) id() string {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.info != nil && n.info.GetNodeId() != "" {
		return n.info.GetNodeId()
	}
	return n.addr
}

func (n *node) markDraining() {
	n.mu.Lock()
	n.drainingEvent = true
	n.mu.Unlock()
}

// isDraining reports whether the node refuses new meetings.
func (n *node) isDraining() bool {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.drainingEvent || n.info.GetDraining()
}

// poll refreshes the node's info; an unreachable node is skipped for
// placement until a poll succeeds again.
func (n *node) poll(ctx context.Context, timeout time.Duration) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	info, err := n.api.GetNodeInfo(ctx, &pb.GetNodeInfoRequest{})
	n.mu.Lock()
	defer n.mu.Unlock()
	if err != nil {
		n.reachable, n.lastErr = false, err
		return
	}
	n.info, n.reachable, n.lastErr = info, true, nil
	if !info.GetDraining() {
		n.drainingEvent = false
	}
}

// candidate is a node's state at placement time.
type candidate struct {
	n     *node
	index int // position in the configuration: the last tie breaker
	info  *pb.NodeInfo
}

func (c candidate) cpuShare() float64 {
	if c.info.GetCpuCount() == 0 {
		return 0
	}
	return c.info.GetCpuCores() / float64(c.info.GetCpuCount())
}

// load is what placement minimizes: connections (the media cost) plus
// rooms, so that meetings still being joined count too.
func (c candidate) load() uint32 { return c.info.GetConnections() + c.info.GetRooms() }

// pool holds the configured nodes and places meetings on them.
type pool struct {
	nodes       []*node
	log         *zap.Logger
	callTimeout time.Duration
}

func newPool(addrs []string, dial []grpc.DialOption, callTimeout time.Duration, log *zap.Logger) (*pool, error) {
	p := &pool{log: log, callTimeout: callTimeout}
	seen := map[string]bool{}
	for _, a := range addrs {
		if seen[a] {
			return nil, fmt.Errorf("node %s is listed twice", a)
		}
		seen[a] = true
		conn, err := grpc.NewClient(a, dial...)
		if err != nil {
			p.close()
			return nil, fmt.Errorf("node %s: %w", a, err)
		}
		p.nodes = append(p.nodes, &node{addr: a, conn: conn, api: pb.NewMediaNodeClient(conn)})
	}
	return p, nil
}

func (p *pool) close() {
	for _, n := range p.nodes {
		_ = n.conn.Close()
	}
}

// pollAll refreshes every node's info concurrently.
func (p *pool) pollAll(ctx context.Context) {
	var wg sync.WaitGroup
	for _, n := range p.nodes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			n.poll(ctx, p.callTimeout)
		}()
	}
	wg.Wait()
}

// run polls every interval until ctx ends.
func (p *pool) run(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		p.pollAll(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// find returns the node that already hosts room, if any reachable one does.
// A meeting stays where it is even on a draining node.
func (p *pool) find(ctx context.Context, room string) (*node, error) {
	type hit struct {
		n   *node
		err error
	}
	res := make([]hit, len(p.nodes))
	var wg sync.WaitGroup
	for i, n := range p.nodes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			cctx, cancel := context.WithTimeout(ctx, p.callTimeout)
			defer cancel()
			_, err := n.api.GetRoom(cctx, &pb.GetRoomRequest{RoomId: room})
			res[i] = hit{n, err}
		}()
	}
	wg.Wait()
	for _, h := range res {
		if h.err == nil {
			return h.n, nil
		}
	}
	return nil, nil
}

// ranked returns the nodes that accept new meetings, best first: reachable,
// not draining, not overloaded before overloaded, then least load, then CPU,
// then configuration order.
func (p *pool) ranked() []candidate {
	var out []candidate
	for i, n := range p.nodes {
		n.mu.Lock()
		ok := n.reachable && n.info != nil && !n.info.GetDraining() && !n.drainingEvent
		info := n.info
		n.mu.Unlock()
		if ok {
			out = append(out, candidate{n: n, index: i, info: info})
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if ao, bo := a.cpuShare() >= overloaded, b.cpuShare() >= overloaded; ao != bo {
			return bo
		}
		if a.load() != b.load() {
			return a.load() < b.load()
		}
		if a.cpuShare() != b.cpuShare() {
			return a.cpuShare() < b.cpuShare()
		}
		return a.index < b.index
	})
	return out
}

// place puts a new room on the best node: it refreshes the nodes' load,
// then creates the room on the first node that accepts it. A node that
// refuses with UNAVAILABLE (draining, or gone since the poll) is skipped.
func (p *pool) place(ctx context.Context, room string) (*node, error) {
	p.pollAll(ctx)
	var errs []error
	for _, c := range p.ranked() {
		cctx, cancel := context.WithTimeout(ctx, p.callTimeout)
		_, err := c.n.api.CreateRoom(cctx, &pb.CreateRoomRequest{RoomId: room})
		cancel()
		if err == nil {
			p.log.Info("meeting placed", zap.String("meeting", room), zap.String("node", c.n.id()),
				zap.Uint32("connections", c.info.GetConnections()), zap.Uint32("rooms", c.info.GetRooms()))
			return c.n, nil
		}
		if status.Code(err) == codes.Unavailable {
			// Draining (its Drain raced our poll) or gone: skip it
			// until a poll says otherwise.
			c.n.mu.Lock()
			c.n.reachable, c.n.lastErr = false, err
			c.n.mu.Unlock()
		}
		if status.Code(err) == codes.AlreadyExists {
			// Created meanwhile by someone else with other options: it
			// lives there now.
			return c.n, nil
		}
		errs = append(errs, fmt.Errorf("%s: %w", c.n.addr, err))
	}
	if len(errs) > 0 {
		return nil, fmt.Errorf("%w (%v)", ErrNoNode, errors.Join(errs...))
	}
	return nil, ErrNoNode
}
