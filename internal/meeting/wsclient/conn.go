// Package wsclient speaks the meeting service's WebSocket protocol
// (docs/meeting-protocol.md) from Go, as a browser page does. Conn is the
// raw socket with a log of what arrived; Node adapts it to the node's gRPC
// client interface so that a pkg/client participant (a real pion peer) can
// join a meeting through the meeting service instead of the node's API.
package wsclient

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"

	"github.com/coder/websocket"
)

// Message is one message from the service: its type and the raw JSON.
type Message struct {
	Type string
	Raw  json.RawMessage
}

// Decode unmarshals the message into v.
func (m Message) Decode(v any) error { return json.Unmarshal(m.Raw, v) }

// Conn is one WebSocket to the meeting service. A goroutine reads every
// message into the log; Wait and Next find them.
type Conn struct {
	ws *websocket.Conn

	// mu guards the log and its change notification.
	mu      sync.Mutex
	log     []Message
	sent    [][]byte
	notify  chan struct{} // closed and replaced at every change
	readErr error         // why reading stopped; nil while open
	hooks   []func(Message)

	done chan struct{}
}

// Dial opens a WebSocket to url (ws://host/ws).
func Dial(ctx context.Context, url string) (*Conn, error) {
	ws, _, err := websocket.Dial(ctx, url, nil)
	if err != nil {
		return nil, err
	}
	ws.SetReadLimit(1 << 20)
	c := &Conn{ws: ws, notify: make(chan struct{}), done: make(chan struct{})}
	go c.read()
	return c, nil
}

// OnMessage registers f to see every message as it arrives, on the reading
// goroutine (before it is logged), so f must not block.
func (c *Conn) OnMessage(f func(Message)) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.hooks = append(c.hooks, f)
}

func (c *Conn) read() {
	defer close(c.done)
	for {
		_, data, err := c.ws.Read(context.Background())
		if err != nil {
			c.mu.Lock()
			c.readErr = err
			close(c.notify)
			c.notify = make(chan struct{})
			c.mu.Unlock()
			return
		}
		var env struct {
			Type string `json:"type"`
		}
		_ = json.Unmarshal(data, &env)
		m := Message{Type: env.Type, Raw: data}
		c.mu.Lock()
		for _, f := range c.hooks {
			f(m)
		}
		c.log = append(c.log, m)
		close(c.notify)
		c.notify = make(chan struct{})
		c.mu.Unlock()
	}
}

// Send writes v as one JSON text frame.
func (c *Conn) Send(ctx context.Context, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return c.SendRaw(ctx, b)
}

// SendRaw writes data as one text frame as it is (malformed input tests).
func (c *Conn) SendRaw(ctx context.Context, data []byte) error {
	if err := c.ws.Write(ctx, websocket.MessageText, data); err != nil {
		return err
	}
	c.mu.Lock()
	c.sent = append(c.sent, data)
	c.mu.Unlock()
	return nil
}

// Sent returns every frame sent so far.
func (c *Conn) Sent() [][]byte {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([][]byte(nil), c.sent...)
}

// Messages returns everything received so far.
func (c *Conn) Messages() []Message {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]Message(nil), c.log...)
}

// ErrClosed is returned by Wait when the socket closed before a match.
var ErrClosed = errors.New("wsclient: socket closed")

// Wait returns the first message at index from or later that match
// accepts, and its index; it waits for one until ctx ends or the socket
// closes. match runs under the Conn's lock: it must not call the Conn.
func (c *Conn) Wait(ctx context.Context, from int, match func(Message) bool) (Message, int, error) {
	for {
		c.mu.Lock()
		for i := from; i < len(c.log); i++ {
			if match(c.log[i]) {
				m := c.log[i]
				c.mu.Unlock()
				return m, i, nil
			}
		}
		from = max(from, len(c.log))
		changed, rerr := c.notify, c.readErr
		c.mu.Unlock()
		if rerr != nil {
			return Message{}, 0, fmt.Errorf("%w: %v", ErrClosed, rerr)
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return Message{}, 0, ctx.Err()
		}
	}
}

// Len is the number of messages received so far (a starting point for
// Wait).
func (c *Conn) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.log)
}

// OfType matches messages of one type.
func OfType(t string) func(Message) bool { return func(m Message) bool { return m.Type == t } }

// Closed returns a channel closed when the socket is closed.
func (c *Conn) Closed() <-chan struct{} { return c.done }

// CloseStatus is the close code the service sent, or -1.
func (c *Conn) CloseStatus() websocket.StatusCode {
	c.mu.Lock()
	defer c.mu.Unlock()
	return websocket.CloseStatus(c.readErr)
}

// Close closes the socket normally and waits for the reader.
func (c *Conn) Close() {
	_ = c.ws.Close(websocket.StatusNormalClosure, "")
	<-c.done
}

// CloseNow drops the socket without a close frame, as a browser whose tab
// crashed would.
func (c *Conn) CloseNow() {
	_ = c.ws.CloseNow()
	<-c.done
}
