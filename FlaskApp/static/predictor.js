// Live prediction: ask once the pen rests, keep only the latest request, and ask again when
// told to. What the answers say is the page's business (app.js), not this module's.

import { postJson } from "./api.js";

// Ask this long after the pen last moved (or lifted).
const REST_MS = 120;
// Say "Reading…" only when the server takes longer than this to answer.
const SLOW_MS = 500;

/**
 * Predictions of `pad`'s ink, posted to `url`. `view` hears `started()`, `slow()`, `finished()`
 * (no request in flight any more), `answered(reply, posted, current)`, `unreachable()`,
 * `failed()` (something unexpected) and `empty()` (nothing drawn to send).
 */
export class Predictor {
  constructor(url, pad, view) {
    this.url = url;
    this.pad = pad;
    this.view = view;
    this.seq = 0; // the latest request's number: answers to older ones are ignored
    this.controller = null; // aborts the request in flight
    this.restTimer = 0;
    this.slowTimer = 0;
  }

  /** Predict once the pen has rested (or lifted) for REST_MS: a live reading. */
  schedule() {
    window.clearTimeout(this.restTimer);
    this.restTimer = window.setTimeout(() => this.predict({ live: true }), REST_MS);
  }

  /** The pen is down again: wait for it to rest before asking. */
  hold() {
    window.clearTimeout(this.restTimer);
  }

  /** Forget any pending or in-flight prediction so its answer is ignored. */
  cancel() {
    window.clearTimeout(this.restTimer);
    this.seq += 1;
    if (this.controller) this.controller.abort();
    this.finish();
  }

  /** The request in flight is over, answered or not. */
  finish() {
    window.clearTimeout(this.slowTimer);
    this.controller = null;
    this.view.finished();
  }

  /** Predict again once `when` resolves, unless a newer request or a change came first. */
  again(when) {
    const seq = this.seq;
    when.then(() => {
      if (seq === this.seq && !this.pad.empty) this.predict();
    });
  }

  /**
   * Predict without ever letting an unexpected failure escape to the console; `live`: asked by
   * the pen resting, not by the person (the view may wait before it refuses such a reading).
   */
  predict({ live = false } = {}) {
    this.request(live).catch(() => {
      this.finish();
      this.view.failed();
    });
  }

  /** Start a request: the older one is dropped, and the view told (and told again if slow). */
  start() {
    this.cancel();
    this.controller = new AbortController();
    this.view.started();
    this.slowTimer = window.setTimeout(() => this.view.slow(), SLOW_MS);
    return { seq: this.seq, signal: this.controller.signal };
  }

  /** POST the ink and its strokes; hand the view its answer, ignoring answers to stale ones. */
  async request(live) {
    const upload = this.pad.upload();
    if (!upload) {
      this.view.empty();
      return;
    }
    const posted = { ...upload, version: this.pad.version, live };
    const { seq, signal } = this.start();
    const current = () => seq === this.seq;
    let reply;
    try {
      reply = await postJson(this.url, { image: posted.image, strokes: posted.strokes }, { signal });
    } catch {
      if (current()) {
        this.cancel();
        this.view.unreachable();
      }
      return;
    }
    if (!current()) return;
    this.finish();
    this.view.answered(reply, posted, current);
  }
}
