package roap

import (
	"errors"
	"strings"
	"testing"
)

func TestValidate(t *testing.T) {
	for _, tc := range []struct {
		name  string
		m     Message
		field string // "" means valid
	}{
		{"offer", Message{Type: Offer, Seq: 1, SDP: "v=0"}, ""},
		{"answer", Message{Type: Answer, Seq: 2, SDP: "v=0"}, ""},
		{"offer response", Message{Type: OfferResponse, Seq: 2, SDP: "v=0"}, ""},
		{"ok", Message{Type: OK, Seq: 1}, ""},
		{"offer request", Message{Type: OfferRequest, Seq: 1}, ""},
		{"error", Message{Type: Error, Seq: 1, ErrorType: ErrorRetry, RetryAfter: 3}, ""},
		{"sdp at limit", Message{Type: Offer, Seq: 1, SDP: strings.Repeat("a", MaxSDPSize)}, ""},
		{"unknown type", Message{Type: "HELLO", Seq: 1}, "messageType"},
		{"empty type", Message{Seq: 1}, "messageType"},
		{"lower-case type", Message{Type: "offer", Seq: 1, SDP: "v=0"}, "messageType"},
		{"seq 0", Message{Type: OK}, "seq"},
		{"offer without sdp", Message{Type: Offer, Seq: 1}, "sdp"},
		{"answer without sdp", Message{Type: Answer, Seq: 1}, "sdp"},
		{"offer response without sdp", Message{Type: OfferResponse, Seq: 1}, "sdp"},
		{"sdp too large", Message{Type: Offer, Seq: 1, SDP: strings.Repeat("a", MaxSDPSize+1)}, "sdp"},
		{"sdp too large on OK", Message{Type: OK, Seq: 1, SDP: strings.Repeat("a", MaxSDPSize+1)}, "sdp"},
		{"error without type", Message{Type: Error, Seq: 1}, "errorType"},
		{"error with unknown type", Message{Type: Error, Seq: 1, ErrorType: "NOMATCH"}, "errorType"},
		{"negative retryAfter", Message{Type: Error, Seq: 1, ErrorType: ErrorFailed, RetryAfter: -1}, "retryAfter"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.m.Validate()
			if tc.field == "" {
				if err != nil {
					t.Fatalf("Validate = %v, want nil", err)
				}
				return
			}
			if !errors.Is(err, ErrInvalidMessage) {
				t.Fatalf("Validate = %v, want ErrInvalidMessage", err)
			}
			if !strings.Contains(err.Error(), tc.field+":") {
				t.Fatalf("Validate = %q, does not name %q", err, tc.field)
			}
		})
	}
}

func TestValidateClipsEchoedText(t *testing.T) {
	err := Message{Type: MessageType(strings.Repeat("X", 10000)), Seq: 1}.Validate()
	if err == nil || len(err.Error()) > 200 {
		t.Fatalf("error not clipped: %d bytes", len(err.Error()))
	}
}

func TestKnown(t *testing.T) {
	for _, mt := range []MessageType{Offer, Answer, OK, Error, OfferRequest, OfferResponse} {
		if !mt.Known() {
			t.Errorf("%s not known", mt)
		}
	}
	for _, et := range []ErrorType{ErrorDoubleConflict, ErrorConflict, ErrorFailed, ErrorInvalidState, ErrorOutOfOrder, ErrorRetry} {
		if !et.Known() {
			t.Errorf("%s not known", et)
		}
	}
	if MessageType("TURN_DISCOVERY_REQUEST").Known() || ErrorType("TIMEOUT").Known() {
		t.Error("unexpected known type")
	}
}

func TestHasHeader(t *testing.T) {
	m := Message{Headers: []string{HeaderIncludeAnswerInHTTPResponse, HeaderNoOkInTransaction}}
	if !m.HasHeader(HeaderNoOkInTransaction) || !m.HasHeader("includeAnswerInHttpResponse") || m.HasHeader("other") {
		t.Fatal("HasHeader")
	}
}
