// The page's RTCPeerConnection: what it publishes, its receive slots, and the
// offer/answer steps the ROAP client calls.
//
// m-line layout of the first offer (slot ids are the mids Chrome assigns):
//   sendonly audio (mic), sendonly video (camera, simulcast q/h/f),
//   3 recvonly audio slots, 1 recvonly main video, 4 recvonly thumbnails,
//   1 recvonly slides video.
// Publishing m-lines are sendonly, not sendrecv: in slots mode every
// receiving m-line is a slot (docs/multistream.md).

/** Simulcast layers, lowest first, as Chrome sends them (RID-signalled). */
export const SIMULCAST = [
  { rid: 'q', scaleResolutionDownBy: 4 },
  { rid: 'h', scaleResolutionDownBy: 2 },
  { rid: 'f', scaleResolutionDownBy: 1 },
];

export const SLOT_COUNTS = { audio: 3, thumbnails: 4 };

/** How long to wait for ICE candidates before sending an offer anyway. */
const GATHER_TIMEOUT_MS = 3000;

/** Opens the camera and the microphone; missing devices are tolerated. */
export async function openLocalMedia(devices = navigator.mediaDevices) {
  const want = {
    audio: { echoCancellation: true, noiseSuppression: true },
    video: { width: { ideal: 1280 }, height: { ideal: 720 }, frameRate: { ideal: 30 } },
  };
  try {
    return await devices.getUserMedia(want);
  } catch (both) {
    // One device missing or refused: publish what is there.
    for (const only of [{ audio: want.audio }, { video: want.video }]) {
      try {
        return await devices.getUserMedia(only);
      } catch { /* try the next */ }
    }
    throw both;
  }
}

export class MediaSession {
  /**
   * @param {MediaStream|null} local camera + microphone (may lack either)
   * @param {RTCConfiguration} [config]
   */
  constructor(local, config = {}) {
    this.pc = new RTCPeerConnection({ bundlePolicy: 'max-bundle', ...config });
    this.local = local;
    const audio = local?.getAudioTracks()[0] ?? null;
    const video = local?.getVideoTracks()[0] ?? null;
    const stream = local ? [local] : [];
    this.mic = this.pc.addTransceiver(audio ?? 'audio', { direction: 'sendonly', streams: stream });
    this.camera = this.pc.addTransceiver(video ?? 'video', {
      direction: 'sendonly',
      streams: stream,
      sendEncodings: SIMULCAST.map((l) => ({ ...l })),
    });
    const recv = (kind) => this.pc.addTransceiver(kind, { direction: 'recvonly' });
    this.audioSlots = Array.from({ length: SLOT_COUNTS.audio }, () => recv('audio'));
    this.mainSlot = recv('video');
    this.thumbSlots = Array.from({ length: SLOT_COUNTS.thumbnails }, () => recv('video'));
    this.slidesSlot = recv('video');
    /** The screen-share transceiver, created on the first share. */
    this.share = null;
  }

  /** Builds, applies and returns a local offer (candidates included: no trickle). */
  async createOffer() {
    const offer = await this.pc.createOffer();
    const sdp = this.#mungeLocal(offer.sdp);
    try {
      await this.pc.setLocalDescription({ type: 'offer', sdp });
    } catch {
      // Chrome refused the munged text: apply its own; the node still gets
      // the attributes below, which only it reads.
      await this.pc.setLocalDescription(offer);
    }
    await this.#gathered();
    return this.#mungeLocal(this.pc.localDescription.sdp);
  }

  async applyAnswer(sdp) {
    await this.pc.setRemoteDescription({ type: 'answer', sdp });
  }

  async rollback() {
    if (this.pc.signalingState === 'have-local-offer') {
      await this.pc.setLocalDescription({ type: 'rollback' });
    }
  }

  /** Applies a node-initiated offer and returns the answer SDP. */
  async acceptOffer(sdp) {
    await this.pc.setRemoteDescription({ type: 'offer', sdp });
    const answer = await this.pc.createAnswer();
    await this.pc.setLocalDescription(answer);
    await this.#gathered();
    return this.pc.localDescription.sdp;
  }

  /** Receive slots as {mid, kind, role, transceiver}; mids exist after the first offer. */
  slots() {
    const out = [];
    for (const t of this.audioSlots) out.push({ mid: t.mid, kind: 'audio', role: 'audio', transceiver: t });
    out.push({ mid: this.mainSlot.mid, kind: 'video', role: 'main', transceiver: this.mainSlot });
    for (const t of this.thumbSlots) out.push({ mid: t.mid, kind: 'video', role: 'thumbnail', transceiver: t });
    out.push({ mid: this.slidesSlot.mid, kind: 'video', role: 'slides', transceiver: this.slidesSlot });
    return out;
  }

  /**
   * Starts sending a screen track on the share m-line (a new m-line the
   * first time; the same one, reactivated, later). The caller renegotiates.
   */
  async startShare(track) {
    if (!this.share) {
      this.share = this.pc.addTransceiver(track, { direction: 'sendonly' });
      return;
    }
    await this.share.sender.replaceTrack(track);
    this.share.direction = 'sendonly';
  }

  /** Stops sending the share (m-line inactive). The caller renegotiates. */
  async stopShare() {
    if (!this.share) return;
    await this.share.sender.replaceTrack(null);
    this.share.direction = 'inactive';
  }

  close() {
    this.pc.close();
    for (const t of this.local?.getTracks() ?? []) t.stop();
    this.share?.sender.track?.stop();
  }

  /** Marks the share m-line as slides (RFC 4796): that is how the node tells a share from a camera. */
  #mungeLocal(sdp) {
    const mid = this.share?.mid;
    return mid ? addContentSlides(sdp, mid) : sdp;
  }

  #gathered() {
    if (this.pc.iceGatheringState === 'complete') return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        if (this.pc.iceGatheringState !== 'complete') return;
        clearTimeout(timer);
        this.pc.removeEventListener('icegatheringstatechange', done);
        resolve();
      };
      const timer = setTimeout(() => {
        this.pc.removeEventListener('icegatheringstatechange', done);
        resolve();
      }, GATHER_TIMEOUT_MS);
      this.pc.addEventListener('icegatheringstatechange', done);
    });
  }
}

/**
 * Adds a=content:slides to the m-line whose a=mid is mid, unless it has it.
 * SDP lines end in CRLF; the attribute goes right after the mid line.
 */
export function addContentSlides(sdp, mid) {
  const lines = sdp.split('\r\n');
  const at = lines.indexOf(`a=mid:${mid}`);
  if (at < 0) return sdp;
  for (let i = at + 1; i < lines.length && !lines[i].startsWith('m='); i++) {
    if (lines[i] === 'a=content:slides') return sdp;
  }
  for (let i = at - 1; i >= 0 && !lines[i + 1].startsWith('m='); i--) {
    if (lines[i] === 'a=content:slides') return sdp;
  }
  lines.splice(at + 1, 0, 'a=content:slides');
  return lines.join('\r\n');
}
