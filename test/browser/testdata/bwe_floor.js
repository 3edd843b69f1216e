// Test-only shim, run in each meeting page before its scripts: raises
// Chromium's send-side bandwidth estimate floor to 2.5 Mbit/s with the
// x-google-min-bitrate / x-google-start-bitrate fmtp parameters on the
// video codecs of every remote description.
//
// Why: on a loaded 2-core CI box (three browsers, the node under the race
// detector, other test packages) Chromium's delay-based estimator sees
// scheduling jitter as queueing, stays near 1 Mbit/s and pauses its top
// simulcast layer for minutes. What the browser test checks is the node
// (layers received, switched, forwarded), not Chromium's estimator, so it
// pins the estimate high enough for all three layers.
(() => {
  const KBPS = 2500;
  const CODECS = /^a=rtpmap:(\d+) (VP8|VP9|H264|AV1)\/90000/;
  const extra = `x-google-min-bitrate=${KBPS};x-google-start-bitrate=${KBPS}`;
  function raise(sdp) {
    const lines = sdp.split('\r\n');
    const out = [];
    for (let i = 0; i < lines.length; i++) {
      out.push(lines[i]);
      const m = CODECS.exec(lines[i]);
      if (!m) continue;
      const fmtp = `a=fmtp:${m[1]} `;
      const at = lines.findIndex((l, j) => j > i && l.startsWith(fmtp) && !lines.slice(i + 1, j).some((x) => x.startsWith('m=')));
      if (at >= 0) lines[at] = `${lines[at]};${extra}`;
      else out.push(`${fmtp}${extra}`);
    }
    return out.join('\r\n');
  }
  const set = RTCPeerConnection.prototype.setRemoteDescription;
  RTCPeerConnection.prototype.setRemoteDescription = function (desc, ...rest) {
    if (desc && typeof desc.sdp === 'string' && desc.sdp) desc = { type: desc.type, sdp: raise(desc.sdp) };
    return set.call(this, desc, ...rest);
  };
})();
