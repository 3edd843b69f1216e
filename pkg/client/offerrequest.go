package client

import (
	"context"
	"fmt"

	pb "github.com/switchyard-sfu/switchyard/api/proto/switchyard/v1"
	"github.com/switchyard-sfu/switchyard/pkg/roap"
)

// RequestOffer asks the node for an offer (ROAP OFFER_REQUEST). The node
// answers with an OFFER of a higher seq through the events, which the
// client applies and answers like any node-initiated offer. The request
// leaves the client's ROAP session idle, so that offer is taken as a fresh
// remote offer rather than as glare.
func (c *Client) RequestOffer(ctx context.Context) error {
	c.mu.Lock()
	seq := c.session.Seq() + 1
	c.mu.Unlock()
	res, err := c.o.Node.Roap(ctx, &pb.RoapRequest{ConnectionId: c.connID, Message: &pb.RoapMessage{
		MessageType: pb.RoapMessageType_ROAP_OFFER_REQUEST, Seq: seq, TieBreaker: roap.ClientTieBreaker}})
	if err != nil {
		return err
	}
	if r := res.GetReply(); r != nil {
		return fmt.Errorf("node refused the offer request: %s %s", r.GetErrorType(), r.GetErrorCause())
	}
	return nil
}
