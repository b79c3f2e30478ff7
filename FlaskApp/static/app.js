// Draw-a-digit front end: one ES module, no globals, no dependencies.
// The server passes its URLs in `data-predict-url`, `data-model-url` and `data-feedback-url` on #app.

// Pen sizes are expressed against this canvas width so a digit keeps its proportions on any
// screen; the MNIST preprocessing on the server expects strokes about 1/20 of the canvas wide.
const REFERENCE_WIDTH = 280;
// Live prediction: ask this long after the pen last moved (or lifted).
const AUTO_PREDICT_DELAY_MS = 120;
const TRAINING_RETRY_MS = 3000;
// The page hedges instead of asserting when the top probability is low or a runner-up is close.
const UNSURE_BELOW = 0.6;
const CLOSE_MARGIN = 0.25;

const app = document.getElementById("app");
const canvas = document.getElementById("canvas");
const predictButton = document.getElementById("predict");
const clearButton = document.getElementById("clear");
const undoButton = document.getElementById("undo");
const penSize = document.getElementById("pen-size");
const penColour = document.getElementById("pen-colour");
const modelInfo = document.getElementById("model-info");
const penSizeValue = document.getElementById("pen-size-value");
const prediction = document.getElementById("prediction");
const confidence = document.getElementById("confidence");
const probabilities = document.getElementById("probabilities");
const modelInput = document.getElementById("model-input");
const status = document.getElementById("status");
const resultCard = document.querySelector(".result");
const feedbackBox = document.getElementById("feedback");
const feedbackStatus = document.getElementById("feedback-status");
const digitChoices = Array.from(feedbackBox.querySelectorAll("button[data-label]"));

const predictUrl = app.dataset.predictUrl;
const modelUrl = app.dataset.modelUrl;
const feedbackUrl = app.dataset.feedbackUrl;
const ctx = canvas.getContext("2d");
const modelCtx = modelInput.getContext("2d");
const darkScheme = window.matchMedia("(prefers-color-scheme: dark)");
const bars = Array.from(probabilities.children);

/** Strokes in canvas-relative units (0..1) so they can be redrawn at any size or theme. */
let strokes = [];
let current = null;
let activePointer = null;
let autoTimer = 0;
let retryTimer = 0;
let requestSeq = 0;
let inFlight = null;
/** The drawing (data URL) behind the answer on screen and the digit answered, for feedback. */
let answered = null;

/** Set the one-line status message; `tone` is "", "busy", "warn" or "error". */
function setStatus(text, tone = "") {
  status.textContent = text;
  status.dataset.tone = tone;
}

/** Format a probability in [0, 1] as a whole percentage, keeping tiny non-zero values visible. */
function percent(p) {
  if (p > 0 && p < 0.005) return "<1%";
  return `${Math.round(p * 100)}%`;
}

/** A digit with its article, as said aloud: "a 7", "an 8". */
function aDigit(digit) {
  return `${digit === 8 ? "an" : "a"} ${digit}`;
}

/** The pen width in CSS pixels for a canvas `cssWidth` wide. */
function lineWidthFor(size, cssWidth) {
  return (size * cssWidth) / REFERENCE_WIDTH;
}

/** The ink colour of a stroke: its own, or (Auto) the theme's text colour inherited by CSS. */
function inkColour(stroke) {
  return (stroke && stroke.colour) || getComputedStyle(canvas).color;
}

/** Resize the backing store to the CSS size times devicePixelRatio, then redraw the strokes. */
function fitCanvas() {
  const dpr = window.devicePixelRatio || 1;
  const cssWidth = canvas.clientWidth;
  const cssHeight = canvas.clientHeight;
  if (!cssWidth || !cssHeight) return;
  const width = Math.round(cssWidth * dpr);
  const height = Math.round(cssHeight * dpr);
  if (canvas.width !== width || canvas.height !== height) {
    canvas.width = width;
    canvas.height = height;
  }
  redraw();
}

/** Prepare the context for drawing in CSS pixels with a round pen. */
function prepareContext() {
  const dpr = canvas.width / (canvas.clientWidth || canvas.width);
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  ctx.lineCap = "round";
  ctx.lineJoin = "round";
}

/** Draw one stroke (or the segment of it from point index `from`) onto the canvas. */
function drawStroke(stroke, from = 0) {
  const w = canvas.clientWidth;
  const h = canvas.clientHeight;
  const pts = stroke.points;
  ctx.lineWidth = lineWidthFor(stroke.size, w);
  ctx.strokeStyle = inkColour(stroke);
  ctx.fillStyle = ctx.strokeStyle;
  if (pts.length === 1) {
    ctx.beginPath();
    ctx.arc(pts[0].x * w, pts[0].y * h, ctx.lineWidth / 2, 0, Math.PI * 2);
    ctx.fill();
    return;
  }
  const start = Math.max(0, from - 1);
  ctx.beginPath();
  ctx.moveTo(pts[start].x * w, pts[start].y * h);
  for (let i = start + 1; i < pts.length; i += 1) {
    ctx.lineTo(pts[i].x * w, pts[i].y * h);
  }
  ctx.stroke();
}

/** Clear to transparent and draw every stroke again (after a resize or a theme change). */
function redraw() {
  ctx.setTransform(1, 0, 0, 1, 0, 0);
  ctx.clearRect(0, 0, canvas.width, canvas.height);
  prepareContext();
  for (const stroke of strokes) drawStroke(stroke);
}

/** The pointer position relative to the canvas, in 0..1 units. */
function relativePoint(event, rect) {
  return {
    x: (event.clientX - rect.left) / rect.width,
    y: (event.clientY - rect.top) / rect.height,
  };
}

function onPointerDown(event) {
  if (activePointer !== null || (event.pointerType === "mouse" && event.button !== 0)) return;
  event.preventDefault();
  activePointer = event.pointerId;
  try {
    canvas.setPointerCapture(event.pointerId);
  } catch {
    // A pointer that is already gone cannot be captured; drawing still works without it.
  }
  // Take focus from a previously clicked button so Enter predicts rather than clicking it again.
  canvas.focus({ preventScroll: true });
  window.clearTimeout(autoTimer);
  const rect = canvas.getBoundingClientRect();
  current = {
    size: Number(penSize.value),
    colour: penColour.value,
    points: [relativePoint(event, rect)],
  };
  strokes.push(current);
  updateButtons();
  prepareContext();
  drawStroke(current);
}

/** Predict once the pen has rested (or lifted) for AUTO_PREDICT_DELAY_MS. */
function schedulePrediction() {
  window.clearTimeout(autoTimer);
  autoTimer = window.setTimeout(predict, AUTO_PREDICT_DELAY_MS);
}

function onPointerMove(event) {
  if (event.pointerId !== activePointer || !current) return;
  event.preventDefault();
  const rect = canvas.getBoundingClientRect();
  const events = event.getCoalescedEvents ? event.getCoalescedEvents() : [];
  const from = current.points.length;
  for (const e of events.length ? events : [event]) {
    current.points.push(relativePoint(e, rect));
  }
  drawStroke(current, from);
  schedulePrediction(); // live: the answer follows the drawing while the pen is down
}

function onPointerEnd(event) {
  if (event.pointerId !== activePointer) return;
  activePointer = null;
  current = null;
  if (canvas.hasPointerCapture(event.pointerId)) canvas.releasePointerCapture(event.pointerId);
  schedulePrediction();
}

/** Undo and Clear only make sense when something is drawn. */
function updateButtons() {
  undoButton.disabled = strokes.length === 0;
  clearButton.disabled = strokes.length === 0;
}

/** Put the result area back to its empty state. */
function resetResult() {
  prediction.textContent = "";
  confidence.textContent = "";
  for (const bar of bars) {
    bar.dataset.probability = "0";
    bar.classList.remove("is-top");
    bar.querySelector(".fill").style.width = "0%";
    bar.querySelector(".value").textContent = "";
  }
  modelCtx.clearRect(0, 0, modelInput.width, modelInput.height);
  delete modelInput.dataset.filled;
  resultCard.classList.remove("is-unsure");
  hideFeedback();
}

/** POST `payload` as JSON: the response and its JSON body (null when it has none). */
async function postJson(url, payload, signal = undefined) {
  const response = await fetch(url, {
    method: "POST",
    headers: { "Content-Type": "application/json", Accept: "application/json" },
    body: JSON.stringify(payload),
    signal,
  });
  const body = await response.json().catch(() => null);
  return { response, body };
}

/** Offer "Wrong? Tap the digit you drew" for the answer now on screen. */
function offerFeedback(image, digit) {
  answered = { image, digit };
  for (const button of digitChoices) {
    button.disabled = false;
    button.setAttribute("aria-pressed", "false");
  }
  feedbackStatus.textContent = "";
  delete feedbackStatus.dataset.tone;
  feedbackBox.hidden = false;
}

function hideFeedback() {
  answered = null;
  feedbackBox.hidden = true;
}

/** Send the digit the person says they drew, with the drawing and the answer they saw. */
async function sendFeedback(label) {
  if (!answered) return;
  const { image, digit } = answered;
  for (const button of digitChoices) {
    button.disabled = true;
    button.setAttribute("aria-pressed", String(Number(button.dataset.label) === label));
  }
  delete feedbackStatus.dataset.tone;
  feedbackStatus.textContent = "Sending…";
  let response = null;
  let body = null;
  try {
    ({ response, body } = await postJson(feedbackUrl, { image, label, predicted: digit }));
  } catch {
    // unreachable: said below
  }
  if (answered === null || answered.image !== image) return; // the drawing changed meanwhile
  if (response && response.status === 201) {
    feedbackStatus.textContent =
      label === digit
        ? `Thanks for confirming it is ${aDigit(label)}.`
        : `Thanks! Saved as ${aDigit(label)}: the next model learns from it.`;
    return;
  }
  const message = body && typeof body.error === "string" ? body.error : "";
  feedbackStatus.dataset.tone = "error";
  feedbackStatus.textContent = response
    ? message || `The server answered ${response.status}; please try again.`
    : "Could not send it: the server is unreachable.";
  for (const button of digitChoices) {
    button.disabled = false;
    button.setAttribute("aria-pressed", "false");
  }
}

/** Forget any pending or in-flight prediction so its answer is ignored. */
function cancelPending() {
  window.clearTimeout(autoTimer);
  window.clearTimeout(retryTimer);
  requestSeq += 1;
  if (inFlight) inFlight.abort();
  inFlight = null;
  resultCard.removeAttribute("aria-busy");
}

/** Clear the drawing and the result. */
function clearAll() {
  cancelPending();
  strokes = [];
  current = null;
  activePointer = null;
  redraw();
  resetResult();
  updateButtons();
  setStatus("Draw a digit");
}

/** Take back the last stroke, and predict what is left. */
function undo() {
  if (activePointer !== null || !strokes.length) return;
  strokes.pop();
  if (!strokes.length) {
    clearAll();
    return;
  }
  cancelPending();
  redraw();
  updateButtons();
  schedulePrediction();
}

/** Whether `body` is a 200 response of the documented shape. */
function isPrediction(body) {
  return (
    body !== null &&
    typeof body === "object" &&
    Number.isInteger(body.digit) &&
    body.digit >= 0 &&
    body.digit <= 9 &&
    Array.isArray(body.probabilities) &&
    body.probabilities.length === 10 &&
    body.probabilities.every((p) => typeof p === "number" && Number.isFinite(p))
  );
}

/** Describe a training-progress object such as {epoch, epochs} or {percent} in a few words. */
function describeProgress(progress) {
  if (!progress || typeof progress !== "object") return "";
  const parts = [];
  const { epoch, epochs } = progress;
  if (Number.isFinite(epoch) && Number.isFinite(epochs)) parts.push(`epoch ${epoch} of ${epochs}`);
  else if (Number.isFinite(epoch)) parts.push(`epoch ${epoch}`);
  if (Number.isFinite(progress.percent)) parts.push(`${Math.round(progress.percent)}%`);
  else if (Number.isFinite(progress.fraction)) parts.push(percent(progress.fraction));
  if (typeof progress.message === "string" && progress.message) parts.push(progress.message);
  return parts.join(", ");
}

/** Decode a data: URL to an ImageBitmap without fetching it, so a strict CSP allows it. */
async function decodeDataUrl(dataUrl) {
  const match = /^data:(image\/[\w.+-]+);base64,(.*)$/s.exec(dataUrl);
  if (!match) throw new Error("model_input is not a base64 image data URL");
  const binary = atob(match[2]);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i += 1) bytes[i] = binary.charCodeAt(i);
  return createImageBitmap(new Blob([bytes], { type: match[1] }));
}

/** Show the 28x28 model input, scaled up by CSS with pixelated rendering. */
async function showModelInput(dataUrl, seq) {
  if (typeof dataUrl !== "string") return;
  try {
    const bitmap = await decodeDataUrl(dataUrl);
    if (seq !== requestSeq) return;
    modelInput.width = bitmap.width;
    modelInput.height = bitmap.height;
    modelCtx.imageSmoothingEnabled = false;
    modelCtx.drawImage(bitmap, 0, 0);
    bitmap.close();
    modelInput.dataset.filled = "true";
  } catch {
    // The preview is a nicety; the prediction itself is already on screen.
    delete modelInput.dataset.filled;
  }
}

/** Render a successful prediction of the drawing `image` (the data URL that was sent). */
function showPrediction(body, seq, image) {
  const probs = body.probabilities;
  const top = Number.isFinite(body.confidence) ? body.confidence : probs[body.digit];
  prediction.textContent = String(body.digit);
  confidence.textContent = `${percent(top)} confident`;
  bars.forEach((bar, digit) => {
    const p = Math.min(1, Math.max(0, probs[digit]));
    bar.dataset.probability = String(probs[digit]);
    bar.classList.toggle("is-top", digit === body.digit);
    bar.querySelector(".fill").style.width = `${(p * 100).toFixed(1)}%`;
    bar.querySelector(".value").textContent = percent(p);
  });
  const runnerUp = probs
    .map((p, digit) => ({ p, digit }))
    .filter(({ digit }) => digit !== body.digit)
    .reduce((a, b) => (b.p > a.p ? b : a));
  const unsure = top < UNSURE_BELOW || top - runnerUp.p < CLOSE_MARGIN;
  resultCard.classList.toggle("is-unsure", unsure);
  if (unsure) {
    confidence.textContent = `not sure (${percent(top)})`;
    setStatus(`Not sure: ${aDigit(body.digit)}, or maybe ${aDigit(runnerUp.digit)}?`, "warn");
  } else {
    setStatus(`Looks like ${aDigit(body.digit)}`);
  }
  showModelInput(body.model_input, seq);
  offerFeedback(image, body.digit);
}

/** Render an error response or a network failure. */
function showError(response, body, seq) {
  const message = body && typeof body.error === "string" ? body.error : "";
  // An old prediction next to an error about the new drawing would mislead.
  resetResult();
  if (response.status === 422) {
    setStatus("Draw a digit first", "warn");
  } else if (response.status === 503) {
    const progress = describeProgress(body && body.progress);
    setStatus(progress ? `Model is training… (${progress})` : "Model is training…", "busy");
    const retryAfter = Number(response.headers.get("Retry-After"));
    const delay = retryAfter > 0 ? Math.min(retryAfter, 30) * 1000 : TRAINING_RETRY_MS;
    retryTimer = window.setTimeout(() => {
      if (seq === requestSeq && strokes.length) predict();
    }, delay);
  } else {
    setStatus(message || `The server answered ${response.status}; please try again.`, "error");
  }
}

/** POST the drawing to the server and show its answer, ignoring answers to stale requests. */
async function requestPrediction() {
  window.clearTimeout(autoTimer);
  window.clearTimeout(retryTimer);
  if (!strokes.length) {
    setStatus("Draw a digit first", "warn");
    return;
  }
  requestSeq += 1;
  const seq = requestSeq;
  if (inFlight) inFlight.abort();
  const controller = new AbortController();
  inFlight = controller;
  resultCard.setAttribute("aria-busy", "true");
  setStatus("Thinking…", "busy");
  const image = canvas.toDataURL("image/png");
  let response;
  let body = null;
  try {
    ({ response, body } = await postJson(predictUrl, { image }, controller.signal));
  } catch {
    if (seq === requestSeq) {
      inFlight = null;
      resultCard.removeAttribute("aria-busy");
      resetResult();
      setStatus("Server unreachable", "error");
    }
    return;
  }
  if (seq !== requestSeq) return;
  inFlight = null;
  resultCard.removeAttribute("aria-busy");
  if (response.ok && isPrediction(body)) showPrediction(body, seq, image);
  else if (response.ok) {
    resetResult();
    setStatus("The server sent an answer this page does not understand.", "error");
  }
  else showError(response, body, seq);
}

/** Predict without ever letting an unexpected failure escape to the console. */
function predict() {
  requestPrediction().catch(() => {
    resultCard.removeAttribute("aria-busy");
    setStatus("Something went wrong; please try again.", "error");
  });
}

function onKeyDown(event) {
  if (event.defaultPrevented || event.altKey) return;
  if ((event.ctrlKey || event.metaKey) && !event.shiftKey && event.key.toLowerCase() === "z") {
    if (event.target instanceof Element && event.target.closest("input, select, textarea")) return;
    event.preventDefault();
    undo();
    return;
  }
  if (event.ctrlKey || event.metaKey) return;
  if (event.key === "Escape") {
    event.preventDefault();
    clearAll();
  } else if (event.key === "Enter" && !event.repeat && !event.isComposing) {
    // Buttons already turn Enter into a click; predicting here too would send twice.
    if (event.target instanceof Element && event.target.closest("button, a, textarea")) return;
    event.preventDefault();
    predict();
  }
}

function onPenSize() {
  penSizeValue.textContent = penSize.value;
}

/** One line about the serving model from its card, e.g. "cnn, 272,170 parameters, 99.65 % ...". */
async function showModelInfo() {
  try {
    const response = await fetch(modelUrl, { headers: { Accept: "application/json" } });
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

canvas.addEventListener("pointerdown", onPointerDown);
canvas.addEventListener("pointermove", onPointerMove);
canvas.addEventListener("pointerup", onPointerEnd);
canvas.addEventListener("pointercancel", onPointerEnd);
canvas.addEventListener("lostpointercapture", onPointerEnd);
canvas.addEventListener("contextmenu", (event) => event.preventDefault());
predictButton.addEventListener("click", () => predict());
clearButton.addEventListener("click", clearAll);
undoButton.addEventListener("click", undo);
for (const button of digitChoices) {
  button.addEventListener("click", () => {
    sendFeedback(Number(button.dataset.label)).catch(() => {
      feedbackStatus.textContent = "Something went wrong; please try again.";
    });
  });
}
penSize.addEventListener("input", onPenSize);
document.addEventListener("keydown", onKeyDown);
darkScheme.addEventListener("change", redraw);
new ResizeObserver(fitCanvas).observe(canvas);
window.addEventListener("resize", fitCanvas);

onPenSize();
updateButtons();
fitCanvas();
showModelInfo();
