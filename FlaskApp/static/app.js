// Draw-a-digit (or a whole number) front end: ES modules, no globals, no dependencies.
// The server passes its URLs in `data-predict-url`, `data-model-url` and `data-feedback-url` on
// #app. /predict reads the drawing as one digit, a number (one box per digit) or "not a digit";
// the page sends only the ink (drawing.js), and says aloud only answers that have settled.

import { errorMessage, isPrediction, postJson, retryDelay } from "./api.js";
import { Corrections } from "./corrections.js";
import { Pad } from "./drawing.js";
import { clearBoxes, drawBoxes, resetResult, setBusy, showPrediction } from "./result.js";

// Live prediction: ask this long after the pen last moved (or lifted).
const AUTO_PREDICT_DELAY_MS = 120;
// Say "Reading…" only when the server takes longer than this to answer.
const SLOW_MS = 500;
const TRAINING_RETRY_MS = 3000;
const OFFLINE = "You're offline — will retry when you're back";

const app = document.getElementById("app");
const canvas = document.getElementById("canvas");
const predictButton = document.getElementById("predict");
const clearButton = document.getElementById("clear");
const undoButton = document.getElementById("undo");
const redoButton = document.getElementById("redo");
const penSize = document.getElementById("pen-size");
const penColour = document.getElementById("pen-colour");
const penSizeValue = document.getElementById("pen-size-value");
const modelInfo = document.getElementById("model-info");
const status = document.getElementById("status");
const announcer = document.getElementById("announcer");

let autoTimer = 0;
let retryTimer = 0;
let slowTimer = 0;
let requestSeq = 0;
let inFlight = null;

/** The theme's shade of an ink colour name ("auto": the text colour), from style.css. */
function inkColour(name) {
  return getComputedStyle(canvas).getPropertyValue(`--ink-${name || "auto"}`).trim();
}

const pad = new Pad(canvas, {
  inkColour,
  pen: () => ({ size: Number(penSize.value), colour: penColour.value }),
  onChange: drawingChanged,
});

/** Resolves when the browser is online (at once if it is). */
function online() {
  if (navigator.onLine) return Promise.resolve();
  return new Promise((resolve) => window.addEventListener("online", resolve, { once: true }));
}

/** Say `text` through the one live region, once: a repeat of the last is not said again. */
function say(text) {
  if (announcer.textContent !== text) announcer.textContent = text;
}

const corrections = new Corrections(app.dataset.feedbackUrl, { say, online });

/** Set the status line (never announced); `tone` is "", "busy", "warn" or "error". */
function setStatus(text, tone = "") {
  status.textContent = text;
  status.dataset.tone = tone;
}

/** Forget any pending or in-flight prediction so its answer is ignored. */
function cancelPending() {
  window.clearTimeout(autoTimer);
  window.clearTimeout(retryTimer);
  window.clearTimeout(slowTimer);
  requestSeq += 1;
  if (inFlight) inFlight.abort();
  inFlight = null;
  setBusy(false);
}

/** Predict once the pen has rested (or lifted) for AUTO_PREDICT_DELAY_MS. */
function schedulePrediction() {
  window.clearTimeout(autoTimer);
  autoTimer = window.setTimeout(predict, AUTO_PREDICT_DELAY_MS);
}

/** The pad changed: "down", "move", "up" or "history" (undo, redo, clear). */
function drawingChanged(kind) {
  if (kind !== "up") {
    clearBoxes();
    corrections.withdraw();
  }
  if (kind === "down") window.clearTimeout(autoTimer);
  else if (kind === "history") cancelPending();
  updateButtons();
  if (pad.empty) showEmpty();
  else if (kind !== "down") schedulePrediction();
}

/** Nothing drawn: no answer, and nothing said. */
function showEmpty() {
  cancelPending();
  resetResult();
  say("");
  setStatus("Draw a digit or a number");
}

/** Undo, Redo and Clear are enabled when they would do something; focus never drops to body. */
function updateButtons() {
  const focused = document.activeElement;
  undoButton.disabled = !pad.canUndo;
  redoButton.disabled = !pad.canRedo;
  clearButton.disabled = pad.empty;
  if (focused instanceof HTMLButtonElement && focused.disabled) {
    const next = [undoButton, redoButton].find((b) => !b.disabled);
    (next || canvas).focus();
  }
}

/** Whether an answer for `posted` still describes the pad, with the pen up. */
function settled(posted) {
  return posted.version === pad.version && !pad.drawing;
}

/** Render a successful reading; say it and offer corrections once the drawing has settled. */
function showAnswer(body, seq, posted) {
  const line = showPrediction(body, () => seq === requestSeq);
  setStatus(line.text, line.tone);
  if (posted.version === pad.version) {
    drawBoxes(body.digits, posted.place, canvas.width, canvas.height);
  }
  if (!settled(posted)) return;
  say(line.text);
  // One drawing, one label: a number is not offered for correction.
  if (body.reading !== "number") {
    corrections.offer(posted.image, body.reading === "digit" ? body.digit : body.reading);
  }
}

/** Describe /predict's 503 training progress {epoch, epochs, fraction} in a few words. */
function describeProgress(progress) {
  if (!progress || typeof progress !== "object") return "";
  const parts = [];
  const { epoch, epochs, fraction } = progress;
  if (Number.isFinite(epoch) && Number.isFinite(epochs)) parts.push(`epoch ${epoch} of ${epochs}`);
  if (Number.isFinite(fraction)) parts.push(`${Math.round(fraction * 100)}%`);
  return parts.join(", ");
}

/** A 503 while the model trains: say so, and ask again when the server suggests. */
function showTraining(response, body, seq) {
  const progress = describeProgress(body && body.progress);
  setStatus(progress ? `Model is training… (${progress})` : "Model is training…", "busy");
  retryTimer = window.setTimeout(() => {
    if (seq === requestSeq && !pad.empty) predict();
  }, retryDelay(response, TRAINING_RETRY_MS));
}

/** Render an error response; an old answer next to an error about the new drawing would mislead. */
function showError(response, body, seq) {
  resetResult();
  if (response.status === 503) {
    showTraining(response, body, seq);
    return;
  }
  const text =
    response.status === 422
      ? "Draw a digit first"
      : errorMessage(body) || `The server answered ${response.status}; please try again.`;
  setStatus(text, response.status === 422 ? "warn" : "error");
  say(text);
}

/** No answer at all: offline (retried once back online) or the server is unreachable. */
function showUnreachable(seq) {
  resetResult();
  const text = navigator.onLine ? "Server unreachable" : OFFLINE;
  setStatus(text, navigator.onLine ? "error" : "warn");
  say(text);
  online().then(() => {
    if (seq === requestSeq && !pad.empty) predict();
  });
}

/** Start a request: the older one is dropped, the answer dimmed, and "Reading…" if slow. */
function startRequest() {
  cancelPending();
  const controller = new AbortController();
  inFlight = controller;
  setBusy(true);
  corrections.wait();
  slowTimer = window.setTimeout(() => setStatus("Reading…", "busy"), SLOW_MS);
  return { seq: requestSeq, signal: controller.signal };
}

/** POST the ink to the server and show its answer, ignoring answers to stale requests. */
async function requestPrediction() {
  const upload = pad.upload();
  if (!upload) {
    setStatus("Draw a digit first", "warn");
    return;
  }
  const posted = { ...upload, version: pad.version };
  const { seq, signal } = startRequest();
  let reply;
  try {
    reply = await postJson(app.dataset.predictUrl, { image: posted.image }, { signal });
  } catch {
    if (seq === requestSeq) {
      cancelPending();
      showUnreachable(requestSeq);
    }
    return;
  }
  if (seq !== requestSeq) return;
  window.clearTimeout(slowTimer);
  inFlight = null;
  setBusy(false);
  showReply(reply, seq, posted);
}

function showReply({ response, body }, seq, posted) {
  if (response.ok && isPrediction(body)) showAnswer(body, seq, posted);
  else if (response.ok) {
    resetResult();
    setStatus("The server sent an answer this page does not understand.", "error");
  } else showError(response, body, seq);
}

/** Predict without ever letting an unexpected failure escape to the console. */
function predict() {
  requestPrediction().catch(() => {
    setBusy(false);
    setStatus("Something went wrong; please try again.", "error");
  });
}

/** Whether focus is where Esc means "clear": on the pad or on nothing in particular. */
function escClears() {
  const focused = document.activeElement;
  return focused === canvas || focused === document.body || focused === null;
}

/** Ctrl/Cmd+Z undoes; Ctrl/Cmd+Shift+Z and Ctrl+Y redo. The one done, or "". */
function historyKey(event) {
  if (!(event.ctrlKey || event.metaKey)) return "";
  if (event.target instanceof Element && event.target.closest("input, select, textarea")) return "";
  const key = event.key.toLowerCase();
  if (key === "z") return event.shiftKey ? "redo" : "undo";
  return key === "y" && event.ctrlKey && !event.shiftKey ? "redo" : "";
}

function onKeyDown(event) {
  if (event.defaultPrevented || event.altKey) return;
  const step = historyKey(event);
  if (step) {
    event.preventDefault();
    if (step === "undo") pad.undo();
    else pad.redo();
    return;
  }
  if (event.ctrlKey || event.metaKey || event.shiftKey) return;
  if (event.key === "Escape" && escClears()) {
    event.preventDefault();
    pad.clear();
  } else if (event.key === "Enter" && !event.repeat && !event.isComposing) {
    // Buttons already turn Enter into a click; predicting here too would send twice.
    if (event.target instanceof Element && event.target.closest("button, a, select, textarea")) {
      return;
    }
    event.preventDefault();
    predict();
  }
}

/** One line about the serving model from its card, e.g. "cnn, 272,170 parameters, 99.65 % ...". */
async function showModelInfo() {
  try {
    const response = await fetch(app.dataset.modelUrl, { headers: { Accept: "application/json" } });
    if (!response.ok) return; // training on first run: the status line already says so
    const card = await response.json();
    const parts = [`Model: ${card.architecture}`];
    if (Number.isFinite(card.parameters)) {
      parts.push(`${card.parameters.toLocaleString("en")} parameters`);
    }
    const accuracy = card.metrics && card.metrics.mnist_test_accuracy;
    if (Number.isFinite(accuracy)) parts.push(`${(accuracy * 100).toFixed(2)} % on the MNIST test set`);
    modelInfo.textContent = parts.join(" · ");
  } catch {
    // Only a nicety: drawing and predicting work without it.
  }
}

predictButton.addEventListener("click", () => predict());
clearButton.addEventListener("click", () => pad.clear());
undoButton.addEventListener("click", () => pad.undo());
redoButton.addEventListener("click", () => pad.redo());
penSize.addEventListener("input", () => {
  penSizeValue.textContent = penSize.value;
});
document.addEventListener("keydown", onKeyDown);
// A correction still held is sent before the page goes away (or into the background).
window.addEventListener("pagehide", () => corrections.flush());
document.addEventListener("visibilitychange", () => {
  if (document.visibilityState === "hidden") corrections.flush();
});
window.matchMedia("(prefers-color-scheme: dark)").addEventListener("change", () => pad.redraw());
new ResizeObserver(() => pad.fit()).observe(canvas);

penSizeValue.textContent = penSize.value;
updateButtons();
pad.fit();
showModelInfo();
