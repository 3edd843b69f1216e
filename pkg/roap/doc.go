// Package roap implements ROAP, the offer/answer signalling protocol that Webex
// clients speak, as plain messages and a per-connection state machine.
//
// A ROAP exchange carries one SDP offer and its answer, numbered by seq:
//
//	offerer                      answerer
//	OFFER(seq n, sdp, tieBreaker) ─▶
//	                            ◀─ ANSWER(seq n, sdp)      or ERROR(seq n, errorType)
//	OK(seq n) ─▶                   (optional: never required, see noOkInTransaction)
//
// and, when one side wants the other to make the offer:
//
//	requester                    offerer
//	OFFER_REQUEST(seq n) ─▶
//	                            ◀─ OFFER_RESPONSE(seq n, sdp)
//	ANSWER(seq n, sdp) ─▶
//
// Either side may start an exchange, so two offers can cross ("glare"). The side
// with the higher tieBreaker wins; Webex clients always send [ClientTieBreaker],
// so a media node must use a smaller value (see [NodeTieBreaker]) and let the
// client win: it answers the client's offer and re-offers its own change later
// with a higher seq.
//
// The package is pure: it does not import pion, start goroutines, touch
// sockets or read the clock. [Session.Receive] turns an incoming [Message] into
// a [Decision] that tells the caller what to do with its peer connection; the
// caller reports the outcome back ([Session.Answered], [Session.AnswerApplied],
// ...) and gets the message to send. [ParseJSON] and [Message.MarshalJSON]
// speak the JSON wire format Webex uses.
package roap
