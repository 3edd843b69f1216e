// The meeting page: reads /room/{meeting}?name=X, starts a Meeting, wires the
// buttons, and exposes window.switchyard, a thin hook over the same Meeting
// methods the buttons use (the headless Chromium test drives it).

import { Meeting } from './meeting.js';

const $ = (id) => document.getElementById(id);
const MEETING_RE = /^[A-Za-z0-9_-]{1,64}$/;

const meetingName = decodeURIComponent(location.pathname.replace(/^\/room\//, '').replace(/\/.*$/, ''));
const params = new URLSearchParams(location.search);

/** @type {Meeting|null} */
let meeting = null;

function status(text) {
  $('status').textContent = text;
}

function askName() {
  return new Promise((resolve) => {
    const form = $('name-form');
    const input = $('name-input');
    input.value = localStorage.getItem('switchyard.name') || '';
    form.hidden = false;
    input.focus();
    form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      const n = input.value.trim();
      if (!n) return;
      form.hidden = true;
      localStorage.setItem('switchyard.name', n);
      resolve(n);
    }, { once: true });
  });
}

function renderControls() {
  const m = meeting;
  const joined = m?.state === 'joined';
  for (const id of ['mic', 'cam', 'share', 'leave']) $(id).disabled = !joined;
  if (!m) return;
  $('mic').setAttribute('aria-pressed', String(m.muted.audio));
  $('mic').textContent = m.muted.audio ? 'Unmute mic' : 'Mute mic';
  $('cam').setAttribute('aria-pressed', String(m.muted.video));
  $('cam').textContent = m.muted.video ? 'Start camera' : 'Stop camera';
  $('share').setAttribute('aria-pressed', String(m.sharing));
  $('share').textContent = m.sharing ? 'Stop sharing' : 'Share screen';
  const hasMedia = !!m.media?.local;
  if (joined && !hasMedia) $('mic').disabled = $('cam').disabled = true;
}

function renderStatus() {
  const m = meeting;
  if (!m) return;
  const n = m.roster.length;
  switch (m.state) {
    case 'joining': status('joining…'); break;
    case 'joined': status(`${m.connectionState} · ${n} participant${n === 1 ? '' : 's'}`); break;
    case 'left':
    case 'failed':
      status(m.state);
      $('notice-text').textContent = m.state === 'left' ? `You left the meeting (${m.reason}).` : `Disconnected: ${m.reason}`;
      $('notice').hidden = false;
      break;
    default: status(m.state);
  }
}

async function start(name) {
  $('notice').hidden = true;
  for (const id of ['focus', 'strip', 'audio-slots']) $(id).replaceChildren();
  meeting = new Meeting({ meeting: meetingName, name, dom: { focus: $('focus'), strip: $('strip'), audio: $('audio-slots') } });
  meeting.addEventListener('change', () => { renderStatus(); renderControls(); });
  meeting.addEventListener('controls', renderControls);
  meeting.addEventListener('note', (ev) => status(ev.detail));
  try {
    await meeting.start();
  } catch (err) {
    status(`cannot join: ${err.message}`);
    $('notice-text').textContent = `Cannot join: ${err.message}`;
    $('notice').hidden = false;
  }
}

function guard(p) {
  Promise.resolve(p).catch((err) => status(err.message || String(err)));
}

$('mic').addEventListener('click', () => guard(meeting.setMuted('audio', !meeting.muted.audio)));
$('cam').addEventListener('click', () => guard(meeting.setMuted('video', !meeting.muted.video)));
$('share').addEventListener('click', () => guard(meeting.sharing ? meeting.stopShare() : meeting.share()));
$('leave').addEventListener('click', () => guard(meeting.leave()));
$('rejoin').addEventListener('click', () => guard(start(meeting?.name || params.get('name') || '')));
// A reload or a closed tab leaves at once instead of waiting for the
// service's ping timeout.
addEventListener('pagehide', () => { if (meeting?.state === 'joined') meeting.sig.send({ type: 'leave' }); });

window.switchyard = {
  get state() { return meeting?.state ?? 'starting'; },
  get reason() { return meeting?.reason ?? ''; },
  get connectionState() { return meeting?.connectionState ?? 'new'; },
  get participantId() { return meeting?.participantId ?? ''; },
  get connectionId() { return meeting?.connectionId ?? ''; },
  get node() { return meeting?.node ?? ''; },
  get roster() { return meeting?.roster ?? []; },
  get slots() { return meeting ? [...meeting.slots.values()] : []; },
  get activeSpeakers() { return meeting?.activeSpeakers ?? []; },
  get floorHolder() { return meeting?.floorHolder ?? ''; },
  get muted() { return meeting?.muted ?? { audio: false, video: false }; },
  get requestSeq() { return meeting?.requestSeq ?? 0; },
  get lastAck() { return meeting?.lastAck ?? null; },
  /** The requests of the last mediaRequest sent. */
  get lastRequest() { return meeting?.lastRequest ? JSON.parse(meeting.lastRequest) : []; },
  get errors() { return meeting?.errors ?? []; },
  /** Slot mids by role: {audio: [...], main, thumbnails: [...], slides}. */
  get mids() {
    const s = meeting?.media?.slots() ?? [];
    return {
      audio: s.filter((x) => x.role === 'audio').map((x) => x.mid),
      main: s.find((x) => x.role === 'main')?.mid ?? '',
      thumbnails: s.filter((x) => x.role === 'thumbnail').map((x) => x.mid),
      slides: s.find((x) => x.role === 'slides')?.mid ?? '',
    };
  },
  get iceRestarts() { return meeting?.iceRestarts ?? 0; },
  get iceUfrag() { return meeting?.localIceUfrag() ?? ''; },
  stats: () => meeting.stats(),
  restartIce: () => meeting.restartIce(),
  setMuted: (kind, muted, participantId) => meeting.setMuted(kind, muted, participantId),
  pin: (mid, sourceId) => meeting.pin(mid, sourceId),
  setSlotMaxFs: (mid, maxFs) => meeting.setSlotMaxFs(mid, maxFs),
  share: () => meeting.share(),
  stopShare: () => meeting.stopShare(),
  leave: () => meeting.leave(),
};

if (!MEETING_RE.test(meetingName)) {
  status('bad meeting name: use letters, digits, _ and - (at most 64)');
} else {
  $('meeting-name').textContent = meetingName;
  document.title = `${meetingName} · Switchyard`;
  const given = (params.get('name') || '').trim();
  guard((given ? Promise.resolve(given) : askName()).then(start));
}
