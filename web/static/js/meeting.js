// Meeting: one page's session with the meeting service. It joins over the
// WebSocket with a ROAP offer, keeps the roster, slot statuses and active
// speakers, sends media requests (tile sizes, pins), mute and floor actions,
// and renders the tiles. The buttons and the test hook (room.js) call the
// same methods.

import { collectStats } from './stats.js';
import { MediaSession, openLocalMedia } from './media.js';
import { RoapClient } from './roap.js';
import { buildRequests, maxFsFor } from './requests.js';
import { Signaling, serviceURL } from './signaling.js';
import { Tile, audioElement } from './tiles.js';

/** How often tiles refresh their resolution from getStats. */
const STATS_INTERVAL_MS = 1000;
/** Resizes are coalesced for this long before a new media request. */
const RESIZE_DEBOUNCE_MS = 200;
/** How long leave() waits for the service's `left`. */
const LEAVE_TIMEOUT_MS = 3000;

export class Meeting extends EventTarget {
  /**
   * @param {object} o
   * @param {string} o.meeting meeting name
   * @param {string} o.name display name
   * @param {{focus: HTMLElement, strip: HTMLElement, audio: HTMLElement}} o.dom
   * @param {string} [o.url] the service's WebSocket URL
   */
  constructor({ meeting, name, dom, url = serviceURL() }) {
    super();
    this.meeting = meeting;
    this.name = name;
    this.dom = dom;
    this.url = url;
    /** 'starting' | 'joining' | 'joined' | 'left' | 'failed' */
    this.state = 'starting';
    this.reason = '';
    this.participantId = '';
    this.connectionId = '';
    this.node = '';
    this.roster = [];
    this.owners = new Map(); // sourceId → {participantId, name, kind, content, muted}
    this.slots = new Map(); // mid → {mid, state, sourceId, layer}
    this.activeSpeakers = [];
    this.floorHolder = '';
    this.muted = { audio: false, video: false };
    this.sharing = false;
    this.floorAsked = false; // a floor grant was sent for the current share
    this.pins = new Map(); // mid → sourceId
    this.maxFsOverride = new Map(); // mid → maxFs (test hook / explicit sizes)
    this.requestSeq = 0;
    this.lastRequest = '';
    this.lastAck = null;
    this.errors = [];
    this.tiles = new Map(); // mid → Tile (video slots)
    this.connectionState = 'new';
    this.iceRestarts = 0;
  }

  /**
   * Opens media and the socket, sends `join`. Resolves when `joined`
   * arrives; on failure everything opened is closed again.
   */
  async start() {
    try {
      await this.#start();
    } catch (err) {
      this.#fail(err.message || String(err));
      throw err;
    }
  }

  async #start() {
    let local = null;
    try {
      local = await openLocalMedia();
    } catch (err) {
      this.#note(`no camera or microphone (${err.name || err}): joining to watch only`);
    }
    this.media = new MediaSession(local);
    this.media.pc.addEventListener('connectionstatechange', () => {
      this.connectionState = this.media.pc.connectionState;
      // The network changed under us (new address, lost path): restart ICE
      // through a ROAP offer; the node keeps a failed connection for a
      // while for exactly this.
      if (this.connectionState === 'failed' && this.state === 'joined') {
        this.restartIce().catch((err) => this.#note(`ICE restart: ${err.message}`));
      }
      this.#changed();
    });
    this.sig = new Signaling(this.url);
    await this.sig.open();
    this.#wire();
    this.roap = new RoapClient({
      send: (roap) => this.sig.send({ type: 'roap', roap }),
      createOffer: () => this.media.createOffer(),
      applyAnswer: (sdp) => this.media.applyAnswer(sdp),
      rollback: () => this.media.rollback(),
      acceptOffer: (sdp) => this.media.acceptOffer(sdp),
      onFatal: (err) => this.#fail(err.message),
      log: (...a) => console.debug(...a),
    });
    const offer = await this.roap.initialOffer();
    this.#buildTiles();
    const joined = new Promise((resolve, reject) => {
      this.addEventListener('joined', resolve, { once: true });
      this.addEventListener('ended', () => reject(new Error(this.reason)), { once: true });
    });
    this.state = 'joining';
    this.sig.send({ type: 'join', meeting: this.meeting, name: this.name, roap: offer });
    this.#changed();
    await joined;
  }

  #wire() {
    const s = this.sig;
    s.on('joined', (m) => this.#onJoined(m));
    s.on('roap', (m) => this.roap?.handle(m.roap).catch((err) => this.#fail(`roap: ${err.message}`)));
    s.on('roster', (m) => this.#onRoster(m.participants || []));
    s.on('slots', (m) => this.#onSlots(m.slots || []));
    s.on('mediaRequestAck', (m) => {
      this.lastAck = m;
      if (!m.applied) this.#note(`media request ${m.seq} was not applied`);
      if (Array.isArray(m.slots)) this.#onSlots(m.slots);
    });
    s.on('activeSpeakers', (m) => {
      this.activeSpeakers = m.sourceIds || [];
      this.#renderSpeakers();
      this.#changed();
    });
    s.on('muteChanged', (m) => this.#onMuteChanged(m));
    s.on('floorChanged', (m) => this.#onFloorChanged(m));
    s.on('error', (m) => this.#onError(m));
    s.on('left', (m) => this.#end('left', m.reason || 'left'));
    s.on('close', (ev) => {
      if (this.state !== 'left' && this.state !== 'failed') {
        this.#end('failed', `connection to the meeting service closed (${ev.code}${ev.reason ? ` ${ev.reason}` : ''})`);
      }
    });
  }

  async #onJoined(m) {
    this.participantId = m.participantId;
    this.connectionId = m.connectionId;
    this.node = m.node || '';
    this.state = 'joined';
    this.dispatchEvent(new Event('joined'));
    this.#changed();
    this.sendMediaRequest(true);
    this.#observeSizes();
    this.statsTimer = setInterval(() => this.#refreshTiles(), STATS_INTERVAL_MS);
    try {
      await this.roap.handle(m.roap);
    } catch (err) {
      this.#fail(`applying the node's answer: ${err.message}`);
    }
  }

  #buildTiles() {
    for (const s of this.media.slots()) {
      const track = s.transceiver.receiver.track;
      if (s.kind === 'audio') {
        this.dom.audio.append(audioElement(track));
        continue;
      }
      const tile = new Tile({ mid: s.mid, role: s.role, track, onClick: (t) => this.togglePin(t.mid) });
      this.tiles.set(s.mid, tile);
      (s.role === 'thumbnail' ? this.dom.strip : this.dom.focus).append(tile.root);
    }
    if (this.media.local?.getVideoTracks().length) {
      const self = document.createElement('div');
      self.className = 'tile self';
      self.dataset.role = 'self';
      const v = document.createElement('video');
      Object.assign(v, { autoplay: true, muted: true, playsInline: true, srcObject: this.media.local });
      const label = document.createElement('div');
      label.className = 'label';
      label.textContent = `${this.name} (you)`;
      self.append(v, label);
      this.dom.strip.append(self);
      this.selfTile = self;
    }
  }

  #onRoster(participants) {
    this.roster = participants;
    this.owners.clear();
    for (const p of participants) {
      for (const src of p.sources || []) {
        this.owners.set(src.sourceId, { participantId: p.participantId, name: p.name, ...src });
      }
      if (p.participantId === this.participantId) {
        for (const src of p.sources || []) {
          if ((src.content || 'main') === 'main' && (src.kind === 'audio' || src.kind === 'video')) {
            this.#applyOwnMute(src.kind, !!src.muted);
          }
        }
      }
    }
    this.#renderTiles();
    this.#changed();
  }

  #onSlots(list) {
    for (const s of list) {
      if (!s || typeof s.mid !== 'string') continue;
      this.slots.set(s.mid, { mid: s.mid, state: s.state, sourceId: s.sourceId || 0, layer: s.layer || 0 });
    }
    this.#renderTiles();
    this.#changed();
  }

  #onMuteChanged(m) {
    if (m.participantId === this.participantId && (m.content || 'main') === 'main') {
      this.#applyOwnMute(m.kind, !!m.muted);
    }
    const p = this.roster.find((x) => x.participantId === m.participantId);
    for (const src of p?.sources || []) {
      if (src.kind === m.kind && (src.content || 'main') === (m.content || 'main')) src.muted = !!m.muted;
    }
    this.#changed();
  }

  #onFloorChanged(m) {
    this.floorHolder = m.participantId || '';
    if (this.sharing && this.floorHolder !== this.participantId) {
      // Someone else took the floor: our share no longer reaches anyone.
      this.stopShare({ release: false }).catch((err) => this.#note(`stopping share: ${err.message}`));
    }
    this.#changed();
  }

  #onError(m) {
    this.errors.push(m);
    this.#note(`${m.re ? `${m.re}: ` : ''}${m.message || m.code}`);
    if (m.fatal || m.re === 'join') this.#fail(m.message || m.code);
  }

  /** Sends a media request for the current tiles; skipped when nothing changed unless force. */
  sendMediaRequest(force = false) {
    if (this.state !== 'joined') return false;
    const slots = this.media.slots();
    const maxFs = new Map();
    const dpr = globalThis.devicePixelRatio || 1;
    for (const [mid, tile] of this.tiles) {
      const { width, height } = tile.size();
      maxFs.set(mid, this.maxFsOverride.get(mid) ?? maxFsFor(width, height, dpr));
    }
    const requests = buildRequests({
      audio: slots.filter((s) => s.role === 'audio').map((s) => s.mid),
      main: slots.find((s) => s.role === 'main').mid,
      thumbnails: slots.filter((s) => s.role === 'thumbnail').map((s) => s.mid),
      slides: slots.find((s) => s.role === 'slides').mid,
      maxFs,
      pins: this.pins,
    });
    const key = JSON.stringify(requests);
    if (!force && key === this.lastRequest) return false;
    this.lastRequest = key;
    this.requestSeq += 1;
    this.sig.send({ type: 'mediaRequest', seq: this.requestSeq, requests });
    this.#changed();
    return true;
  }

  /** Pins sourceId in the video slot mid (receiver-selected); 0 unpins. */
  pin(mid, sourceId) {
    if (!this.tiles.has(mid)) throw new Error(`no video slot ${mid}`);
    if (sourceId) this.pins.set(mid, Number(sourceId));
    else this.pins.delete(mid);
    this.tiles.get(mid).setPinned(!!sourceId);
    this.sendMediaRequest();
  }

  /** The tile click: pin what the tile shows, or unpin it. */
  togglePin(mid) {
    const tile = this.tiles.get(mid);
    if (!tile) return;
    if (this.pins.has(mid)) this.pin(mid, 0);
    else if (tile.status.sourceId) this.pin(mid, tile.status.sourceId);
  }

  /** Requests mid at maxFs macroblocks regardless of its tile size; 0 returns to the tile size. */
  setSlotMaxFs(mid, maxFs) {
    if (!this.tiles.has(mid)) throw new Error(`no video slot ${mid}`);
    if (maxFs > 0) this.maxFsOverride.set(mid, Math.floor(maxFs));
    else this.maxFsOverride.delete(mid);
    return this.sendMediaRequest();
  }

  /**
   * Mutes or unmutes kind ('audio'|'video'). Without participantId (or with
   * our own) it is our own mic/camera: the track is disabled locally too.
   */
  setMuted(kind, muted, participantId = '') {
    if (kind !== 'audio' && kind !== 'video') throw new Error(`kind must be audio or video, not ${kind}`);
    const self = !participantId || participantId === this.participantId;
    if (self) this.#applyOwnMute(kind, muted);
    const msg = { type: 'mute', kind, content: 'main', muted: !!muted };
    if (!self) msg.participantId = participantId;
    this.sig.send(msg);
    this.#changed();
  }

  #applyOwnMute(kind, muted) {
    this.muted[kind] = muted;
    for (const t of kind === 'audio' ? this.media.local?.getAudioTracks() ?? [] : this.media.local?.getVideoTracks() ?? []) {
      t.enabled = !muted;
    }
    this.selfTile?.classList.toggle('muted', this.muted.video);
    this.dispatchEvent(new Event('controls'));
  }

  /** Shares the screen: a new (or reactivated) m-line with a=content:slides, then the floor. */
  async share(track) {
    if (this.sharing) return;
    if (!track) {
      const s = await navigator.mediaDevices.getDisplayMedia({ video: { frameRate: { ideal: 15 } }, audio: false });
      track = s.getVideoTracks()[0];
    }
    track.addEventListener('ended', () => this.stopShare().catch(() => {}), { once: true });
    await this.media.startShare(track);
    this.sharing = true;
    this.dispatchEvent(new Event('controls'));
    await this.roap.negotiate();
    this.sig.send({ type: 'floor', action: 'grant' });
    this.floorAsked = true;
    this.#changed();
  }

  async stopShare({ release = true } = {}) {
    if (!this.sharing) return;
    this.sharing = false;
    this.media.share?.sender.track?.stop();
    await this.media.stopShare();
    this.dispatchEvent(new Event('controls'));
    // Release what we were granted, unless someone else has taken the floor
    // since (its floorChanged may still be on the way: then it is ours).
    const ours = this.floorHolder === this.participantId || this.floorHolder === '';
    if (release && this.floorAsked && ours) this.sig.send({ type: 'floor', action: 'release' });
    this.floorAsked = false;
    await this.roap.negotiate();
    this.#changed();
  }

  /**
   * Restarts ICE (new credentials, new candidate checks) with a ROAP
   * renegotiation; resolves when the node has answered.
   */
  async restartIce() {
    if (this.state !== 'joined') throw new Error('not in a meeting');
    this.iceRestarts += 1;
    this.media.pc.restartIce();
    await this.roap.negotiate();
  }

  /** The ICE username fragment of the current local description. */
  localIceUfrag() {
    const sdp = this.media?.pc.localDescription?.sdp ?? '';
    return /^a=ice-ufrag:(\S+)/m.exec(sdp)?.[1] ?? '';
  }

  /** Leaves the meeting; resolves when the service said `left` or the socket closed. */
  leave() {
    if (this.state === 'left' || this.state === 'failed') return Promise.resolve();
    const done = new Promise((resolve) => this.addEventListener('ended', resolve, { once: true }));
    if (!this.sig?.send({ type: 'leave' })) this.#end('left', 'left');
    // The service answers `left` and closes; don't hang on one that doesn't.
    setTimeout(() => this.#end('left', 'left'), LEAVE_TIMEOUT_MS);
    return done;
  }

  /** Stats per receive slot, plus what the camera sends. */
  async stats() {
    if (!this.media) return { inbound: {}, outbound: [], transport: null };
    return collectStats(this.media.pc);
  }

  /** The source a tile shows, with its owner's name. */
  ownerName(sourceId) {
    return this.owners.get(sourceId)?.name ?? '';
  }

  #renderTiles() {
    for (const [mid, tile] of this.tiles) {
      const s = this.slots.get(mid) || { state: 'no source', sourceId: 0, layer: 0 };
      tile.setStatus(s, this.ownerName(s.sourceId));
    }
    this.#renderSpeakers();
  }

  #renderSpeakers() {
    const loudest = this.activeSpeakers[0];
    for (const tile of this.tiles.values()) {
      const src = tile.status.sourceId;
      tile.root.classList.toggle('speaking', !!loudest && src !== 0 && (src & ~0xff) === (loudest & ~0xff));
    }
  }

  async #refreshTiles() {
    if (document.hidden) return;
    let st;
    try {
      st = await collectStats(this.media.pc);
    } catch {
      return;
    }
    for (const [mid, tile] of this.tiles) {
      const s = st.inbound[mid];
      if (s) tile.setFrame(s.frameWidth, s.frameHeight, s.framesPerSecond);
    }
  }

  #observeSizes() {
    let timer = 0;
    this.resizeObserver = new ResizeObserver(() => {
      clearTimeout(timer);
      timer = setTimeout(() => this.sendMediaRequest(), RESIZE_DEBOUNCE_MS);
    });
    for (const tile of this.tiles.values()) this.resizeObserver.observe(tile.root);
  }

  #note(text) {
    this.lastNote = text;
    this.dispatchEvent(new CustomEvent('note', { detail: text }));
  }

  #fail(reason) {
    this.#end('failed', reason);
  }

  #end(state, reason) {
    if (this.state === 'left' || this.state === 'failed') return;
    this.state = state;
    this.reason = reason;
    clearInterval(this.statsTimer);
    this.resizeObserver?.disconnect();
    this.roap?.close(reason);
    this.media?.close();
    this.connectionState = 'closed';
    this.sig?.close();
    this.dispatchEvent(new Event('ended'));
    this.#changed();
  }

  #changed() {
    this.dispatchEvent(new Event('change'));
  }
}
