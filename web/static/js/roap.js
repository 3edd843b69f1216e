// ROAP client side (the offer/answer protocol Webex clients speak), as
// /work/shared/REFERENCE.md describes the SDK's state machine:
//   - the client increments seq for each offer it starts (first offer seq 1)
//     and always sends tieBreaker 0xFFFFFFFE, so it wins glare;
//   - a remote OFFER / OFFER_REQUEST with seq <= ours gets OUT_OF_ORDER,
//     one crossing our own outstanding offer gets CONFLICT (DOUBLECONFLICT
//     when its tie breaker equals ours), a higher one is adopted;
//   - ANSWER / OK with a lower seq get OUT_OF_ORDER, a duplicate ANSWER is
//     ignored, OK is accepted but never required;
//   - after DOUBLECONFLICT, INVALID_STATE, OUT_OF_ORDER or RETRY for our
//     offer the client offers again (seq + 1, at most 2 retries; RETRY waits
//     retryAfter seconds); any other ERROR for our offer is fatal.
//
// The class knows nothing about WebSockets or RTCPeerConnection: it is given
// functions for those, so the page and the browser test drive the same code.
// Every step runs on one promise chain, so messages are handled in order and
// never interleave with a local offer being built.

/** The tie breaker every Webex client sends: it wins glare against a node. */
export const CLIENT_TIE_BREAKER = 0xfffffffe;

/** ERROR types after which the client offers again. */
const RETRYABLE = new Set(['DOUBLECONFLICT', 'INVALID_STATE', 'OUT_OF_ORDER', 'RETRY']);

/** How many times one offer is retried before the connection is given up. */
export const MAX_RETRIES = 2;

/** Raised (through onFatal) when the media connection cannot be negotiated. */
export class RoapError extends Error {
  constructor(message, roap) {
    super(message);
    this.name = 'RoapError';
    this.roap = roap;
  }
}

export class RoapClient {
  /**
   * @param {object} io
   * @param {(msg: object) => void} io.send        sends a ROAP object to the node
   * @param {() => Promise<string>} io.createOffer  builds and applies a local offer, returns its SDP
   * @param {(sdp: string) => Promise<void>} io.applyAnswer applies the node's answer
   * @param {() => Promise<void>} io.rollback       drops the local offer that failed
   * @param {(sdp: string) => Promise<string>} io.acceptOffer applies a node offer, returns the answer SDP
   * @param {(err: Error) => void} io.onFatal       the connection cannot continue
   * @param {(ms: number) => Promise<void>} [io.delay] waits (tests inject a fake)
   * @param {() => number} [io.random]              0 ≤ x < 1, for FAILED retryAfter
   * @param {(...args: any[]) => void} [io.log]
   */
  constructor(io) {
    this.io = {
      delay: (ms) => new Promise((r) => setTimeout(r, ms)),
      random: Math.random,
      log: () => {},
      ...io,
    };
    /** Highest seq used by either side. */
    this.seq = 0;
    /** 'idle' | 'offering' (our OFFER or OFFER_RESPONSE awaits an ANSWER) | 'closed' */
    this.state = 'idle';
    this.retries = 0;
    /** A local offer was asked for while a transaction was running. */
    this.pending = false;
    this.chain = Promise.resolve();
    /** Resolvers of negotiate() calls, settled when their offer is answered. */
    this.waiters = [];
  }

  /** Builds the first OFFER (seq 1), which the page sends inside `join`. */
  initialOffer() {
    return this.#run(async () => {
      this.seq = 1;
      this.state = 'offering';
      const sdp = await this.io.createOffer();
      return this.#offerMsg('OFFER', sdp);
    });
  }

  /**
   * Asks for a renegotiation (a track added or removed). Resolves when the
   * node has answered an offer that includes the change.
   */
  negotiate() {
    const done = new Promise((resolve, reject) => this.waiters.push({ resolve, reject }));
    this.pending = true;
    this.#run(() => this.#maybeOffer());
    return done;
  }

  /** Handles one ROAP object from the node. */
  handle(msg) {
    return this.#run(() => this.#handle(msg));
  }

  /** Stops all work; later messages are ignored. */
  close(reason = 'closed') {
    this.state = 'closed';
    this.#settle(new RoapError(reason));
  }

  #run(step) {
    const next = this.chain.then(step, step);
    // Keep the chain alive whatever a step does; errors reach callers of
    // the returned promise.
    this.chain = next.catch(() => {});
    return next;
  }

  #offerMsg(type, sdp) {
    return { messageType: type, seq: this.seq, sdp, tieBreaker: CLIENT_TIE_BREAKER };
  }

  #error(errorType, seq, extra = {}) {
    this.io.send({ messageType: 'ERROR', seq, errorType, ...extra });
  }

  async #maybeOffer() {
    if (!this.pending || this.state !== 'idle') return;
    this.pending = false;
    this.seq += 1;
    this.state = 'offering';
    const sdp = await this.io.createOffer();
    this.io.send(this.#offerMsg('OFFER', sdp));
  }

  async #handle(msg) {
    if (this.state === 'closed' || !msg || typeof msg !== 'object') return;
    const seq = Number(msg.seq);
    switch (msg.messageType) {
      case 'ANSWER':
        return this.#onAnswer(msg, seq);
      case 'OK':
        if (seq < this.seq) this.#error('OUT_OF_ORDER', seq);
        return; // accepted, never required
      case 'OFFER':
      case 'OFFER_REQUEST':
        return this.#onRemoteOffer(msg, seq);
      case 'ERROR':
        return this.#onError(msg, seq);
      default:
        this.io.log('roap: ignoring', msg.messageType);
    }
  }

  async #onAnswer(msg, seq) {
    if (seq < this.seq) {
      this.#error('OUT_OF_ORDER', seq);
      return;
    }
    if (this.state !== 'offering' || seq !== this.seq) {
      if (seq === this.seq) return; // duplicate ANSWER
      this.#error('INVALID_STATE', seq);
      return;
    }
    await this.io.applyAnswer(msg.sdp);
    this.state = 'idle';
    this.retries = 0;
    this.io.send({ messageType: 'OK', seq });
    if (!this.pending) this.#settle();
    await this.#maybeOffer();
  }

  async #onRemoteOffer(msg, seq) {
    if (this.state === 'offering') {
      const tie = Number(msg.tieBreaker) === CLIENT_TIE_BREAKER;
      this.#error(tie ? 'DOUBLECONFLICT' : 'CONFLICT', seq);
      return;
    }
    if (seq <= this.seq) {
      this.#error('OUT_OF_ORDER', seq);
      return;
    }
    this.seq = seq;
    if (msg.messageType === 'OFFER_REQUEST') {
      this.state = 'offering';
      const sdp = await this.io.createOffer();
      this.io.send(this.#offerMsg('OFFER_RESPONSE', sdp));
      return;
    }
    let answer;
    try {
      answer = await this.io.acceptOffer(msg.sdp);
    } catch (err) {
      // The node's offer could not be applied: tell it, with a pause before
      // it tries again (the SDK answers FAILED with a random retryAfter).
      this.#error('FAILED', seq, {
        errorCause: String(err && err.message ? err.message : err),
        retryAfter: Math.floor(this.io.random() * 10),
      });
      return;
    }
    this.io.send({ messageType: 'ANSWER', seq, sdp: answer });
    await this.#maybeOffer();
  }

  async #onError(msg, seq) {
    if (this.state !== 'offering' || seq !== this.seq) {
      this.io.log('roap: error for another transaction', msg);
      return;
    }
    if (!RETRYABLE.has(msg.errorType) || this.retries >= MAX_RETRIES) {
      const err = new RoapError(`offer ${seq} refused: ${msg.errorType}${msg.errorCause ? ` (${msg.errorCause})` : ''}`, msg);
      this.state = 'closed';
      this.#settle(err);
      this.io.onFatal(err);
      return;
    }
    this.retries += 1;
    await this.io.rollback();
    this.state = 'idle';
    if (msg.errorType === 'RETRY' && Number(msg.retryAfter) > 0) {
      await this.io.delay(Number(msg.retryAfter) * 1000);
      if (this.state !== 'idle') return;
    }
    this.pending = true;
    await this.#maybeOffer();
  }

  #settle(err) {
    const ws = this.waiters;
    this.waiters = [];
    for (const w of ws) (err ? w.reject(err) : w.resolve());
  }
}
