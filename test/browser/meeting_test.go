package browser

import (
	"bytes"
	"context"
	"fmt"
	"net/url"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	pb "github.com/switchyard-sfu/switchyard/api/proto/switchyard/v1"
)

// Bounds of the waits. Generous: three Chromiums, the node, the race
// instrumented test process and the rest of the suite share two cores. Each wait returns as
// soon as its condition holds.
const (
	joinTimeout = 90 * time.Second
	stepTimeout = 60 * time.Second
)

// minFrames is how many more frames (and audio packets) a slot must decode
// between two reads to count as flowing.
const minFrames = 10

// TestBrowserMeeting: three headless Chromium participants hold a meeting
// through the meeting service and a node process, and the test checks,
// from the pages' getStats and DOM and the node's GetRoom, that
//  1. everyone decodes video from the others and receives their audio;
//  2. Chromium's simulcast reaches the node as 3 layers;
//  3. shrinking a slot's requested size forwards a lower layer (the
//     receiver's frame width drops) and enlarging it switches back;
//  4. a participant who stops its camera, or whose camera another
//     participant mutes, is an avatar on the others' tiles;
//  5. a participant reloading its page rejoins and media resumes;
//  6. a screenshot of a page is written as an artifact;
//
// and the page's screen share (slides slot, floor), its media request on
// window resize, ICE restart, and pinning by clicking tiles.
func TestBrowserMeeting(t *testing.T) {
	chromiumPath(t) // skip (or fail on CI) before starting anything
	checkLeaks(t)
	st := startStack(t)
	browser := startBrowser(t)

	const room = "browser-e2e"
	// Participants join one by one, each connected before the next opens,
	// so that three browser start-ups don't compete for the two cores.
	var pages []*page
	for _, name := range []string{"Ada", "Bob", "Cy"} {
		start := time.Now()
		u := st.url + "/room/" + room + "?name=" + url.QueryEscape(name)
		p := &page{ctx: newPage(t, browser, name, u), name: name}
		pages = append(pages, p)
		s := p.wait(t, joinTimeout, "joined and connected with everyone so far in the roster", func(s snapshot) bool {
			return s.State == "joined" && s.ConnectionState == "connected" && len(s.Roster) == len(pages)
		})
		p.id = s.ParticipantID
		t.Logf("%s joined and connected %v after the page opened", name, time.Since(start).Round(time.Millisecond))
		// Each participant has its own window, so no page is a hidden
		// (throttled) background tab.
		if v := mustEval[string](t, p.ctx, "document.visibilityState"); v != "visible" {
			t.Fatalf("%s: page is %s, want visible", p.name, v)
		}
	}
	ada, bob, cy := pages[0], pages[1], pages[2]

	if !t.Run("media flows between everyone", func(t *testing.T) { mediaFlows(t, pages) }) {
		return
	}
	if !t.Run("simulcast reaches the node as three layers", func(t *testing.T) {
		simulcastAtNode(t, st.node, room, pages)
	}) {
		return
	}
	if !t.Run("screenshot artifact", func(t *testing.T) { writeScreenshot(t, ada, "meeting-ada") }) {
		return
	}
	if !t.Run("slot size picks the layer", func(t *testing.T) { layerFollowsSize(t, st.node, room, ada, bob) }) {
		return
	}
	if !t.Run("stopped camera is an avatar", func(t *testing.T) { cameraMuteShowsAvatar(t, cy, cy, []*page{ada, bob}) }) {
		return
	}
	if !t.Run("camera muted by another is an avatar", func(t *testing.T) { cameraMuteShowsAvatar(t, cy, bob, []*page{ada, bob}) }) {
		return
	}
	if !t.Run("screen share reaches the slides slots", func(t *testing.T) { screenShare(t, ada, []*page{bob, cy}) }) {
		return
	}
	if !t.Run("resizing the window re-requests the slots", func(t *testing.T) { resizeRequests(t, cy) }) {
		return
	}
	if !t.Run("ICE restart keeps media flowing", func(t *testing.T) { iceRestart(t, cy, pages) }) {
		return
	}
	if !t.Run("reload rejoins and media resumes", func(t *testing.T) { reloadRejoins(t, st.node, room, bob, pages) }) {
		return
	}
	// Ada's main slot was pinned to Bob's old camera (layer test).
	t.Run("clicking tiles unpins and pins", func(t *testing.T) { clickPins(t, ada, cy) })
}

// mediaFlows waits until every page decodes video from every other
// participant (framesDecoded increasing) and receives their audio (packets
// increasing, audio energy decoded).
func mediaFlows(t *testing.T, pages []*page) {
	for _, p := range pages {
		var others []string
		for _, q := range pages {
			if q != p {
				others = append(others, q.id)
			}
		}
		// mids that carry each other participant's video and audio.
		first := p.wait(t, stepTimeout, "live video and audio from the others", func(s snapshot) bool {
			for _, id := range others {
				for _, kind := range []string{"video", "audio"} {
					sl, ok := s.slotShowing(s.source(id, kind))
					if !ok || sl.State != "live" || s.Inbound[sl.Mid].PacketsReceived == 0 {
						return false
					}
				}
			}
			return true
		})
		p.wait(t, stepTimeout, "frames decoded and audio received increasing", func(s snapshot) bool {
			for _, id := range others {
				v, ok := s.slotShowing(s.source(id, "video"))
				if !ok || v.State != "live" || s.Inbound[v.Mid].FramesDecoded < first.Inbound[v.Mid].FramesDecoded+minFrames {
					return false
				}
				a, ok := s.slotShowing(s.source(id, "audio"))
				if !ok || a.State != "live" || s.Inbound[a.Mid].PacketsReceived < first.Inbound[a.Mid].PacketsReceived+minFrames ||
					s.Inbound[a.Mid].TotalAudioEnergy <= 0 {
					return false
				}
			}
			return true
		})
	}
}

// simulcastAtNode waits until the node lists every participant's camera
// with three RID layers q, h, f of growing size (the node knows a layer's
// size once it has received the layer's frames), all active at once.
// Chromium sends its top layer only when its send-side bandwidth estimate
// allows it, so the log says how long that took and what each page's
// estimate was (availableOutgoingBitrate), for comparing runs; a timeout
// logs what every page sends and its estimate.
func simulcastAtNode(t *testing.T, node pb.MediaNodeClient, room string, pages []*page) {
	t.Helper()
	start := time.Now()
	deadline := start.Add(stepTimeout)
	var last string
	for {
		ok, why := threeLayers(node, room, len(pages))
		if ok {
			t.Logf("three layers from every camera after %v: %s", time.Since(start).Round(100*time.Millisecond), why)
			for _, p := range pages {
				s := p.snap(t)
				t.Logf("%s: send-side bandwidth estimate %v bit/s", p.name, s.Transport["availableOutgoingBitrate"])
			}
			return
		}
		last = why
		if time.Now().After(deadline) {
			for _, p := range pages {
				s := p.snap(t)
				t.Logf("%s sends %+v; transport %v", p.name, s.Outbound, s.Transport)
			}
			t.Fatalf("simulcast at the node: %s", last)
		}
		time.Sleep(pollInterval)
	}
}

// threeLayers checks GetRoom once; it says what is missing, or on success
// what each camera sends.
func threeLayers(node pb.MediaNodeClient, room string, participants int) (bool, string) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	r, err := node.GetRoom(ctx, &pb.GetRoomRequest{RoomId: room})
	if err != nil {
		return false, err.Error()
	}
	cameras := 0
	var sent []string
	for _, p := range r.GetParticipants() {
		for _, d := range p.GetDevices() {
			for _, tr := range d.GetPublishedTracks() {
				if tr.GetKind() != pb.TrackKind_TRACK_KIND_VIDEO || tr.GetContent() == pb.MediaContent_MEDIA_CONTENT_SLIDES {
					continue
				}
				ls := tr.GetLayers()
				if len(ls) != 3 {
					return false, p.GetDisplayName() + ": " + tr.String()
				}
				for i, want := range []string{"q", "h", "f"} {
					if ls[i].GetRid() != want || !ls[i].GetActive() || ls[i].GetWidth() == 0 {
						return false, p.GetDisplayName() + ": " + tr.String()
					}
					if i > 0 && ls[i].GetWidth() <= ls[i-1].GetWidth() {
						return false, p.GetDisplayName() + ": layer widths not growing: " + tr.String()
					}
				}
				sent = append(sent, fmt.Sprintf("%s publishes %s %dx%d / %dx%d / %dx%d", p.GetDisplayName(), tr.GetMimeType(),
					ls[0].GetWidth(), ls[0].GetHeight(), ls[1].GetWidth(), ls[1].GetHeight(), ls[2].GetWidth(), ls[2].GetHeight()))
				cameras++
			}
		}
	}
	if cameras != participants {
		return false, "cameras published: " + r.String()
	}
	return true, strings.Join(sent, "; ")
}

func writeScreenshot(t *testing.T, p *page, name string) {
	path := screenshot(t, p.ctx, name)
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(b, []byte("\x89PNG\r\n\x1a\n")) || len(b) < 1000 {
		t.Fatalf("%s is not a plausible PNG (%d bytes)", path, len(b))
	}
	t.Logf("screenshot of %s's page: %s", p.name, path)
}

// layerFollowsSize pins the publisher's video in the viewer's main slot and
// changes the slot's requested size: small forwards the lowest layer, large
// a higher one, and the decoded frame width follows: each wait ends when the
// viewer decodes frames as wide as the node says the forwarded layer is
// (under CPU load Chromium may scale its layers, so the widths are read from
// the node, not assumed).
func layerFollowsSize(t *testing.T, node pb.MediaNodeClient, room string, viewer, publisher *page) {
	s := viewer.snap(t)
	main := s.Mids.Main
	src := s.source(publisher.id, "video")
	if main == "" || src == 0 {
		t.Fatalf("main slot %q, %s's video source %d", main, publisher.name, src)
	}
	viewer.call(t, "pin", main, src)
	viewer.call(t, "setSlotMaxFs", main, 8192)
	wide := waitLayer(t, node, room, viewer, main, src, "a high layer when large", func(l uint32) bool { return l >= 1 })
	// The tile says whose video it is and at what size.
	label := mustEval[string](t, viewer.ctx, `document.querySelector('.tile[data-mid="`+main+`"] .name').textContent`)
	res := mustEval[string](t, viewer.ctx, `document.querySelector('.tile[data-mid="`+main+`"] .res').textContent`)
	if label != publisher.name || res == "" {
		t.Errorf("main tile label %q, resolution %q; want %s and a size", label, res, publisher.name)
	}
	viewer.call(t, "setSlotMaxFs", main, 60)
	narrow := waitLayer(t, node, room, viewer, main, src, "the lowest layer when small", func(l uint32) bool { return l == 0 })
	viewer.call(t, "setSlotMaxFs", main, 8192)
	back := waitLayer(t, node, room, viewer, main, src, "a high layer when large again", func(l uint32) bool { return l >= 1 })
	if narrow >= wide || back <= narrow {
		t.Errorf("frame widths %d → %d → %d: want a drop and a rise", wide, narrow, back)
	}
	t.Logf("main slot frame width: large %dpx → small %dpx → large %dpx", wide, narrow, back)
}

// waitLayer waits until the viewer's slot mid is live with src at a layer
// that layerOK accepts and decodes frames of that layer's width (as the
// node measures the publisher's layers); it returns the width.
func waitLayer(t *testing.T, node pb.MediaNodeClient, room string, viewer *page, mid string, src uint32, what string, layerOK func(uint32) bool) int {
	t.Helper()
	deadline := time.Now().Add(stepTimeout)
	for {
		s := viewer.snap(t)
		sl := s.slot(mid)
		got := s.Inbound[mid].FrameWidth
		widths := layerWidths(node, room, src)
		if sl.State == "live" && sl.SourceID == src && layerOK(sl.Layer) && int(sl.Layer) < len(widths) &&
			got > 0 && got == int(widths[sl.Layer]) {
			return got
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: slot %s: timed out waiting for %s: slot %+v, frame width %d, node layer widths %v",
				viewer.name, mid, what, sl, got, widths)
		}
		time.Sleep(pollInterval)
	}
}

// layerWidths returns the widths of source id's layers as the node sees
// them (nil if unknown).
func layerWidths(node pb.MediaNodeClient, room string, id uint32) []uint32 {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	r, err := node.GetRoom(ctx, &pb.GetRoomRequest{RoomId: room})
	if err != nil {
		return nil
	}
	for _, p := range r.GetParticipants() {
		for _, d := range p.GetDevices() {
			for _, tr := range d.GetPublishedTracks() {
				if tr.GetSourceId() != id {
					continue
				}
				var w []uint32
				for _, l := range tr.GetLayers() {
					w = append(w, l.GetWidth())
				}
				return w
			}
		}
	}
	return nil
}

// cameraMuteShowsAvatar: the publisher's camera is muted by muter (itself or
// another participant); every viewer's slot for it turns avatar, in the slot
// status and on the tile, and the publisher's page knows it is muted;
// unmuting makes it live again.
func cameraMuteShowsAvatar(t *testing.T, publisher, muter *page, viewers []*page) {
	mute := func(muted bool) {
		if muter == publisher {
			muter.call(t, "setMuted", "video", muted)
		} else {
			muter.call(t, "setMuted", "video", muted, publisher.id)
		}
	}
	mute(true)
	for _, v := range viewers {
		s := v.wait(t, stepTimeout, publisher.name+"'s tile is an avatar", func(s snapshot) bool {
			sl, ok := s.slotShowing(s.source(publisher.id, "video"))
			return ok && sl.State == "avatar"
		})
		src := s.source(publisher.id, "video")
		type tileDOM struct {
			State, Avatar string
			AvatarHidden  bool
			VideoHidden   bool
		}
		dom := waitFor(t, v.ctx, stepTimeout, v.name+": avatar tile in the DOM", `(() => {
		  const el = document.querySelector('.tile[data-source-id="`+strconv.FormatUint(uint64(src), 10)+`"]');
		  return el ? {state: el.dataset.state, avatar: el.querySelector('.avatar').textContent,
		    avatarHidden: el.querySelector('.avatar').hidden, videoHidden: el.querySelector('video').hidden} : null;
		})()`, func(d *tileDOM) bool { return d != nil && d.State == "avatar" })
		if dom.AvatarHidden || !dom.VideoHidden || dom.Avatar != publisher.name[:1] {
			t.Errorf("%s: avatar tile %+v: want the avatar (initial %s) shown and the video hidden", v.name, *dom, publisher.name[:1])
		}
	}
	// The publisher's own page follows a mute by someone else too.
	waitFor(t, publisher.ctx, stepTimeout, publisher.name+": camera shown as muted", `({muted: window.switchyard.muted.video,
	  pressed: document.getElementById('cam').getAttribute('aria-pressed')})`,
		func(v struct {
			Muted   bool
			Pressed string
		}) bool {
			return v.Muted && v.Pressed == "true"
		})
	if muter == publisher {
		writeScreenshot(t, viewers[0], "avatar-"+viewers[0].name)
	}
	mute(false)
	for _, v := range viewers {
		v.wait(t, stepTimeout, publisher.name+"'s video live again", func(s snapshot) bool {
			sl, ok := s.slotShowing(s.source(publisher.id, "video"))
			return ok && sl.State == "live"
		})
	}
}

// screenShare: the sharer shares its screen (getDisplayMedia, a new m-line
// marked a=content:slides through a ROAP renegotiation, then the floor);
// every viewer's slides slot shows it and decodes frames; stopping the
// share (m-line inactive, floor released) ends the share source and empties
// the slot. Sharing again reuses the m-line.
func screenShare(t *testing.T, sharer *page, viewers []*page) {
	for round := 1; round <= 2; round++ {
		sharer.call(t, "share")
		for _, v := range viewers {
			first := v.wait(t, stepTimeout, fmt.Sprintf("%s's share in the slides slot (round %d)", sharer.name, round), func(s snapshot) bool {
				src := s.sourceOf(sharer.id, "video", "slides")
				sl := s.slot(s.Mids.Slides)
				return src != 0 && sl.State == "live" && sl.SourceID == src && s.Inbound[s.Mids.Slides].FramesDecoded > 0
			})
			mid := first.Mids.Slides
			v.wait(t, stepTimeout, "share frames decoded increasing", func(s snapshot) bool {
				return s.slot(mid).State == "live" && s.Inbound[mid].FramesDecoded > first.Inbound[mid].FramesDecoded
			})
			if h := mustEval[string](t, v.ctx, "window.switchyard.floorHolder"); h != sharer.id {
				t.Errorf("%s: floor holder %q, want %s", v.name, h, sharer.id)
			}
			if !mustEval[bool](t, v.ctx, `getComputedStyle(document.querySelector('.tile.slides')).display !== 'none'`) {
				t.Errorf("%s: the slides tile is hidden while it is live", v.name)
			}
		}
		sharer.call(t, "stopShare")
		for _, v := range viewers {
			v.wait(t, stepTimeout, "share gone from the roster and the slides slot", func(s snapshot) bool {
				return s.slot(s.Mids.Slides).State == "no source" && s.sourceOf(sharer.id, "video", "slides") == 0
			})
		}
	}
}

// resizeRequests: making the window smaller sends a new media request with
// smaller tiles (maxFs), which the node acknowledges; restoring it
// requests the larger size again.
func resizeRequests(t *testing.T, p *page) {
	type request struct {
		Slots []string
		MaxFs int
	}
	type state struct {
		RequestSeq  int
		LastRequest []request
		LastAck     *struct {
			Seq     int
			Applied bool
		}
	}
	const expr = `({requestSeq: window.switchyard.requestSeq, lastRequest: window.switchyard.lastRequest, lastAck: window.switchyard.lastAck})`
	mainMaxFs := func(s state) int {
		mid := p.snap(t).Mids.Main
		for _, r := range s.LastRequest {
			if len(r.Slots) == 1 && r.Slots[0] == mid {
				return r.MaxFs
			}
		}
		return 0
	}
	acked := func(s state) bool { return s.LastAck != nil && s.LastAck.Seq == s.RequestSeq && s.LastAck.Applied }
	before := mustEval[state](t, p.ctx, expr)
	large := mainMaxFs(before)
	if large == 0 {
		t.Fatalf("no main slot entry in the last request %+v", before.LastRequest)
	}
	size := mustEval[[]int64](t, p.ctx, `[innerWidth, innerHeight]`)
	if err := chromedp.Do(p.ctx, chromedp.EmulateViewport(size[0]/2, size[1]/2)); err != nil {
		t.Fatal(err)
	}
	small := waitFor(t, p.ctx, stepTimeout, p.name+": request for smaller tiles", expr, func(s state) bool {
		return s.RequestSeq > before.RequestSeq && mainMaxFs(s) < large && acked(s)
	})
	if err := chromedp.Do(p.ctx, chromedp.EmulateViewport(size[0], size[1])); err != nil {
		t.Fatal(err)
	}
	waitFor(t, p.ctx, stepTimeout, p.name+": request for larger tiles", expr, func(s state) bool {
		return s.RequestSeq > small.RequestSeq && mainMaxFs(s) > mainMaxFs(small) && acked(s)
	})
	t.Logf("main slot maxFs %d → %d → larger again", large, mainMaxFs(small))
}

// reloadRejoins reloads one page: it joins again as a new participant, the
// old one is gone from the node and the rosters, and media flows again
// between everyone.
func reloadRejoins(t *testing.T, node pb.MediaNodeClient, room string, p *page, pages []*page) {
	old := p.id
	if err := chromedp.Do(p.ctx, chromedp.Reload()); err != nil {
		t.Fatalf("reload %s: %v", p.name, err)
	}
	s := p.wait(t, joinTimeout, "rejoined and connected", func(s snapshot) bool {
		return s.State == "joined" && s.ConnectionState == "connected" && s.ParticipantID != old && len(s.Roster) == len(pages)
	})
	p.id = s.ParticipantID
	for _, q := range pages {
		q.wait(t, stepTimeout, "roster with the rejoined "+p.name, func(s snapshot) bool {
			return s.hasParticipant(p.id) && !s.hasParticipant(old) && len(s.Roster) == len(pages)
		})
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	r, err := node.GetRoom(ctx, &pb.GetRoomRequest{RoomId: room})
	if err != nil {
		t.Fatal(err)
	}
	for _, part := range r.GetParticipants() {
		if part.GetParticipantId() == old {
			t.Errorf("the node still has %s's old participant %s", p.name, old)
		}
	}
	if n := len(r.GetParticipants()); n != len(pages) {
		t.Errorf("node has %d participants after the reload, want %d", n, len(pages))
	}
	mediaFlows(t, pages)
}

// clickPins: the viewer's main tile is pinned to a source that has left, so
// it shows "invalid source"; clicking it unpins it (active speaker fills it
// again); clicking the tile that shows other pins the source it shows.
func clickPins(t *testing.T, viewer, other *page) {
	main := viewer.snap(t).Mids.Main
	viewer.wait(t, stepTimeout, "main slot pinned to a departed source", func(s snapshot) bool {
		return s.slot(main).State == "invalid source"
	})
	if err := chromedp.Do(viewer.ctx, chromedp.Click(chromedp.CSS(`.tile[data-mid="`+main+`"]`))); err != nil {
		t.Fatal(err)
	}
	viewer.wait(t, stepTimeout, "main slot live again after unpinning", func(s snapshot) bool {
		return s.slot(main).State == "live"
	})
	s := viewer.wait(t, stepTimeout, other.name+"'s video live in a tile", func(s snapshot) bool {
		sl, ok := s.slotShowing(s.source(other.id, "video"))
		return ok && sl.State == "live"
	})
	sl, _ := s.slotShowing(s.source(other.id, "video"))
	// Active speaker may put another source in that tile between the
	// snapshot and a click, so the source the tile shows is read in the
	// same task as the click (a DOM click, the same listener the mouse
	// click above went through): the page must pin exactly that source.
	src := mustEval[uint32](t, viewer.ctx, `(() => {
	  const el = document.querySelector('.tile[data-mid="`+sl.Mid+`"]');
	  const id = Number(el.dataset.sourceId);
	  el.click();
	  return id;
	})()`)
	if src == 0 {
		t.Fatalf("tile %s showed no source when clicked", sl.Mid)
	}
	type request struct {
		Policy   string
		SourceID uint32
		Slots    []string
	}
	waitFor(t, viewer.ctx, stepTimeout, fmt.Sprintf("a receiver-selected request for source %d in slot %s", src, sl.Mid), `window.switchyard.lastRequest`, func(rs []request) bool {
		for _, r := range rs {
			if r.Policy == "receiver-selected" && r.SourceID == src && len(r.Slots) == 1 && r.Slots[0] == sl.Mid {
				return true
			}
		}
		return false
	})
	viewer.wait(t, stepTimeout, fmt.Sprintf("pinned tile live with source %d", src), func(s snapshot) bool {
		got := s.slot(sl.Mid)
		return got.State == "live" && got.SourceID == src
	})
	if !mustEval[bool](t, viewer.ctx, `document.querySelector('.tile[data-mid="`+sl.Mid+`"]').classList.contains('pinned')`) {
		t.Errorf("tile %s is not marked pinned", sl.Mid)
	}
}

// iceRestart: the page restarts ICE (what it does by itself when its
// connection fails) through a ROAP renegotiation; new ICE credentials are
// in use and media flows both ways again.
func iceRestart(t *testing.T, p *page, pages []*page) {
	before := mustEval[string](t, p.ctx, "window.switchyard.iceUfrag")
	p.call(t, "restartIce")
	type iceState struct {
		Ufrag, ConnectionState string
		Restarts               int
	}
	waitFor(t, p.ctx, stepTimeout, p.name+": new ICE credentials, connected", `({ufrag: window.switchyard.iceUfrag,
	  connectionState: window.switchyard.connectionState, restarts: window.switchyard.iceRestarts})`,
		func(s iceState) bool {
			return s.Ufrag != "" && s.Ufrag != before && s.ConnectionState == "connected" && s.Restarts == 1
		})
	mediaFlows(t, pages)
}
