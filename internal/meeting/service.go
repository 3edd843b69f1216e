// Package meeting is the reference meeting service: browsers join meetings
// over a WebSocket (docs/meeting-protocol.md), and the service places each
// meeting on a media node, drives the node over gRPC, relays ROAP both
// ways and forwards each room's events to the right browsers. It holds no
// media.
package meeting

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"sync"
	"time"

	"github.com/coder/websocket"
	"go.uber.org/zap"
	"google.golang.org/grpc"
)

// ErrClosed is returned for joins after Close.
var ErrClosed = errors.New("meeting service is shutting down")

// Options configure a Service.
type Options struct {
	// Nodes are the media nodes' gRPC addresses (host:port); required.
	Nodes []string
	// DialOptions carry the nodes' transport credentials (TLS, token, or
	// insecure for loopback); required.
	DialOptions []grpc.DialOption
	// Static is the page tree: index.html (lobby), room.html (meeting page)
	// and the files they load. Nil serves no pages.
	Static fs.FS
	// PollInterval is how often every node's GetNodeInfo is refreshed
	// (default 5 s); placement refreshes it too.
	PollInterval time.Duration
	// PingInterval and PingTimeout: the service pings each browser every
	// PingInterval and treats one that doesn't answer within PingTimeout
	// as gone (defaults 10 s and 20 s).
	PingInterval, PingTimeout time.Duration
	// CallTimeout bounds each node call (default 20 s: a join waits for the
	// node's ICE gathering).
	CallTimeout time.Duration
	// LeaveTimeout bounds the Leave for a browser that went away (default 5 s).
	LeaveTimeout time.Duration
	// OriginPatterns lists extra hosts allowed to open the WebSocket from
	// another origin (same-origin is always allowed).
	OriginPatterns []string
	Logger         *zap.Logger
}

func (o *Options) defaults() error {
	if len(o.Nodes) == 0 {
		return errors.New("meeting: at least one node address is required")
	}
	if len(o.DialOptions) == 0 {
		return errors.New("meeting: DialOptions must carry the nodes' transport credentials")
	}
	if o.Logger == nil {
		o.Logger = zap.NewNop()
	}
	for _, d := range []struct {
		v   *time.Duration
		def time.Duration
	}{{&o.PollInterval, 5 * time.Second}, {&o.PingInterval, 10 * time.Second}, {&o.PingTimeout, 20 * time.Second},
		{&o.CallTimeout, 20 * time.Second}, {&o.LeaveTimeout, 5 * time.Second}} {
		if *d.v <= 0 {
			*d.v = d.def
		}
	}
	return nil
}

// Service is the meeting service. Serve its Handler; Close it to end
// every session (each browser's connection leaves its node).
type Service struct {
	o    Options
	log  *zap.Logger
	pool *pool
	mux  *http.ServeMux

	ctx    context.Context // ends at Close: node calls, relays, polling
	cancel context.CancelFunc
	bg     sync.WaitGroup // the poller and teardowns
	conns  sync.WaitGroup // WebSocket handlers

	// mu guards the maps and closed.
	mu       sync.Mutex
	closed   bool
	meetings map[string]*meetingRef
	closing  map[string]chan struct{} // teardowns in progress, by meeting
	sessions map[*session]struct{}
}

type meetingRef struct {
	m    *meeting
	refs int // browsers joining or joined
}

// New connects to the nodes (lazily: an unreachable node is skipped until
// it answers) and starts polling their load.
func New(o Options) (*Service, error) {
	if err := o.defaults(); err != nil {
		return nil, err
	}
	p, err := newPool(o.Nodes, o.DialOptions, o.CallTimeout, o.Logger)
	if err != nil {
		return nil, err
	}
	s := &Service{o: o, log: o.Logger, pool: p, meetings: map[string]*meetingRef{},
		closing: map[string]chan struct{}{}, sessions: map[*session]struct{}{}}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	s.mux = s.routes()
	s.bg.Add(1)
	go func() {
		defer s.bg.Done()
		p.run(s.ctx, o.PollInterval)
	}()
	return s, nil
}

// Handler serves the pages and the WebSocket.
func (s *Service) Handler() http.Handler { return s.mux }

// Close ends every session (each browser gets a fatal `error`, its
// connection leaves the node), stops the relays and polling, and closes the
// node connections.
func (s *Service) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	for sess := range s.sessions {
		sess.sendError("", ErrClosed, true)
	}
	s.mu.Unlock()
	s.conns.Wait()
	s.cancel()
	s.bg.Wait()
	s.pool.close()
	return nil
}

// handleWS upgrades to a WebSocket and serves one browser until it goes.
func (s *Service) handleWS(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		http.Error(w, ErrClosed.Error(), http.StatusServiceUnavailable)
		return
	}
	s.conns.Add(1)
	s.mu.Unlock()
	defer s.conns.Done()
	ws, err := websocket.Accept(w, r, &websocket.AcceptOptions{OriginPatterns: s.o.OriginPatterns})
	if err != nil {
		s.log.Debug("websocket upgrade refused", zap.Error(err))
		return
	}
	sess := newSession(s, ws)
	s.mu.Lock()
	s.sessions[sess] = struct{}{}
	closed := s.closed
	s.mu.Unlock()
	if closed {
		sess.sendError("", ErrClosed, true)
	}
	sess.run(s.ctx)
	s.mu.Lock()
	delete(s.sessions, sess)
	s.mu.Unlock()
}

// acquire returns the meeting called name, creating it, and counts the
// caller in until release.
func (s *Service) acquire(name string) (*meeting, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil, ErrClosed
	}
	ref, ok := s.meetings[name]
	if !ok {
		ref = &meetingRef{m: newMeeting(s, name)}
		s.meetings[name] = ref
	}
	ref.refs++
	return ref.m, nil
}

// release counts the caller out; the last one out tears the meeting down.
func (s *Service) release(m *meeting) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ref, ok := s.meetings[m.name]
	if !ok || ref.m != m {
		return
	}
	if ref.refs--; ref.refs > 0 {
		return
	}
	delete(s.meetings, m.name)
	done := make(chan struct{})
	s.closing[m.name] = done
	s.bg.Add(1)
	go func() {
		defer s.bg.Done()
		m.teardown()
		s.mu.Lock()
		delete(s.closing, m.name)
		s.mu.Unlock()
		close(done)
	}()
}

// waitTeardown waits until a previous incarnation of the meeting is torn
// down, so a new one never races it on the node.
func (s *Service) waitTeardown(ctx context.Context, name string) error {
	s.mu.Lock()
	done := s.closing[name]
	s.mu.Unlock()
	if done == nil {
		return nil
	}
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("meeting %s is still ending: %w", name, ctx.Err())
	}
}
