// Draw-a-digit (or a whole number) front end: ES modules, no globals, no dependencies.
// The server passes its URLs in `data-predict-url`, `data-model-url` and `data-corrections-url` on
// #app, how many digits the model reads in `data-digits`, how large to send a drawing in
// `data-upload-side`, and what its strokes may hold in `data-max-strokes` and
// `data-max-stroke-points`. /predict reads the drawing as one digit, a number (one box per
// digit) or "not a digit"; the page sends only the ink (drawing.js), and says aloud only
// answers that have settled.

import { NOT_A_DIGIT, isPrediction } from "./api.js";
import { Corrections } from "./corrections.js";
import { Pad, serverLimits } from "./drawing.js";
import { keyAction } from "./keyboard.js";
import { readingProblem } from "./messages.js";
import { showModelInfo } from "./model-info.js";
import { Predictor } from "./predictor.js";
import { clearBoxes, drawBoxes, resetResult, setBusy, showPrediction } from "./result.js";

// While the model trains on first run, ask again this often.
const TRAINING_RETRY_MS = 3000;
const OFFLINE = "You're offline — will retry when you're back";
// A live reading that refuses waits until the pen has been still this long: the first stroke
// of a 7 is no digit yet. Digits show at once, and Predict refuses at once.
const REFUSAL_PAUSE_MS = 1500;

const app = document.getElementById("app");
const DIGITS = Number(app.dataset.digits); // the model's digits, as the server counts them
const canvas = document.getElementById("canvas");
const status = document.getElementById("status");
const announcer = document.getElementById("announcer");
const penSize = document.getElementById("pen-size");
const penColour = document.getElementById("pen-colour");
const penSizeValue = document.getElementById("pen-size-value");
const buttons = Object.fromEntries(
  ["predict", "clear", "undo", "redo"].map((id) => [id, document.getElementById(id)]),
);

/** The theme's shade of an ink colour name ("auto": the text colour), from style.css. */
function inkColour(name) {
  return getComputedStyle(canvas).getPropertyValue(`--ink-${name || "auto"}`).trim();
}

let changedAt = 0; // when the pad last changed (performance.now())
let refusalTimer = 0; // a live refusal waiting for the pen to stay still

const pad = new Pad(canvas, {
  inkColour,
  pen: () => ({ size: Number(penSize.value), colour: penColour.value }),
  onChange: drawingChanged,
  limits: serverLimits(app),
});

/** Resolves when the browser is online (at once if it is). */
function online() {
  if (navigator.onLine) return Promise.resolve();
  return new Promise((resolve) => window.addEventListener("online", resolve, { once: true }));
}

/** Resolves after `ms` milliseconds. */
function delay(ms) {
  return new Promise((resolve) => window.setTimeout(resolve, ms));
}

/** Say `text` through the one live region, once: a repeat of the last is not said again. */
function say(text) {
  if (announcer.textContent !== text) announcer.textContent = text;
}

/** Set the status line (never announced); `tone` is "", "busy", "warn" or "error". */
function setStatus(text, tone = "") {
  status.textContent = text;
  status.dataset.tone = tone;
}

/** Set the status line and say the same. */
function tell(text, tone) {
  setStatus(text, tone);
  say(text);
}

const corrections = new Corrections(app.dataset.correctionsUrl, { say, online, home: canvas });

const predictor = new Predictor(app.dataset.predictUrl, pad, {
  started() {
    setBusy(true);
    corrections.wait();
  },
  slow: () => setStatus("Reading…", "busy"),
  finished: () => setBusy(false),
  answered: showReply,
  unreachable: showUnreachable,
  failed: () => setStatus("Something went wrong; please try again.", "error"),
  empty: () => setStatus("Draw a digit first", "warn"),
});

// What each button does, and each key that stands for one (keyboard.js).
const actions = {
  predict: () => predictor.predict(),
  clear: () => pad.clear(),
  undo: () => pad.undo(),
  redo: () => pad.redo(),
};

/** The pad changed: "down", "move", "up" or "history" (undo, redo, clear). */
function drawingChanged(kind) {
  changedAt = performance.now();
  window.clearTimeout(refusalTimer);
  if (kind !== "up") {
    clearBoxes();
    corrections.withdraw();
  }
  if (kind === "down") predictor.hold();
  else if (kind === "history") predictor.cancel();
  updateButtons();
  if (pad.empty) showEmpty();
  else if (kind !== "down") predictor.schedule();
}

/** Nothing drawn: no answer, and nothing said. */
function showEmpty() {
  predictor.cancel();
  resetResult();
  say("");
  setStatus("Draw a digit or a number");
}

/**
 * Undo, Redo and Clear say whether they would do something with aria-disabled, not disabled:
 * the button just pressed keeps focus, and pressing it again does nothing (the pad ignores a
 * step it cannot take) rather than what the next button does.
 */
function updateButtons() {
  buttons.undo.setAttribute("aria-disabled", String(!pad.canUndo));
  buttons.redo.setAttribute("aria-disabled", String(!pad.canRedo));
  buttons.clear.setAttribute("aria-disabled", String(pad.empty));
}

/** /predict's answer, whatever it is; a live refusal once the pen has stayed still. */
function showReply({ response, body }, posted, current) {
  window.clearTimeout(refusalTimer);
  const wait = REFUSAL_PAUSE_MS - (performance.now() - changedAt);
  const known = response.ok && isPrediction(body, DIGITS);
  const refusal = known && body.reading === NOT_A_DIGIT;
  if (refusal && posted.live && wait > 0) {
    setBusy(true); // not an answer yet: the card is still reading
    refusalTimer = window.setTimeout(() => {
      setBusy(false);
      if (current() && settled(posted)) showAnswer(body, posted, current);
    }, wait);
  } else if (known) showAnswer(body, posted, current);
  else if (response.ok) {
    resetResult();
    setStatus("The server sent an answer this page does not understand.", "error");
  } else showError(response, body);
}

/** Whether an answer for `posted` still describes the pad, with the pen up. */
function settled(posted) {
  return posted.version === pad.version && !pad.drawing;
}

/** Render a reading; say it and offer corrections once the drawing has settled. */
function showAnswer(body, posted, current) {
  const line = showPrediction(body, current);
  setStatus(line.text, line.tone);
  if (posted.version === pad.version) {
    drawBoxes(body.digits, posted.place, canvas.width, canvas.height);
  }
  if (!settled(posted)) return;
  say(line.text);
  const read = { digit: body.digit, number: body.digits.map((d) => d.digit) }[body.reading];
  corrections.offer(posted, read ?? body.reading);
}

/** Describe /predict's 503 training progress {epoch, epochs, fraction} in a few words. */
function describeProgress(progress) {
  const { epoch, epochs, fraction } = progress ?? {};
  const parts = [];
  if (Number.isFinite(epoch) && Number.isFinite(epochs)) parts.push(`epoch ${epoch} of ${epochs}`);
  if (Number.isFinite(fraction)) parts.push(`${Math.round(fraction * 100)}%`);
  return parts.join(", ");
}

/** An error answer; an old answer next to an error about the new drawing would mislead. */
function showError(response, body) {
  resetResult();
  if (response.status === 503) {
    // The model is still training: say so, and ask again in a while.
    const progress = describeProgress(body?.progress);
    setStatus(progress ? `Model is training… (${progress})` : "Model is training…", "busy");
    predictor.again(delay(TRAINING_RETRY_MS));
  } else if (response.status === 422) {
    tell("Draw a digit first", "warn");
  } else {
    tell(readingProblem(response), "error");
  }
}

/** No answer at all: offline (asked again once back online) or the server is unreachable. */
function showUnreachable() {
  resetResult();
  if (navigator.onLine) tell("Can't reach the server; check your connection.", "error");
  else tell(OFFLINE, "warn");
  predictor.again(online());
}

for (const [id, act] of Object.entries(actions)) buttons[id].addEventListener("click", act);
document.addEventListener("keydown", (event) => {
  const action = keyAction(event, canvas);
  if (!action) return;
  event.preventDefault();
  actions[action]();
});
const showPenSize = () => {
  penSizeValue.textContent = penSize.value;
};
penSize.addEventListener("input", showPenSize);
// A correction still held is sent before the page goes away (or into the background).
window.addEventListener("pagehide", () => corrections.flush());
document.addEventListener("visibilitychange", () => {
  if (document.visibilityState === "hidden") corrections.flush();
});
window.matchMedia("(prefers-color-scheme: dark)").addEventListener("change", () => pad.redraw());
new ResizeObserver(() => pad.fit()).observe(canvas);

showPenSize();
updateButtons();
pad.fit();
showModelInfo(app.dataset.modelUrl, document.getElementById("model-info"));
