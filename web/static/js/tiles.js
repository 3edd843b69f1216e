// Tiles: one per video receive slot (main, thumbnails, slides), showing the
// slot's media, whose it is, its resolution and its state; audio slots play
// through hidden <audio> elements.

/** Slot states as the service sends them (docs/meeting-protocol.md). */
export const STATES = ['live', 'no source', 'avatar', 'invalid source', 'bandwidth disabled'];

function el(tag, cls, text) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = text;
  return e;
}

function initials(name) {
  const parts = String(name || '?').trim().split(/\s+/).filter(Boolean);
  return (parts.slice(0, 2).map((p) => [...p][0]).join('') || '?').toUpperCase();
}

export class Tile {
  /**
   * @param {object} o
   * @param {string} o.mid   the slot's mid
   * @param {string} o.role  'main' | 'thumbnail' | 'slides'
   * @param {MediaStreamTrack} o.track the slot's receive track
   * @param {(tile: Tile) => void} o.onClick
   */
  constructor({ mid, role, track, onClick }) {
    this.mid = mid;
    this.role = role;
    this.root = el('div', `tile ${role}`);
    this.root.dataset.mid = mid;
    this.root.dataset.role = role;
    this.root.tabIndex = 0;
    this.root.title = 'click to pin / unpin';
    this.video = el('video');
    this.video.autoplay = true;
    this.video.muted = true;
    this.video.playsInline = true;
    this.video.srcObject = new MediaStream([track]);
    this.avatar = el('div', 'avatar');
    this.label = el('div', 'label');
    this.nameEl = el('span', 'name');
    this.resEl = el('span', 'res');
    this.stateEl = el('span', 'state');
    this.pinEl = el('span', 'pin', 'pinned');
    this.label.append(this.pinEl, this.nameEl, this.resEl, this.stateEl);
    this.root.append(this.video, this.avatar, this.label);
    this.root.addEventListener('click', () => onClick(this));
    this.root.addEventListener('keydown', (ev) => {
      if (ev.key === 'Enter' || ev.key === ' ') { ev.preventDefault(); onClick(this); }
    });
    this.video.addEventListener('resize', () => this.#showResolution());
    this.status = { state: 'no source', sourceId: 0, layer: 0 };
    this.name = '';
    this.setStatus(this.status, '');
    this.setPinned(false);
  }

  /** Applies a slot status and the name of the source's owner. */
  setStatus({ state, sourceId, layer }, name) {
    this.status = { state: STATES.includes(state) ? state : 'no source', sourceId: sourceId || 0, layer: layer || 0 };
    this.name = name || '';
    const s = this.status.state;
    this.root.dataset.state = s;
    this.root.dataset.sourceId = String(this.status.sourceId);
    this.nameEl.textContent = this.name || (s === 'no source' ? '' : 'unknown');
    this.stateEl.textContent = s;
    this.avatar.textContent = s === 'avatar' ? initials(this.name) : '';
    this.avatar.hidden = s === 'live';
    this.video.hidden = s !== 'live';
    this.#showResolution();
  }

  setPinned(pinned) {
    this.pinned = pinned;
    this.root.classList.toggle('pinned', pinned);
    this.pinEl.hidden = !pinned;
  }

  /** Shows frame size (and frame rate when known) from stats or the element. */
  setFrame(width, height, fps) {
    this.frame = { width, height, fps };
    this.#showResolution();
  }

  #showResolution() {
    const w = this.frame?.width || this.video.videoWidth;
    const h = this.frame?.height || this.video.videoHeight;
    const fps = this.frame?.fps;
    this.resEl.textContent = this.status.state === 'live' && w && h
      ? `${w}×${h}${fps ? ` ${Math.round(fps)} fps` : ''}` : '';
  }

  /** The tile's size in CSS pixels. */
  size() {
    const r = this.root.getBoundingClientRect();
    return { width: r.width, height: r.height };
  }
}

/** Plays one audio slot; hidden. */
export function audioElement(track) {
  const a = el('audio');
  a.autoplay = true;
  a.srcObject = new MediaStream([track]);
  return a;
}
