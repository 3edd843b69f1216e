// Reads the peer connection's getStats() into plain objects: what each
// receive slot (by mid) decodes and what the camera sends per simulcast
// layer. The tiles and the test hook both use it.

/**
 * @param {RTCPeerConnection} pc
 * @returns {Promise<{inbound: Object<string, object>, outbound: object[], transport: object|null}>}
 */
export async function collectStats(pc) {
  const report = await pc.getStats();
  const midByTrack = new Map();
  for (const t of pc.getTransceivers()) {
    if (t.mid && t.receiver.track) midByTrack.set(t.receiver.track.id, t.mid);
  }
  const inbound = {};
  const outbound = [];
  let transport = null;
  for (const s of report.values()) {
    if (s.type === 'inbound-rtp') {
      const mid = s.mid ?? midByTrack.get(s.trackIdentifier);
      if (mid === undefined) continue;
      inbound[mid] = {
        mid,
        kind: s.kind,
        ssrc: s.ssrc,
        packetsReceived: s.packetsReceived ?? 0,
        packetsLost: s.packetsLost ?? 0,
        bytesReceived: s.bytesReceived ?? 0,
        framesDecoded: s.framesDecoded ?? 0,
        keyFramesDecoded: s.keyFramesDecoded ?? 0,
        frameWidth: s.frameWidth ?? 0,
        frameHeight: s.frameHeight ?? 0,
        framesPerSecond: s.framesPerSecond ?? 0,
        freezeCount: s.freezeCount ?? 0,
        totalAudioEnergy: s.totalAudioEnergy ?? 0,
        audioLevel: s.audioLevel ?? 0,
        totalSamplesReceived: s.totalSamplesReceived ?? 0,
      };
    } else if (s.type === 'outbound-rtp') {
      outbound.push({
        mid: s.mid,
        kind: s.kind,
        rid: s.rid ?? '',
        ssrc: s.ssrc,
        packetsSent: s.packetsSent ?? 0,
        framesEncoded: s.framesEncoded ?? 0,
        frameWidth: s.frameWidth ?? 0,
        frameHeight: s.frameHeight ?? 0,
        active: s.active ?? true,
        qualityLimitationReason: s.qualityLimitationReason ?? '',
      });
    } else if (s.type === 'transport') {
      transport = { dtlsState: s.dtlsState, iceState: s.iceState ?? '', bytesReceived: s.bytesReceived ?? 0 };
      // Chrome's send-side bandwidth estimate, on the pair in use: what
      // decides how many simulcast layers it sends.
      const pair = s.selectedCandidatePairId ? report.get(s.selectedCandidatePairId) : undefined;
      transport.availableOutgoingBitrate = pair?.availableOutgoingBitrate ?? 0;
      transport.currentRoundTripTime = pair?.currentRoundTripTime ?? 0;
    }
  }
  return { inbound, outbound, transport };
}
