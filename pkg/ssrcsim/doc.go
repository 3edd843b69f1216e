// Package ssrcsim makes SSRC-signalled simulcast look like RID simulcast to
// pion.
//
// Webex clients announce simulcast with a=ssrc-group:SIM (lowest layer
// first) and a=ssrc-group:FID per layer, without RIDs, and send no MID or
// RID header extensions. pion/webrtc demultiplexes simulcast only by those
// extensions: for an SSRC it does not know it peeks the first packet, then
// reads up to ten more through the interceptor chain looking for MID plus RID
// (or repaired RID, for RTX). So the node needs two pieces:
//
//   - Rewrite turns each SIM m-line of a client's SDP into RID form
//     (a=rid l0, l1, l2 in SIM order, a=simulcast:send, a=msid, and extmaps
//     for the MID, RID and repaired-RID extensions) and reports the
//     SSRC-to-RID layers; Result.RestoreAnswer strips what pion's answer
//     says about those additions before the answer goes back to the client.
//   - Stamper is a pion interceptor that writes the MID and RID (or repaired
//     RID) header extensions into the first packets of every SSRC Rewrite
//     reported, before pion's demultiplexer looks at them.
//
// Control-plane order for each client offer:
//
//	r, err := ssrcsim.Rewrite(offer)
//	err = stamper.Set(r.Layers, r.Ext)    // before SetRemoteDescription
//	err = pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeOffer, SDP: r.SDP})
//	answer, err := r.RestoreAnswer(pc.LocalDescription().SDP)
//
// Building the connection: one webrtc.API per PeerConnection, whose
// interceptor registry has the Stamper first (so every other interceptor,
// and pion, sees stamped packets) and whose MediaEngine registers the three
// extensions (webrtc.ConfigureSimulcastExtensionHeaders, which
// RegisterDefaultInterceptors also calls); without them pion never looks for
// the extensions.
package ssrcsim
