// Media requests: how the page asks the node to fill its receive slots
// (docs/meeting-protocol.md "Slots", docs/multistream.md). Pure functions.

/** Webex pane sizes in 16×16 macroblocks. */
export const MAX_FS = { thumbnail: 60, verySmall: 240, small: 920, medium: 3600, large: 8192 };

/** Priorities of the active-speaker entries: main above thumbnails. */
export const PRIORITY = { main: 255, thumbnail: 254, audio: 255, slides: 255 };

/**
 * maxFs for a tile of cssWidth × cssHeight CSS pixels on a screen with
 * devicePixelRatio dpr: the macroblocks covering its device pixels, at
 * least the thumbnail size and at most the largest.
 */
export function maxFsFor(cssWidth, cssHeight, dpr = 1) {
  const w = Math.ceil((cssWidth * dpr) / 16);
  const h = Math.ceil((cssHeight * dpr) / 16);
  return Math.min(MAX_FS.large, Math.max(MAX_FS.thumbnail, w * h));
}

/**
 * Builds the `requests` of a mediaRequest.
 *
 * @param {object} p
 * @param {string[]} p.audio      audio slot mids
 * @param {string} p.main         main video slot mid
 * @param {string[]} p.thumbnails thumbnail slot mids, in display order
 * @param {string} p.slides       slides slot mid
 * @param {Map<string, number>} p.maxFs   maxFs per video mid
 * @param {Map<string, number>} p.pins    sourceId pinned per video mid
 * @param {number} [p.maxFps]     1/100 fps (3000 = 30 fps)
 */
export function buildRequests({ audio, main, thumbnails, slides, maxFs, pins, maxFps = 3000 }) {
  const fs = (mid) => maxFs.get(mid) ?? MAX_FS.medium;
  const requests = [];
  // Pinned tiles first: the node serves receiver-selected entries before
  // active-speaker ones and does not repeat a pinned source in them.
  for (const mid of [main, ...thumbnails, slides]) {
    if (!pins.has(mid)) continue;
    requests.push({
      policy: 'receiver-selected',
      sourceId: pins.get(mid),
      slots: [mid],
      content: mid === slides ? 'slides' : 'main',
      maxFs: fs(mid),
      maxFps,
    });
  }
  if (audio.length) {
    requests.push({ policy: 'active-speaker', priority: PRIORITY.audio, slots: [...audio], content: 'main' });
  }
  if (!pins.has(main)) {
    requests.push({
      policy: 'active-speaker', priority: PRIORITY.main, preferLiveVideo: false,
      slots: [main], content: 'main', maxFs: fs(main), maxFps,
    });
  }
  // One entry per thumbnail: each keeps its own maxFs.
  for (const mid of thumbnails) {
    if (pins.has(mid)) continue;
    requests.push({
      policy: 'active-speaker', priority: PRIORITY.thumbnail, preferLiveVideo: false,
      slots: [mid], content: 'main', maxFs: fs(mid), maxFps,
    });
  }
  if (slides && !pins.has(slides)) {
    requests.push({
      policy: 'active-speaker', priority: PRIORITY.slides,
      slots: [slides], content: 'slides', maxFs: fs(slides), maxFps,
    });
  }
  return requests;
}
