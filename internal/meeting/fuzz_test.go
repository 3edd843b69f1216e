package meeting

import (
	"encoding/json"
	"errors"
	"testing"

	pb "github.com/switchyard-sfu/switchyard/api/proto/switchyard/v1"
)

// FuzzBrowserMessage feeds arbitrary frames through what the service does
// with a browser's message before any node call: decode, validate,
// convert. Nothing may panic, and a refusal is always an invalid-message
// error with a text for the browser.
func FuzzBrowserMessage(f *testing.F) {
	for _, s := range []string{
		`{"type":"join","meeting":"m","name":"Ann","roap":{"messageType":"OFFER","seq":1,"sdp":"v=0"}}`,
		`{"type":"roap","roap":{"messageType":"ERROR","seq":2,"errorType":"OUT_OF_ORDER"}}`,
		`{"type":"mediaRequest","seq":1,"requests":[{"policy":"active-speaker","priority":255,"slots":["1"],"maxFs":8192}],"caps":{"totalKbps":4000}}`,
		`{"type":"mediaRequest","seq":2,"requests":[{"policy":"receiver-selected","sourceId":257,"slots":["2"],"content":"slides"}]}`,
		`{"type":"mute","kind":"video","muted":true,"participantId":"p-1"}`,
		`{"type":"floor","action":"grant"}`,
		`{"type":"join","meeting":"a b","name":"\u0000"}`,
		`{"type":"mediaRequest","seq":-1}`,
		`[]`, `{"type":7}`, `null`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var env envelope
		if json.Unmarshal(data, &env) != nil {
			return
		}
		var err error
		switch env.Type {
		case TypeJoin:
			var m JoinMsg
			if err = decode(data, &m); err == nil {
				if err = validateMeeting(m.Meeting); err == nil {
					if err = validateName(m.Name); err == nil {
						_, err = RoapToPB(m.Roap)
					}
				}
			}
		case TypeRoap:
			var m RoapMsg
			if err = decode(data, &m); err == nil {
				var p *pb.RoapMessage
				if p, err = RoapToPB(m.Roap); err == nil && RoapFromPB(p).MessageType != m.Roap.MessageType {
					t.Fatalf("ROAP %q came back as %q", m.Roap.MessageType, RoapFromPB(p).MessageType)
				}
			}
		case TypeMediaRequest:
			var m MediaRequestMsg
			if err = decode(data, &m); err == nil {
				_, err = mediaRequestToPB("c", &m)
			}
		case TypeMute:
			var m MuteMsg
			if err = decode(data, &m); err == nil {
				_, err = muteToPB("r", "p", &m)
			}
		}
		if err != nil {
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("refusal without ErrInvalid: %v", err)
			}
			if e := errorFor(env.Type, err); e.Code != CodeInvalidArgument || e.Message == "" {
				t.Fatalf("error message %+v", e)
			}
		}
	})
}
