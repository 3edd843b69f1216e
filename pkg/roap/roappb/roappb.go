// Package roappb converts ROAP messages between pkg/roap and the MediaNode
// protobuf contract. The node's gRPC layer and pkg/client share it.
package roappb

import (
	"errors"
	"fmt"

	pb "github.com/switchyard-sfu/switchyard/api/proto/switchyard/v1"
	"github.com/switchyard-sfu/switchyard/pkg/roap"
)

// ErrUnknownEnum is returned for protobuf enum values ROAP does not define.
var ErrUnknownEnum = errors.New("unknown ROAP enum value")

var typeToPB = map[roap.MessageType]pb.RoapMessageType{
	roap.Offer:         pb.RoapMessageType_ROAP_OFFER,
	roap.Answer:        pb.RoapMessageType_ROAP_ANSWER,
	roap.OK:            pb.RoapMessageType_ROAP_OK,
	roap.Error:         pb.RoapMessageType_ROAP_ERROR,
	roap.OfferRequest:  pb.RoapMessageType_ROAP_OFFER_REQUEST,
	roap.OfferResponse: pb.RoapMessageType_ROAP_OFFER_RESPONSE,
}

var errToPB = map[roap.ErrorType]pb.RoapErrorType{
	roap.ErrorDoubleConflict: pb.RoapErrorType_ROAP_ERROR_DOUBLECONFLICT,
	roap.ErrorConflict:       pb.RoapErrorType_ROAP_ERROR_CONFLICT,
	roap.ErrorFailed:         pb.RoapErrorType_ROAP_ERROR_FAILED,
	roap.ErrorInvalidState:   pb.RoapErrorType_ROAP_ERROR_INVALID_STATE,
	roap.ErrorOutOfOrder:     pb.RoapErrorType_ROAP_ERROR_OUT_OF_ORDER,
	roap.ErrorRetry:          pb.RoapErrorType_ROAP_ERROR_RETRY,
}

var (
	typeFromPB = invert(typeToPB)
	errFromPB  = invert(errToPB)
)

func invert[K, V comparable](m map[K]V) map[V]K {
	out := make(map[V]K, len(m))
	for k, v := range m {
		out[v] = k
	}
	return out
}

// ToPB converts a ROAP message to its protobuf form.
func ToPB(m roap.Message) *pb.RoapMessage {
	return &pb.RoapMessage{
		MessageType: typeToPB[m.Type],
		Seq:         m.Seq,
		Sdp:         m.SDP,
		TieBreaker:  m.TieBreaker,
		ErrorType:   errToPB[m.ErrorType],
		ErrorCause:  m.ErrorCause,
		RetryAfter:  int32(m.RetryAfter),
		Headers:     m.Headers,
	}
}

// FromPB converts a protobuf ROAP message. It checks the enums only; the
// caller validates the message (roap.Message.Validate).
func FromPB(p *pb.RoapMessage) (roap.Message, error) {
	if p == nil {
		return roap.Message{}, errors.New("ROAP message is required")
	}
	t, ok := typeFromPB[p.GetMessageType()]
	if !ok {
		return roap.Message{}, fmt.Errorf("%w: message_type %v", ErrUnknownEnum, p.GetMessageType())
	}
	m := roap.Message{
		Type:       t,
		Seq:        p.GetSeq(),
		SDP:        p.GetSdp(),
		TieBreaker: p.GetTieBreaker(),
		ErrorCause: p.GetErrorCause(),
		RetryAfter: int(p.GetRetryAfter()),
		Headers:    p.GetHeaders(),
	}
	if p.GetErrorType() != pb.RoapErrorType_ROAP_ERROR_TYPE_UNSPECIFIED {
		et, ok := errFromPB[p.GetErrorType()]
		if !ok {
			return roap.Message{}, fmt.Errorf("%w: error_type %v", ErrUnknownEnum, p.GetErrorType())
		}
		m.ErrorType = et
	}
	return m, nil
}
