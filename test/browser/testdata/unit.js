// Unit tests of the demo page's pure modules (ROAP client, media request
// builder, SDP munging), run in Chromium by TestPageUnits. Results land in
// window.unitResults = {done, passed, failures: [{name, error}]}.

import { RoapClient, CLIENT_TIE_BREAKER, MAX_RETRIES } from '/js/roap.js';
import { buildRequests, maxFsFor, MAX_FS } from '/js/requests.js';
import { addContentSlides } from '/js/media.js';

const tests = [];
const test = (name, fn) => tests.push({ name, fn });

function eq(got, want, what = 'value') {
  const g = JSON.stringify(got);
  const w = JSON.stringify(want);
  if (g !== w) throw new Error(`${what}: got ${g}, want ${w}`);
}

/** A RoapClient wired to recorders instead of a socket and a peer connection. */
function fixture({ failAccept = false } = {}) {
  const f = { sent: [], offers: 0, answers: [], rollbacks: 0, fatal: null, delays: [], accepted: [] };
  f.roap = new RoapClient({
    send: (m) => f.sent.push(m),
    createOffer: async () => `offer-${++f.offers}`,
    applyAnswer: async (sdp) => { f.answers.push(sdp); },
    rollback: async () => { f.rollbacks++; },
    acceptOffer: async (sdp) => {
      if (failAccept) throw new Error('bad sdp');
      f.accepted.push(sdp);
      return `answer-to-${sdp}`;
    },
    onFatal: (err) => { f.fatal = err; },
    delay: async (ms) => { f.delays.push(ms); },
    random: () => 0.55,
  });
  f.last = () => f.sent[f.sent.length - 1];
  return f;
}

async function joined() {
  const f = fixture();
  const first = await f.roap.initialOffer();
  await f.roap.handle({ messageType: 'ANSWER', seq: 1, sdp: 'a1' });
  f.sent.length = 0;
  return { f, first };
}

test('first offer is seq 1 with the client tie breaker', async () => {
  const f = fixture();
  const m = await f.roap.initialOffer();
  eq(m, { messageType: 'OFFER', seq: 1, sdp: 'offer-1', tieBreaker: 0xfffffffe });
  eq(CLIENT_TIE_BREAKER, 4294967294, 'tie breaker');
  eq(f.roap.state, 'offering', 'state');
});

test('answer is applied and acknowledged with OK', async () => {
  const { f } = await joined();
  eq(f.answers, ['a1'], 'answers applied');
  eq(f.roap.state, 'idle', 'state');
  const g = fixture();
  await g.roap.initialOffer();
  await g.roap.handle({ messageType: 'ANSWER', seq: 1, sdp: 'a1' });
  eq(g.sent, [{ messageType: 'OK', seq: 1 }], 'sent');
});

test('duplicate answer is ignored, a lower one is out of order', async () => {
  const { f } = await joined();
  await f.roap.handle({ messageType: 'ANSWER', seq: 1, sdp: 'again' });
  eq(f.sent, [], 'nothing sent for a duplicate');
  eq(f.answers, ['a1'], 'duplicate not applied');
  await f.roap.handle({ messageType: 'OFFER', seq: 5, sdp: 'n5', tieBreaker: 1 });
  f.sent.length = 0;
  await f.roap.handle({ messageType: 'ANSWER', seq: 2, sdp: 'old' });
  eq(f.sent, [{ messageType: 'ERROR', seq: 2, errorType: 'OUT_OF_ORDER' }], 'lower answer');
});

test('answer without an outstanding offer is an invalid state', async () => {
  const { f } = await joined();
  await f.roap.handle({ messageType: 'ANSWER', seq: 3, sdp: 'x' });
  eq(f.sent, [{ messageType: 'ERROR', seq: 3, errorType: 'INVALID_STATE' }]);
});

test('node offer with a higher seq is answered with that seq', async () => {
  const { f } = await joined();
  await f.roap.handle({ messageType: 'OFFER', seq: 2, sdp: 'node-2', tieBreaker: 10 });
  eq(f.accepted, ['node-2'], 'applied');
  eq(f.sent, [{ messageType: 'ANSWER', seq: 2, sdp: 'answer-to-node-2' }]);
  eq(f.roap.seq, 2, 'seq adopted');
  await f.roap.handle({ messageType: 'OK', seq: 2 });
  eq(f.sent.length, 1, 'OK needs no reply');
});

test('node offer with seq not above ours is out of order', async () => {
  const { f } = await joined();
  await f.roap.handle({ messageType: 'OFFER', seq: 1, sdp: 'stale', tieBreaker: 10 });
  eq(f.sent, [{ messageType: 'ERROR', seq: 1, errorType: 'OUT_OF_ORDER' }]);
  eq(f.accepted, [], 'not applied');
});

test('node offer crossing ours gets CONFLICT, DOUBLECONFLICT on equal tie breakers', async () => {
  const f = fixture();
  await f.roap.initialOffer();
  await f.roap.handle({ messageType: 'OFFER', seq: 2, sdp: 'n', tieBreaker: 5 });
  eq(f.last(), { messageType: 'ERROR', seq: 2, errorType: 'CONFLICT' });
  await f.roap.handle({ messageType: 'OFFER', seq: 2, sdp: 'n', tieBreaker: 0xfffffffe });
  eq(f.last(), { messageType: 'ERROR', seq: 2, errorType: 'DOUBLECONFLICT' });
  eq(f.accepted, [], 'neither applied');
});

test('node offer that cannot be applied gets FAILED with retryAfter', async () => {
  const f = fixture({ failAccept: true });
  await f.roap.initialOffer();
  await f.roap.handle({ messageType: 'ANSWER', seq: 1, sdp: 'a1' });
  f.sent.length = 0;
  await f.roap.handle({ messageType: 'OFFER', seq: 2, sdp: 'bad', tieBreaker: 1 });
  eq(f.sent, [{ messageType: 'ERROR', seq: 2, errorType: 'FAILED', errorCause: 'bad sdp', retryAfter: 5 }]);
});

test('retryable error re-offers with seq+1 after a rollback, then gives up', async () => {
  const f = fixture();
  await f.roap.initialOffer();
  for (let i = 0; i < MAX_RETRIES; i++) {
    await f.roap.handle({ messageType: 'ERROR', seq: f.roap.seq, errorType: i === 0 ? 'OUT_OF_ORDER' : 'INVALID_STATE' });
    eq(f.last(), { messageType: 'OFFER', seq: 2 + i, sdp: `offer-${2 + i}`, tieBreaker: 0xfffffffe }, `retry ${i + 1}`);
  }
  eq(f.rollbacks, MAX_RETRIES, 'rollbacks');
  await f.roap.handle({ messageType: 'ERROR', seq: f.roap.seq, errorType: 'DOUBLECONFLICT' });
  if (!f.fatal) throw new Error('third failure is not fatal');
  eq(f.roap.state, 'closed', 'state');
});

test('RETRY waits retryAfter seconds before the new offer', async () => {
  const f = fixture();
  await f.roap.initialOffer();
  await f.roap.handle({ messageType: 'ERROR', seq: 1, errorType: 'RETRY', retryAfter: 2 });
  eq(f.delays, [2000], 'delays');
  eq(f.last().seq, 2, 'new offer seq');
});

test('other errors for our offer are fatal; errors for other seqs are not', async () => {
  const f = fixture();
  await f.roap.initialOffer();
  await f.roap.handle({ messageType: 'ERROR', seq: 7, errorType: 'FAILED' });
  eq(f.fatal, null, 'other seq');
  await f.roap.handle({ messageType: 'ERROR', seq: 1, errorType: 'FAILED', errorCause: 'no codecs' });
  if (!f.fatal || !/no codecs/.test(f.fatal.message)) throw new Error(`fatal: ${f.fatal}`);
});

test('OFFER_REQUEST is answered with OFFER_RESPONSE at the node seq', async () => {
  const { f } = await joined();
  await f.roap.handle({ messageType: 'OFFER_REQUEST', seq: 4 });
  eq(f.sent, [{ messageType: 'OFFER_RESPONSE', seq: 4, sdp: 'offer-2', tieBreaker: 0xfffffffe }]);
  await f.roap.handle({ messageType: 'ANSWER', seq: 4, sdp: 'a4' });
  eq(f.last(), { messageType: 'OK', seq: 4 });
});

test('negotiate waits for the running transaction and resolves on its answer', async () => {
  const f = fixture();
  await f.roap.initialOffer();
  let done = false;
  const p = f.roap.negotiate().then(() => { done = true; });
  await f.roap.handle({ messageType: 'OFFER', seq: 9, sdp: 'x', tieBreaker: 1 }); // glare: conflict
  await f.roap.handle({ messageType: 'ANSWER', seq: 1, sdp: 'a1' });
  eq(f.last(), { messageType: 'OFFER', seq: 2, sdp: 'offer-2', tieBreaker: 0xfffffffe }, 'queued offer');
  eq(done, false, 'resolved before its answer');
  await f.roap.handle({ messageType: 'ANSWER', seq: 2, sdp: 'a2' });
  await p;
  eq(done, true, 'resolved');
});

test('close rejects waiting negotiations and ignores later messages', async () => {
  const { f } = await joined();
  f.roap.state = 'offering'; // a transaction is running
  const p = f.roap.negotiate();
  f.roap.close('left');
  let rejected = false;
  await p.catch(() => { rejected = true; });
  eq(rejected, true, 'rejected');
  await f.roap.handle({ messageType: 'OFFER', seq: 5, sdp: 'x' });
  eq(f.sent, [], 'ignored');
});

test('maxFs follows the tile size in macroblocks, within the pane sizes', async () => {
  eq(maxFsFor(320, 180), 20 * 12, '320x180');
  eq(maxFsFor(640, 360, 2), 80 * 45, 'dpr 2');
  eq(maxFsFor(10, 10), MAX_FS.thumbnail, 'floor');
  eq(maxFsFor(4000, 3000), MAX_FS.large, 'ceiling');
});

test('media request: audio, main, one entry per thumbnail, slides; pins first', async () => {
  const base = { audio: ['2', '3', '4'], main: '5', thumbnails: ['6', '7'], slides: '8' };
  const maxFs = new Map([['5', 3600], ['6', 60], ['7', 60], ['8', 920]]);
  let r = buildRequests({ ...base, maxFs, pins: new Map() });
  eq(r.map((e) => [e.policy, e.slots, e.priority ?? null, e.content, e.maxFs ?? null]), [
    ['active-speaker', ['2', '3', '4'], 255, 'main', null],
    ['active-speaker', ['5'], 255, 'main', 3600],
    ['active-speaker', ['6'], 254, 'main', 60],
    ['active-speaker', ['7'], 254, 'main', 60],
    ['active-speaker', ['8'], 255, 'slides', 920],
  ]);
  r = buildRequests({ ...base, maxFs, pins: new Map([['5', 0x1234501]]) });
  eq(r[0], { policy: 'receiver-selected', sourceId: 0x1234501, slots: ['5'], content: 'main', maxFs: 3600, maxFps: 3000 }, 'pin');
  eq(r.filter((e) => e.slots.includes('5')).length, 1, 'main only in its pin');
});

test('a=content:slides is added once, to the share m-line only', async () => {
  const sdp = ['v=0', 'm=audio 9 UDP/TLS/RTP/SAVPF 111', 'a=mid:0', 'a=sendonly',
    'm=video 9 UDP/TLS/RTP/SAVPF 96', 'a=mid:11', 'a=sendonly', ''].join('\r\n');
  const once = addContentSlides(sdp, '11');
  eq(once.split('\r\n'), ['v=0', 'm=audio 9 UDP/TLS/RTP/SAVPF 111', 'a=mid:0', 'a=sendonly',
    'm=video 9 UDP/TLS/RTP/SAVPF 96', 'a=mid:11', 'a=content:slides', 'a=sendonly', '']);
  eq(addContentSlides(once, '11'), once, 'idempotent');
  eq(addContentSlides(sdp, '3'), sdp, 'unknown mid');
});

const results = { done: false, passed: 0, failures: [] };
window.unitResults = results;
for (const t of tests) {
  try {
    await t.fn();
    results.passed++;
  } catch (err) {
    results.failures.push({ name: t.name, error: String(err && err.stack ? err.stack : err) });
  }
}
results.done = true;
document.getElementById('out').textContent = JSON.stringify(results, null, 2);
