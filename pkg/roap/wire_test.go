package roap

import (
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
)

// webexSDP is a trimmed but realistic client offer.
const webexSDP = "v=0\r\no=- 6436826263397148411 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n" +
	"a=group:BUNDLE 0 1\r\na=extmap-allow-mixed\r\na=msid-semantic: WMS\r\n" +
	"m=audio 9 UDP/TLS/RTP/SAVPF 111 63\r\nc=IN IP4 0.0.0.0\r\na=rtcp:9 IN IP4 0.0.0.0\r\n" +
	"a=ice-ufrag:Zp1+\r\na=ice-pwd:Jq7tYVwMxKDvQnVZ0rZV1yZw\r\na=ice-options:trickle\r\n" +
	"a=fingerprint:sha-256 6B:8B:5D:EA:59:04:20:23:29:C8:87:1C:CC:87:32:BE:DD:8C:66:A5:8E:50:55:EA:8C:D3:B6:5C:09:5E:D6:BC\r\n" +
	"a=setup:actpass\r\na=mid:0\r\na=sendrecv\r\na=rtpmap:111 opus/48000/2\r\na=fmtp:111 minptime=10;useinbandfec=1\r\n" +
	"m=video 9 UDP/TLS/RTP/SAVPF 96 97\r\nc=IN IP4 0.0.0.0\r\na=mid:1\r\na=sendrecv\r\n" +
	"a=rtpmap:96 VP8/90000\r\na=rtpmap:97 rtx/90000\r\na=fmtp:97 apt=96\r\n"

func webexOfferJSON() string {
	sdp, _ := json.Marshal(webexSDP)
	return `{"messageType":"OFFER","sdps":[` + string(sdp) + `],"version":"2","seq":1,` +
		`"tieBreaker":4294967294,"headers":["includeAnswerInHttpResponse","noOkInTransaction"]}`
}

func TestParseWebexOffer(t *testing.T) {
	m, err := ParseJSON([]byte(webexOfferJSON()))
	if err != nil {
		t.Fatal(err)
	}
	want := Message{
		Type: Offer, Seq: 1, SDP: webexSDP, TieBreaker: ClientTieBreaker,
		Headers: []string{HeaderIncludeAnswerInHTTPResponse, HeaderNoOkInTransaction},
	}
	if !reflect.DeepEqual(m, want) {
		t.Fatalf("ParseJSON = %+v\nwant %+v", m, want)
	}
}

func TestMarshalExact(t *testing.T) {
	for _, tc := range []struct {
		name string
		m    Message
		want string
	}{
		{
			"offer", Message{Type: Offer, Seq: 2, SDP: "v=0\r\n", TieBreaker: 12},
			`{"messageType":"OFFER","seq":2,"sdps":["v=0\r\n"],"version":"2","tieBreaker":12}`,
		},
		{
			"offer with tie breaker 0 still sends it", Message{Type: Offer, Seq: 1, SDP: "v=0"},
			`{"messageType":"OFFER","seq":1,"sdps":["v=0"],"version":"2","tieBreaker":0}`,
		},
		{
			"offer request", Message{Type: OfferRequest, Seq: 3, TieBreaker: 5},
			`{"messageType":"OFFER_REQUEST","seq":3,"version":"2","tieBreaker":5}`,
		},
		{
			"answer", Message{Type: Answer, Seq: 1, SDP: "v=0"},
			`{"messageType":"ANSWER","seq":1,"sdps":["v=0"],"version":"2"}`,
		},
		{
			"ok with header", Message{Type: OK, Seq: 1, Headers: []string{HeaderNoOkInTransaction}},
			`{"messageType":"OK","seq":1,"version":"2","headers":["noOkInTransaction"]}`,
		},
		{
			"error, no HTML escaping", Message{Type: Error, Seq: 4, ErrorType: ErrorFailed, ErrorCause: "a<b & c>d", RetryAfter: 3},
			`{"messageType":"ERROR","seq":4,"version":"2","errorType":"FAILED","errorCause":"a<b & c>d","retryAfter":3}`,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b, err := tc.m.MarshalJSON()
			if err != nil {
				t.Fatal(err)
			}
			if string(b) != tc.want {
				t.Fatalf("got  %s\nwant %s", b, tc.want)
			}
		})
	}
}

func TestJSONRoundTrip(t *testing.T) {
	for _, m := range []Message{
		{Type: Offer, Seq: 1, SDP: webexSDP, TieBreaker: ClientTieBreaker, Headers: []string{HeaderIncludeAnswerInHTTPResponse, HeaderNoOkInTransaction}},
		{Type: Answer, Seq: 1, SDP: webexSDP},
		{Type: OK, Seq: 1},
		{Type: Error, Seq: 9, ErrorType: ErrorDoubleConflict, ErrorCause: "glare \"both\" \u00e9", RetryAfter: 10},
		{Type: OfferRequest, Seq: 7, TieBreaker: MaxNodeTieBreaker},
		{Type: OfferResponse, Seq: 7, SDP: webexSDP, TieBreaker: ClientTieBreaker},
	} {
		b, err := m.MarshalJSON()
		if err != nil {
			t.Fatal(err)
		}
		got, err := ParseJSON(b)
		if err != nil {
			t.Fatalf("ParseJSON(%s): %v", b, err)
		}
		if !reflect.DeepEqual(got, m) {
			t.Fatalf("round trip of %s:\n got %+v\nwant %+v", m.Type, got, m)
		}
	}
}

func TestUnmarshalAlternatives(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   string
		want Message
	}{
		{"sdp string", `{"messageType":"ANSWER","seq":3,"sdp":"v=0 x"}`, Message{Type: Answer, Seq: 3, SDP: "v=0 x"}},
		{"sdp and equal sdps", `{"messageType":"ANSWER","seq":3,"sdp":"v=0 x","sdps":["v=0 x"]}`, Message{Type: Answer, Seq: 3, SDP: "v=0 x"}},
		{"no version", `{"messageType":"OK","seq":3}`, Message{Type: OK, Seq: 3}},
		{"numeric version", `{"messageType":"OK","seq":3,"version":2}`, Message{Type: OK, Seq: 3}},
		{"unknown fields ignored", `{"messageType":"OK","seq":3,"offererSessionId":"abc","extra":{"a":[1]}}`, Message{Type: OK, Seq: 3}},
		{"empty sdps", `{"messageType":"OFFER_REQUEST","seq":3,"sdps":[]}`, Message{Type: OfferRequest, Seq: 3}},
		{"null sdps", `{"messageType":"OFFER_REQUEST","seq":3,"sdps":null}`, Message{Type: OfferRequest, Seq: 3}},
		{"whitespace", " \n{ \"messageType\" : \"OK\" , \"seq\" : 1 }\n", Message{Type: OK, Seq: 1}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseJSON([]byte(tc.in))
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("got %+v, want %+v", got, tc.want)
			}
		})
	}
}

func TestParseJSONRejects(t *testing.T) {
	for _, tc := range []struct {
		name, in, mention string
	}{
		{"not json", `messageType=OFFER`, "invalid"},
		{"truncated", `{"messageType":"OFFER","seq":1`, "unexpected end"},
		{"trailing garbage", `{"messageType":"OK","seq":1}}`, "invalid"},
		{"array", `[1,2]`, "cannot unmarshal"},
		{"string", `"OFFER"`, "cannot unmarshal"},
		{"null", `null`, "messageType"},
		{"empty", ``, "unexpected end"},
		{"unknown messageType", `{"messageType":"TURN_DISCOVERY_REQUEST","seq":0}`, "messageType"},
		{"missing messageType", `{"seq":1}`, "messageType"},
		{"two sdps", `{"messageType":"OFFER","seq":1,"sdps":["v=0 a","v=0 b"],"tieBreaker":1}`, "sdps"},
		{"sdp and different sdps", `{"messageType":"OFFER","seq":1,"sdp":"v=0 a","sdps":["v=0 b"]}`, "sdp"},
		{"negative seq", `{"messageType":"OK","seq":-1}`, "seq"},
		{"fractional seq", `{"messageType":"OK","seq":1.5}`, "seq"},
		{"string seq", `{"messageType":"OK","seq":"1"}`, "seq"},
		{"tie breaker too large", `{"messageType":"OFFER","seq":1,"sdps":["v=0"],"tieBreaker":4294967296}`, "tieBreaker"},
		{"sdps not array", `{"messageType":"OFFER","seq":1,"sdps":"v=0"}`, "sdps"},
		{"seq 0", `{"messageType":"OK","seq":0}`, "seq"},
		{"offer without sdp", `{"messageType":"OFFER","seq":1}`, "sdp"},
		{"error without errorType", `{"messageType":"ERROR","seq":1}`, "errorType"},
		{"negative retryAfter", `{"messageType":"ERROR","seq":1,"errorType":"RETRY","retryAfter":-2}`, "retryAfter"},
		{"too large", `{"messageType":"OK","seq":1,"errorCause":"` + strings.Repeat("a", MaxMessageSize) + `"}`, "limit"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseJSON([]byte(tc.in))
			if !errors.Is(err, ErrInvalidMessage) {
				t.Fatalf("err = %v, want ErrInvalidMessage", err)
			}
			if !strings.Contains(err.Error(), tc.mention) {
				t.Fatalf("err = %q, does not mention %q", err, tc.mention)
			}
		})
	}
}

// TestParseJSONReturnsDecodedOnValidateError lets callers hand an invalid
// ERROR to Session.Receive, which drops it instead of answering it.
func TestParseJSONReturnsDecodedOnValidateError(t *testing.T) {
	m, err := ParseJSON([]byte(`{"messageType":"ERROR","seq":4,"errorType":"NOMATCH"}`))
	if !errors.Is(err, ErrInvalidMessage) {
		t.Fatalf("err = %v", err)
	}
	if m.Type != Error || m.Seq != 4 || m.ErrorType != "NOMATCH" {
		t.Fatalf("decoded = %+v", m)
	}
	if d := node().Receive(m); d.Action != ActionNone {
		t.Fatalf("Receive = %+v, want ActionNone", d)
	}
}

func TestUnmarshalLeavesMessageOnError(t *testing.T) {
	m := Message{Type: OK, Seq: 9}
	if err := m.UnmarshalJSON([]byte(`{"messageType":"NOPE","seq":1}`)); err == nil {
		t.Fatal("no error")
	}
	if m.Type != OK || m.Seq != 9 {
		t.Fatalf("message changed on error: %+v", m)
	}
}

// TestEmbedded checks Message works as a field of a larger JSON document, as
// in the meeting service's envelopes.
func TestEmbedded(t *testing.T) {
	var env struct {
		Roap  Message  `json:"roapMessage"`
		Other *Message `json:"other"`
	}
	in := `{"roapMessage":{"messageType":"OK","seq":2},"other":null}`
	if err := json.Unmarshal([]byte(in), &env); err != nil {
		t.Fatal(err)
	}
	if env.Roap.Type != OK || env.Roap.Seq != 2 || env.Other != nil {
		t.Fatalf("decoded %+v", env)
	}
	out, err := json.Marshal(env)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(out), `"roapMessage":{"messageType":"OK","seq":2,"version":"2"}`) {
		t.Fatalf("encoded %s", out)
	}
}
