package e2e

import (
	"fmt"
	"net"
	"strings"
	"testing"

	"github.com/pion/rtcp"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	pb "github.com/switchyard-sfu/switchyard/api/proto/switchyard/v1"
	"github.com/switchyard-sfu/switchyard/pkg/client"
)

func wantCode(t *testing.T, what string, err error, code codes.Code, mention string) {
	t.Helper()
	st, _ := status.FromError(err)
	if st.Code() != code {
		t.Errorf("%s: got %v (%v), want %v", what, st.Code(), err, code)
		return
	}
	if mention != "" && !strings.Contains(st.Message(), mention) {
		t.Errorf("%s: message %q does not mention %q", what, st.Message(), mention)
	}
}

// roapDetail returns the ROAP ERROR attached to a failed call.
func roapDetail(err error) *pb.RoapMessage {
	st, _ := status.FromError(err)
	for _, d := range st.Details() {
		if m, ok := d.(*pb.RoapMessage); ok {
			return m
		}
	}
	return nil
}

// validSDP is syntactically fine, so ROAP ordering rules apply to it.
const validSDP = "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n" +
	"m=audio 9 UDP/TLS/RTP/SAVPF 111\r\nc=IN IP4 0.0.0.0\r\na=mid:0\r\na=sendrecv\r\n" +
	"a=ice-ufrag:abcd\r\na=ice-pwd:abcdefghijklmnopqrstuvwx\r\na=setup:actpass\r\n" +
	"a=fingerprint:sha-256 00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF\r\n" +
	"a=rtpmap:111 opus/48000/2\r\n"

func offer(seq uint64, sdp string) *pb.RoapMessage {
	return &pb.RoapMessage{MessageType: pb.RoapMessageType_ROAP_OFFER, Seq: seq, Sdp: sdp, TieBreaker: 0xFFFFFFFE}
}

// A real client offer to reuse: captured from the node's own events is not
// possible before joining, so build one with a throwaway pion client.
func TestBadInputControlPlane(t *testing.T) {
	h := startNode(t)
	h.createRoom("bad")
	ctx := h.ctx

	// Unknown ids.
	_, err := h.api.Join(ctx, &pb.JoinRequest{RoomId: "nope", ParticipantId: "p", DeviceId: "d", Offer: offer(1, "v=0")})
	wantCode(t, "join unknown room", err, codes.NotFound, "nope")
	_, err = h.api.Roap(ctx, &pb.RoapRequest{ConnectionId: "c-unknown", Message: offer(2, "v=0")})
	wantCode(t, "roap unknown connection", err, codes.NotFound, "c-unknown")
	_, err = h.api.Leave(ctx, &pb.LeaveRequest{ConnectionId: "c-unknown"})
	wantCode(t, "leave unknown connection", err, codes.NotFound, "")
	_, err = h.api.RemoveParticipant(ctx, &pb.RemoveParticipantRequest{RoomId: "bad", ParticipantId: "ghost"})
	wantCode(t, "remove unknown participant", err, codes.NotFound, "ghost")
	_, err = h.api.GetRoom(ctx, &pb.GetRoomRequest{RoomId: "nope"})
	wantCode(t, "get unknown room", err, codes.NotFound, "")
	_, err = h.api.CloseRoom(ctx, &pb.CloseRoomRequest{RoomId: "nope"})
	wantCode(t, "close unknown room", err, codes.NotFound, "")
	ev, err := h.api.Events(ctx, &pb.EventsRequest{RoomId: "nope"})
	if err == nil {
		_, err = ev.Recv()
	}
	wantCode(t, "events unknown room", err, codes.NotFound, "")
	ev, err = h.api.Events(ctx, &pb.EventsRequest{RoomId: "bad", AfterSeq: 999})
	if err == nil {
		_, err = ev.Recv()
	}
	wantCode(t, "events from the future", err, codes.InvalidArgument, "after_seq")

	// Malformed requests.
	_, err = h.api.CreateRoom(ctx, &pb.CreateRoomRequest{})
	wantCode(t, "room without id", err, codes.InvalidArgument, "room_id")
	_, err = h.api.CreateRoom(ctx, &pb.CreateRoomRequest{RoomId: strings.Repeat("x", 200)})
	wantCode(t, "room id too long", err, codes.InvalidArgument, "room_id")
	_, err = h.api.CreateRoom(ctx, &pb.CreateRoomRequest{RoomId: "bad", Options: &pb.RoomOptions{MaxParticipants: 7}})
	wantCode(t, "room exists with other options", err, codes.AlreadyExists, "")
	_, err = h.api.Join(ctx, &pb.JoinRequest{RoomId: "bad", DeviceId: "d", Offer: offer(1, "v=0")})
	wantCode(t, "join without participant", err, codes.InvalidArgument, "participant_id")
	_, err = h.api.Join(ctx, &pb.JoinRequest{RoomId: "bad", ParticipantId: "p", DeviceId: "d"})
	wantCode(t, "join without offer", err, codes.InvalidArgument, "")
	_, err = h.api.Join(ctx, &pb.JoinRequest{RoomId: "bad", ParticipantId: "p", DeviceId: "d",
		Offer: &pb.RoapMessage{MessageType: pb.RoapMessageType_ROAP_ANSWER, Seq: 1, Sdp: "v=0"}})
	wantCode(t, "join with an answer", err, codes.InvalidArgument, "OFFER")

	// Malformed SDP: InvalidArgument plus the ROAP ERROR FAILED to relay.
	_, err = h.api.Join(ctx, &pb.JoinRequest{RoomId: "bad", ParticipantId: "p", DeviceId: "d", Offer: offer(1, "this is not sdp")})
	wantCode(t, "join with malformed SDP", err, codes.InvalidArgument, "SDP")
	if d := roapDetail(err); d == nil || d.GetErrorType() != pb.RoapErrorType_ROAP_ERROR_FAILED || d.GetErrorCause() == "" {
		t.Errorf("malformed SDP: ROAP detail %v, want ERROR FAILED with a cause", d)
	}
	// Oversized: SDP over the ROAP limit, and a message over the gRPC limit.
	big := "v=0\r\n" + strings.Repeat("a=x:"+strings.Repeat("y", 90)+"\r\n", 800)
	_, err = h.api.Join(ctx, &pb.JoinRequest{RoomId: "bad", ParticipantId: "p", DeviceId: "d", Offer: offer(1, big)})
	wantCode(t, "oversized SDP", err, codes.InvalidArgument, "")
	huge := strings.Repeat("z", 300<<10)
	_, err = h.api.Join(ctx, &pb.JoinRequest{RoomId: "bad", ParticipantId: "p", DeviceId: "d", Offer: offer(1, huge)})
	wantCode(t, "oversized message", err, codes.ResourceExhausted, "")

	room, err := h.api.GetRoom(ctx, &pb.GetRoomRequest{RoomId: "bad"})
	if err != nil {
		t.Fatal(err)
	}
	if n := len(room.GetParticipants()); n != 0 {
		t.Errorf("failed joins left %d participants behind", n)
	}

	// Limits and drain.
	_, err = h.api.CreateRoom(ctx, &pb.CreateRoomRequest{RoomId: "tiny", Options: &pb.RoomOptions{MaxParticipants: 1}})
	if err != nil {
		t.Fatal(err)
	}
	h.join("tiny", "first", "d", client.Options{Audio: true})
	_, err = client.Join(ctx, client.Options{Node: h.api, RoomID: "tiny", ParticipantID: "second", DeviceID: "d", Audio: true, LoopbackOnly: true})
	wantCode(t, "join a full room", err, codes.ResourceExhausted, "full")
	if _, err := h.api.Drain(ctx, &pb.DrainRequest{}); err != nil {
		t.Fatal(err)
	}
	_, err = h.api.CreateRoom(ctx, &pb.CreateRoomRequest{RoomId: "after-drain"})
	wantCode(t, "create room while draining", err, codes.Unavailable, "draining")
	if _, err := h.api.CreateRoom(ctx, &pb.CreateRoomRequest{RoomId: "bad"}); err != nil {
		t.Errorf("existing room must stay reachable while draining: %v", err)
	}
	info, err := h.api.GetNodeInfo(ctx, &pb.GetNodeInfoRequest{})
	if err != nil || !info.GetDraining() {
		t.Errorf("node info while draining: %v %v", info, err)
	}
}

// ROAP protocol errors come back as ROAP ERROR replies, and a failed
// renegotiation leaves the connection and its media intact.
func TestBadInputRoap(t *testing.T) {
	h := startNode(t)
	h.createRoom("roap")
	a := h.join("roap", "a", "d", client.Options{Audio: true, Video: true})
	b := h.join("roap", "b", "d", client.Options{Audio: true, Video: true})
	h.eventually("a receives b", func() bool { return receivingFrom(a, b, 20) }, a)
	h.eventually("negotiation settled", func() bool { return receivingFrom(b, a, 20) }, b)
	conn := a.ConnectionID()
	ctx := h.ctx

	// The join offer was seq 1 and every node offer since used a higher one.
	res, err := h.api.Roap(ctx, &pb.RoapRequest{ConnectionId: conn, Message: offer(1, validSDP)})
	if err != nil || res.GetReply().GetErrorType() != pb.RoapErrorType_ROAP_ERROR_OUT_OF_ORDER {
		t.Errorf("stale offer: reply %v err %v, want ERROR OUT_OF_ORDER", res.GetReply(), err)
	}
	res, err = h.api.Roap(ctx, &pb.RoapRequest{ConnectionId: conn, Message: &pb.RoapMessage{MessageType: pb.RoapMessageType_ROAP_ANSWER, Seq: 99, Sdp: validSDP}})
	if err != nil || res.GetReply().GetErrorType() != pb.RoapErrorType_ROAP_ERROR_INVALID_STATE {
		t.Errorf("answer with nothing outstanding: reply %v err %v, want ERROR INVALID_STATE", res.GetReply(), err)
	}
	res, err = h.api.Roap(ctx, &pb.RoapRequest{ConnectionId: conn, Message: &pb.RoapMessage{MessageType: pb.RoapMessageType_ROAP_OK, Seq: 1}})
	if err != nil || res.GetReply() != nil {
		t.Errorf("OK must be accepted silently: reply %v err %v", res.GetReply(), err)
	}
	_, err = h.api.Roap(ctx, &pb.RoapRequest{ConnectionId: conn, Message: &pb.RoapMessage{MessageType: 42, Seq: 5}})
	wantCode(t, "unknown ROAP type", err, codes.InvalidArgument, "message_type")

	// A malformed renegotiation offer fails cleanly...
	_, err = h.api.Roap(ctx, &pb.RoapRequest{ConnectionId: conn, Message: offer(1000, "garbage")})
	wantCode(t, "malformed renegotiation", err, codes.InvalidArgument, "SDP")
	if d := roapDetail(err); d == nil || d.GetErrorType() != pb.RoapErrorType_ROAP_ERROR_FAILED {
		t.Errorf("malformed renegotiation: ROAP detail %v, want ERROR FAILED", d)
	}
	// ...and media keeps flowing both ways, with a working ROAP session.
	before := tracksFrom(b, a)
	h.eventually("media after failed renegotiation", func() bool {
		now := tracksFrom(b, a)
		return len(now) == 2 && len(before) == 2 && now[0].Packets > before[0].Packets+20 && now[1].Packets > before[1].Packets+20
	}, b)
	if err := a.Renegotiate(ctx, true); err != nil {
		t.Errorf("ICE-restart renegotiation after a failed one: %v", err)
	}
	base := tracksFrom(b, a)
	h.eventually("media after ICE restart", func() bool {
		now := tracksFrom(b, a)
		return len(now) == 2 && now[0].Packets > base[0].Packets+20 && now[1].Packets > base[1].Packets+20
	}, b)
}

// Garbage on the media port and nonsense RTCP from a participant neither
// crash the node nor disturb the others.
func TestBadInputMedia(t *testing.T) {
	h := startNode(t)
	h.createRoom("junk")
	a := h.join("junk", "a", "d", client.Options{Audio: true, Video: true})
	b := h.join("junk", "b", "d", client.Options{Audio: true, Video: true})
	h.eventually("b receives a", func() bool { return receivingFrom(b, a, 20) }, b)

	// Raw datagrams at every media address of the node: dropped and
	// counted as coming from unknown 5-tuples.
	unknownBefore := h.node.Rooms().Stats().Totals.UnknownPackets
	for _, addr := range h.node.Media().LocalAddrs() {
		conn, err := net.Dial("udp", addr.String())
		if err != nil {
			t.Fatal(err)
		}
		for i := 0; i < 200; i++ {
			junk := make([]byte, 1+i*7%1200)
			for j := range junk {
				junk[j] = byte(i*31 + j*17)
			}
			junk[0] = byte(i) // walk through STUN/DTLS/RTP first-byte ranges
			_, _ = conn.Write(junk)
		}
		_ = conn.Close()
	}
	// RTCP nonsense from b: NACKs and PLIs for streams that do not exist,
	// NACKs for ancient packets of real streams, and a raw blob.
	var ssrcs []uint32
	for _, tr := range tracksFrom(b, a) {
		_ = tr
	}
	ssrcs = append(ssrcs, 1, 0xdeadbeef)
	for i := 0; i < 50; i++ {
		pkts := []rtcp.Packet{
			&rtcp.PictureLossIndication{MediaSSRC: ssrcs[i%len(ssrcs)]},
			&rtcp.TransportLayerNack{MediaSSRC: ssrcs[i%len(ssrcs)], Nacks: []rtcp.NackPair{{PacketID: uint16(i * 1000), LostPackets: 0xffff}}},
			&rtcp.RawPacket{0x80, 0xcc, 0x00, 0x01, 0xde, 0xad, 0xbe, 0xef},
		}
		if err := b.WriteRTCP(pkts); err != nil {
			t.Fatalf("write rtcp: %v", err)
		}
	}
	before := tracksFrom(b, a)
	h.eventually("media keeps flowing", func() bool {
		now := tracksFrom(b, a)
		return len(now) == 2 && now[0].Packets > before[0].Packets+50 && now[1].Packets > before[1].Packets+50
	}, b)
	h.eventually("a still receives b", func() bool { return receivingFrom(a, b, 50) }, a)
	for _, tr := range tracksFrom(b, a) {
		if tr.Duplicates != 0 || tr.WrongSource != 0 {
			t.Errorf("%s track disturbed: %+v", tr.Kind, tr)
		}
	}
	if _, err := h.api.GetNodeInfo(h.ctx, &pb.GetNodeInfoRequest{}); err != nil {
		t.Fatalf("node unresponsive: %v", err)
	}
	// (The kernel may drop part of a 200-datagram burst before the node
	// reads it; what arrives is counted.)
	h.eventually("junk counted", func() bool {
		return h.node.Rooms().Stats().Totals.UnknownPackets >= unknownBefore+50
	})
	t.Logf("%d junk datagrams counted", h.node.Rooms().Stats().Totals.UnknownPackets-unknownBefore)
	_ = fmt.Sprint()
}
