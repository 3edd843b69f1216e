package client

import (
	"context"
	"fmt"

	pb "github.com/switchyard-sfu/switchyard/api/proto/switchyard/v1"
	"github.com/switchyard-sfu/switchyard/pkg/roap"
)

// RequestOffer asks the node for an offer (ROAP OFFER_REQUEST). The node
// answers with an OFFER_RESPONSE at the request's seq through the events,
// which the client applies and answers like a node-initiated offer. A
// refusal (the node is busy, say) is returned and leaves the session idle.
func (c *Client) RequestOffer(ctx context.Context) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	req, err := c.session.StartOfferRequest()
	if err != nil {
		return fmt.Errorf("request an offer: %w", err)
	}
	res, err := c.o.Node.Roap(ctx, &pb.RoapRequest{ConnectionId: c.connID, Message: toPB(req)})
	if err != nil {
		// Nothing came back: forget the request so the session is idle.
		c.session.Receive(roap.Message{Type: roap.Error, Seq: req.Seq, ErrorType: roap.ErrorFailed, ErrorCause: err.Error()})
		return err
	}
	if r := res.GetReply(); r != nil {
		c.session.Receive(fromPB(r))
		return fmt.Errorf("node refused the offer request: %s %s", r.GetErrorType(), r.GetErrorCause())
	}
	return nil
}
