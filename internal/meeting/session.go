package meeting

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"
	"go.uber.org/zap"
)

// Session limits.
const (
	// outboundQueue is how many messages may wait for a slow browser; a
	// browser that falls further behind is disconnected rather than
	// silently missing messages.
	outboundQueue = 256
	// inboundQueue is how many of a browser's requests may wait for the
	// ones before them; more get resource_exhausted.
	inboundQueue = 16
)

// frame is one outbound item: a message, or the instruction to close the
// socket after everything queued before it was written.
type frame struct {
	data   []byte
	close  bool
	code   websocket.StatusCode
	reason string
}

// session is one browser's WebSocket. The handler goroutine reads; a
// worker applies the browser's requests in order; a writer sends; a pinger
// notices a browser that went silent.
type session struct {
	svc *Service
	ws  *websocket.Conn
	// logp names the browser once it joined; any goroutine reads it.
	logp atomic.Pointer[zap.Logger]
	out  chan frame
	in   chan inbound
	done chan struct{} // closed when the read loop ends

	// closeOnce guards the single close instruction to the writer;
	// closing is set once the socket is closing (any goroutine).
	closeOnce sync.Once
	closing   atomic.Bool

	// Owned by the worker goroutine; read by others only through the
	// meeting (under its lock) once attached.
	meeting       *meeting
	participantID string
	connID        string
}

type inbound struct {
	typ string
	raw []byte
}

func newSession(svc *Service, ws *websocket.Conn) *session {
	s := &session{
		svc:  svc,
		ws:   ws,
		out:  make(chan frame, outboundQueue),
		in:   make(chan inbound, inboundQueue),
		done: make(chan struct{}),
	}
	s.logp.Store(svc.log)
	return s
}

func (s *session) log() *zap.Logger { return s.logp.Load() }

// send queues a message without blocking (callers may hold a meeting's
// lock). A browser too slow to take its messages is disconnected; once the
// socket is closing, further messages are dropped.
func (s *session) send(v any) { s.sendEncoded(encode(v)) }

// sendEncoded is send for a message already encoded (broadcasts encode
// once for every browser).
func (s *session) sendEncoded(data []byte) {
	if s.closing.Load() {
		return
	}
	select {
	case s.out <- frame{data: data}:
	default:
		if s.closing.CompareAndSwap(false, true) {
			s.log().Warn("browser too slow, disconnecting")
			go s.ws.Close(websocket.StatusPolicyViolation, "too many unsent messages")
		}
	}
}

// finish queues v (if any) and then the close of the socket with code and
// a short fixed reason (the frame allows 123 bytes).
func (s *session) finish(v any, code websocket.StatusCode, reason string) {
	s.closeOnce.Do(func() {
		if v != nil {
			s.send(v)
		}
		if !s.closing.CompareAndSwap(false, true) {
			return
		}
		select {
		case s.out <- frame{close: true, code: code, reason: reason}:
		default:
			go s.ws.Close(code, reason)
		}
	})
}

func (s *session) sendError(re string, err error, fatal bool) {
	m := errorFor(re, err)
	m.Fatal = fatal
	if fatal {
		s.finish(m, websocket.StatusPolicyViolation, "fatal error")
		return
	}
	s.send(m)
}

// run serves the socket until it closes, then makes sure the browser's
// connection is gone from the node.
func (s *session) run(ctx context.Context) {
	var wg sync.WaitGroup
	wg.Add(3)
	go func() { defer wg.Done(); s.write(ctx) }()
	go func() { defer wg.Done(); s.ping(ctx) }()
	go func() { defer wg.Done(); s.work(ctx) }()
	s.read(ctx)
	close(s.done)
	wg.Wait()
	if s.meeting != nil {
		// Closed without a leave, or timed out: the node must not keep a
		// connection nobody signals for.
		s.leave(ReasonLeft, false)
	}
	_ = s.ws.CloseNow()
}

// read decodes the browser's frames and hands them to the worker.
func (s *session) read(ctx context.Context) {
	s.ws.SetReadLimit(MaxMessageBytes)
	for {
		typ, data, err := s.ws.Read(ctx)
		if err != nil {
			s.log().Debug("websocket closed", zap.Error(err))
			return
		}
		if typ != websocket.MessageText {
			s.sendError("", invalid("binary frames are not accepted: send one JSON object per text frame"), false)
			continue
		}
		var env envelope
		if err := json.Unmarshal(data, &env); err != nil {
			s.sendError("", invalid("not a JSON object: %v", err), false)
			continue
		}
		switch env.Type {
		case TypeJoin, TypeRoap, TypeMediaRequest, TypeMute, TypeFloor, TypeLeave:
		case "":
			s.sendError("", invalid("type is required"), false)
			continue
		default:
			s.sendError(truncate(env.Type, 40), invalid("unknown type %q", truncate(env.Type, 40)), false)
			continue
		}
		select {
		case s.in <- inbound{typ: env.Type, raw: data}:
		default:
			s.sendError(env.Type, errResourceExhausted, false)
		}
	}
}

var errResourceExhausted = errors.New("too many requests in flight: wait for the replies")

// write sends queued frames in order until a close instruction or the
// read loop ends.
func (s *session) write(ctx context.Context) {
	for {
		select {
		case f := <-s.out:
			if f.close {
				_ = s.ws.Close(f.code, f.reason)
				return
			}
			wctx, cancel := context.WithTimeout(ctx, s.svc.o.PingTimeout)
			err := s.ws.Write(wctx, websocket.MessageText, f.data)
			cancel()
			if err != nil {
				_ = s.ws.CloseNow()
				return
			}
		case <-s.done:
			return
		}
	}
}

// ping checks every PingInterval that the browser still answers; one that
// doesn't within PingTimeout is treated as gone.
func (s *session) ping(ctx context.Context) {
	t := time.NewTicker(s.svc.o.PingInterval)
	defer t.Stop()
	for {
		select {
		case <-s.done:
			return
		case <-t.C:
		}
		pctx, cancel := context.WithTimeout(ctx, s.svc.o.PingTimeout)
		err := s.ws.Ping(pctx)
		cancel()
		if err != nil {
			s.log().Info("browser did not answer ping, closing", zap.Error(err))
			_ = s.ws.CloseNow()
			return
		}
	}
}

// work applies the browser's requests one at a time, in order.
func (s *session) work(ctx context.Context) {
	for {
		select {
		case <-s.done:
			return
		case m := <-s.in:
			s.handle(ctx, m)
		}
	}
}

func (s *session) handle(ctx context.Context, m inbound) {
	if m.typ != TypeJoin && s.meeting == nil {
		s.sendError(m.typ, errNotJoined, false)
		return
	}
	var err error
	switch m.typ {
	case TypeJoin:
		var msg JoinMsg
		if err = decode(m.raw, &msg); err == nil {
			err = s.join(ctx, &msg)
		}
	case TypeRoap:
		var msg RoapMsg
		if err = decode(m.raw, &msg); err == nil {
			err = s.roap(ctx, &msg)
		}
	case TypeMediaRequest:
		var msg MediaRequestMsg
		if err = decode(m.raw, &msg); err == nil {
			err = s.mediaRequest(ctx, &msg)
		}
	case TypeMute:
		var msg MuteMsg
		if err = decode(m.raw, &msg); err == nil {
			err = s.mute(ctx, &msg)
		}
	case TypeFloor:
		var msg FloorMsg
		if err = decode(m.raw, &msg); err == nil {
			err = s.floor(ctx, &msg)
		}
	case TypeLeave:
		s.leave(ReasonLeft, true)
	}
	if err != nil {
		s.log().Debug("request failed", zap.String("type", m.typ), zap.Error(err))
		s.sendError(m.typ, err, false)
	}
}

var (
	errNotJoined     = errors.New("join a meeting first")
	errAlreadyJoined = errors.New("this socket already joined a meeting; open another socket for another meeting")
)

func decode(raw []byte, v any) error {
	if err := json.Unmarshal(raw, v); err != nil {
		return invalid("%v", err)
	}
	return nil
}

// newID returns a fresh random id with a prefix.
func newID(prefix string) string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return prefix + hex.EncodeToString(b[:])
}
