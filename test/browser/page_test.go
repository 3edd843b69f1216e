package browser

import (
	"context"
	"fmt"
	"strconv"
	"testing"
	"time"

	cdpruntime "github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

var yes = true

// What the test reads from a meeting page through window.switchyard.

type slotJS struct {
	Mid      string `json:"mid"`
	State    string `json:"state"`
	SourceID uint32 `json:"sourceId"`
	Layer    uint32 `json:"layer"`
}

type rosterSource struct {
	SourceID uint32 `json:"sourceId"`
	Kind     string `json:"kind"`
	Content  string `json:"content"`
	Muted    bool   `json:"muted"`
}

type rosterParticipant struct {
	ParticipantID string         `json:"participantId"`
	Name          string         `json:"name"`
	Sources       []rosterSource `json:"sources"`
}

type inboundJS struct {
	Mid              string  `json:"mid"`
	Kind             string  `json:"kind"`
	PacketsReceived  uint64  `json:"packetsReceived"`
	BytesReceived    uint64  `json:"bytesReceived"`
	FramesDecoded    uint64  `json:"framesDecoded"`
	FrameWidth       int     `json:"frameWidth"`
	FrameHeight      int     `json:"frameHeight"`
	TotalAudioEnergy float64 `json:"totalAudioEnergy"`
}

type midsJS struct {
	Audio      []string `json:"audio"`
	Main       string   `json:"main"`
	Thumbnails []string `json:"thumbnails"`
	Slides     string   `json:"slides"`
}

// snapshot is one read of a page's state and getStats.
type snapshot struct {
	State           string               `json:"state"`
	Reason          string               `json:"reason"`
	ConnectionState string               `json:"connectionState"`
	ParticipantID   string               `json:"participantId"`
	ConnectionID    string               `json:"connectionId"`
	Slots           []slotJS             `json:"slots"`
	Roster          []rosterParticipant  `json:"roster"`
	Mids            midsJS               `json:"mids"`
	Inbound         map[string]inboundJS `json:"inbound"`
	Outbound        []outboundJS         `json:"outbound"`
	Transport       map[string]any       `json:"transport"`
}

type outboundJS struct {
	Mid                     string `json:"mid"`
	Kind                    string `json:"kind"`
	Rid                     string `json:"rid"`
	FramesEncoded           uint64 `json:"framesEncoded"`
	FrameWidth              int    `json:"frameWidth"`
	Active                  bool   `json:"active"`
	QualityLimitationReason string `json:"qualityLimitationReason"`
}

const snapshotJS = `(async () => {
  const s = window.switchyard;
  const st = await s.stats();
  return {state: s.state, reason: s.reason, connectionState: s.connectionState,
    participantId: s.participantId, connectionId: s.connectionId,
    slots: s.slots, roster: s.roster, mids: s.mids, inbound: st.inbound,
    outbound: st.outbound, transport: st.transport};
})()`

// source returns participant's main source of kind (0 if none).
func (s snapshot) source(participantID, kind string) uint32 {
	return s.sourceOf(participantID, kind, "main")
}

// sourceOf returns participant's source of kind and content (0 if none).
func (s snapshot) sourceOf(participantID, kind, content string) uint32 {
	for _, p := range s.Roster {
		if p.ParticipantID != participantID {
			continue
		}
		for _, src := range p.Sources {
			if src.Kind == kind && src.Content == content {
				return src.SourceID
			}
		}
	}
	return 0
}

// slotShowing returns the slot whose source is id.
func (s snapshot) slotShowing(id uint32) (slotJS, bool) {
	for _, sl := range s.Slots {
		if id != 0 && sl.SourceID == id {
			return sl, true
		}
	}
	return slotJS{}, false
}

func (s snapshot) slot(mid string) slotJS {
	for _, sl := range s.Slots {
		if sl.Mid == mid {
			return sl
		}
	}
	return slotJS{Mid: mid}
}

func (s snapshot) hasParticipant(id string) bool {
	for _, p := range s.Roster {
		if p.ParticipantID == id {
			return true
		}
	}
	return false
}

// page is one Chromium participant. Its methods take the running (sub)test,
// which their waits fail.
type page struct {
	ctx  context.Context
	name string
	id   string // participant id of the current join
}

func (p *page) snap(t *testing.T) snapshot {
	t.Helper()
	return mustEval[snapshot](t, p.ctx, snapshotJS)
}

// wait polls the page's snapshot until ok accepts it.
func (p *page) wait(t *testing.T, timeout time.Duration, what string, ok func(snapshot) bool) snapshot {
	t.Helper()
	return waitFor(t, p.ctx, timeout, p.name+": "+what, snapshotJS, ok)
}

// call runs a window.switchyard method with JSON-encoded arguments.
func (p *page) call(t *testing.T, method string, args ...any) {
	t.Helper()
	expr := "window.switchyard." + method + "("
	for i, a := range args {
		if i > 0 {
			expr += ", "
		}
		switch v := a.(type) {
		case string:
			expr += strconv.Quote(v)
		default:
			expr += fmt.Sprint(v)
		}
	}
	expr += ")"
	// As a user gesture: screen capture, like a click, needs one.
	_, err := chromedp.Run(p.ctx, chromedp.Evaluate[any]("(async () => { await "+expr+"; return true; })()",
		chromedp.EvalAwaitPromise, func(p *cdpruntime.EvaluateParams) { p.UserGesture = &yes }))
	if err != nil {
		t.Fatalf("%s: %s: %v", p.name, expr, err)
	}
}
