// Draw-a-digit (or a whole number) front end: one ES module, no globals, no dependencies.
// The server passes its URLs in `data-predict-url`, `data-model-url` and `data-feedback-url` on #app.
// /predict reads the drawing as one digit, a number (one box per digit) or "not a digit".

// Pen sizes are expressed against this canvas width so a digit keeps its proportions on any
// screen; the MNIST preprocessing on the server expects strokes about 1/20 of the canvas wide.
const REFERENCE_WIDTH = 280;
// Live prediction: ask this long after the pen last moved (or lifted).
const AUTO_PREDICT_DELAY_MS = 120;
const TRAINING_RETRY_MS = 3000;
// The page hedges instead of asserting when the top probability is low or a runner-up is close.
const UNSURE_BELOW = 0.6;
const CLOSE_MARGIN = 0.25;
// The label the feedback API takes, and /predict's `reading`, for a drawing that is no digit.
const NOT_A_DIGIT = "not_a_digit";
const READINGS = ["digit", "number", NOT_A_DIGIT];
const SVG_NS = "http://www.w3.org/2000/svg";
// A box sits this share of the image's longer side outside the ink, so it does not hide it.
const BOX_MARGIN = 0.012;

const app = document.getElementById("app");
const canvas = document.getElementById("canvas");
const boxes = document.getElementById("boxes");
const predictButton = document.getElementById("predict");
const clearButton = document.getElementById("clear");
const undoButton = document.getElementById("undo");
const penSize = document.getElementById("pen-size");
const penColour = document.getElementById("pen-colour");
const modelInfo = document.getElementById("model-info");
const penSizeValue = document.getElementById("pen-size-value");
const answerLabel = document.getElementById("answer-label");
const prediction = document.getElementById("prediction");
const confidence = document.getElementById("confidence");
const digitChips = document.getElementById("digit-chips");
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
/** Counts changes to the drawing, so boxes found in an older drawing are not drawn on a newer. */
let drawingVersion = 0;
/** The drawing (data URL) behind the answer on screen and what it was read as, for feedback. */
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

/** A feedback label as said aloud: "a 7", or "not a digit". */
function labelName(label) {
  return label === NOT_A_DIGIT ? "not a digit" : aDigit(label);
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
  drawingChanged();
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
  drawingChanged();
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

/** The drawing changed: boxes found in what was there before no longer fit it. */
function drawingChanged() {
  drawingVersion += 1;
  clearBoxes();
}

function clearBoxes() {
  if (boxes.firstChild) boxes.replaceChildren();
  boxes.dataset.boxes = "0";
}

/** Outline each digit read on the drawing, whose posted image was `width` by `height` pixels. */
function drawBoxes(digits, width, height) {
  clearBoxes();
  if (!digits.length || !(width > 0 && height > 0)) return;
  // Boxes are in the posted image's pixels, the canvas backing store: with that as the viewBox,
  // the SVG scales them by clientWidth / canvas.width itself, at any size or devicePixelRatio.
  boxes.setAttribute("viewBox", `0 0 ${width} ${height}`);
  const margin = BOX_MARGIN * Math.max(width, height);
  for (const read of digits) {
    const [x0, y0, x1, y1] = read.box;
    const left = Math.max(0, x0 - margin);
    const top = Math.max(0, y0 - margin);
    const rect = document.createElementNS(SVG_NS, "rect");
    rect.setAttribute("x", left.toFixed(1));
    rect.setAttribute("y", top.toFixed(1));
    rect.setAttribute("width", (Math.min(width, x1 + margin) - left).toFixed(1));
    rect.setAttribute("height", (Math.min(height, y1 + margin) - top).toFixed(1));
    rect.setAttribute("rx", margin.toFixed(1));
    rect.setAttribute("class", read.confidence < UNSURE_BELOW ? "box is-unsure" : "box");
    rect.dataset.digit = String(read.digit);
    boxes.append(rect);
  }
  boxes.dataset.boxes = String(digits.length);
}

/** Undo and Clear only make sense when something is drawn. */
function updateButtons() {
  undoButton.disabled = strokes.length === 0;
  clearButton.disabled = strokes.length === 0;
}

/** Fill the ten probability bars, `top` marked as the answer; all null empties them. */
function fillBars(probs, top) {
  bars.forEach((bar, digit) => {
    const p = probs ? Math.min(1, Math.max(0, probs[digit])) : 0;
    bar.dataset.probability = probs ? String(probs[digit]) : "0";
    bar.classList.toggle("is-top", probs !== null && digit === top);
    bar.querySelector(".fill").style.width = `${(p * 100).toFixed(1)}%`;
    bar.querySelector(".value").textContent = probs ? percent(p) : "";
  });
}

function clearModelInput() {
  modelCtx.clearRect(0, 0, modelInput.width, modelInput.height);
  delete modelInput.dataset.filled;
}

/** One chip per digit of a number, "2 99%", left to right like the digits. */
function showChips(digits) {
  digitChips.replaceChildren(
    ...digits.map((read) => {
      const chip = document.createElement("li");
      chip.className = read.confidence < UNSURE_BELOW ? "chip is-unsure" : "chip";
      chip.dataset.digit = String(read.digit);
      chip.dataset.confidence = String(read.confidence);
      const digit = document.createElement("span");
      digit.className = "chip-digit";
      digit.textContent = String(read.digit);
      const value = document.createElement("span");
      value.className = "chip-value";
      value.textContent = percent(read.confidence);
      chip.append(digit, " ", value);
      return chip;
    }),
  );
  digitChips.hidden = digits.length === 0;
}

/** Put the result area back to its empty state. */
function resetResult() {
  answerLabel.textContent = "Predicted digit:";
  prediction.textContent = "";
  confidence.textContent = "";
  showChips([]);
  fillBars(null);
  clearModelInput();
  clearBoxes();
  resultCard.classList.remove("is-unsure");
  delete resultCard.dataset.reading;
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

/** Offer "Wrong? Tap the digit you drew" for the answer on screen: a digit or NOT_A_DIGIT. */
function offerFeedback(image, predicted) {
  answered = { image, predicted };
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

/** The label a correction button stands for: a digit 0-9, or NOT_A_DIGIT. */
function choiceLabel(button) {
  const label = button.dataset.label;
  return label === NOT_A_DIGIT ? NOT_A_DIGIT : Number(label);
}

/** Send what the person says they drew (a digit or NOT_A_DIGIT), with the answer they saw. */
async function sendFeedback(label) {
  if (!answered) return;
  const { image, predicted } = answered;
  for (const button of digitChoices) {
    button.disabled = true;
    button.setAttribute("aria-pressed", String(choiceLabel(button) === label));
  }
  delete feedbackStatus.dataset.tone;
  feedbackStatus.textContent = "Sending…";
  let response = null;
  let body = null;
  try {
    ({ response, body } = await postJson(feedbackUrl, { image, label, predicted }));
  } catch {
    // unreachable: said below
  }
  if (answered === null || answered.image !== image) return; // the drawing changed meanwhile
  if (response && response.status === 201) {
    feedbackStatus.textContent =
      label === predicted
        ? `Thanks for confirming it is ${labelName(label)}.`
        : `Thanks! Saved as ${labelName(label)}: the next model learns from it.`;
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
  drawingChanged();
  strokes = [];
  current = null;
  activePointer = null;
  redraw();
  resetResult();
  updateButtons();
  setStatus("Draw a digit or a number");
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
  drawingChanged();
  redraw();
  updateButtons();
  schedulePrediction();
}

function isDigit(value) {
  return Number.isInteger(value) && value >= 0 && value <= 9;
}

function isProbabilities(value) {
  return Array.isArray(value) && value.length === 10 && value.every(Number.isFinite);
}

/** Whether `read` is one entry of `digits`: a digit, its confidence and its box. */
function isDigitRead(read) {
  return (
    read !== null &&
    typeof read === "object" &&
    isDigit(read.digit) &&
    Number.isFinite(read.confidence) &&
    Array.isArray(read.box) &&
    read.box.length === 4 &&
    read.box.every(Number.isFinite)
  );
}

/** Whether `body` is a 200 response of the documented shape (older servers' included). */
function isPrediction(body) {
  if (body === null || typeof body !== "object") return false;
  if (!isDigit(body.digit) || !isProbabilities(body.probabilities)) return false;
  if (body.reading === undefined) return true; // an older server: the drawing as one digit
  if (!READINGS.includes(body.reading) || typeof body.number !== "string") return false;
  if (!Array.isArray(body.digits) || !body.digits.every(isDigitRead)) return false;
  if (body.reading === NOT_A_DIGIT) return body.digits.length === 0;
  const wanted = body.reading === "digit" ? body.digits.length === 1 : body.digits.length > 1;
  return wanted && body.number === body.digits.map((read) => read.digit).join("");
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

/** Render one digit, hedged when the model is unsure, with its bars and the model's input. */
function showDigit(body, seq, image) {
  const probs = body.probabilities;
  const top = Number.isFinite(body.confidence) ? body.confidence : probs[body.digit];
  answerLabel.textContent = "Predicted digit:";
  prediction.textContent = String(body.digit);
  confidence.textContent = `${percent(top)} confident`;
  fillBars(probs, body.digit);
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

/** Render a number: its digits, and a chip with each digit's confidence. */
function showNumber(body) {
  answerLabel.textContent = "Predicted number:";
  prediction.textContent = body.number;
  confidence.textContent = `${body.digits.length} digits`;
  showChips(body.digits);
  // Ten bars and one 28x28 preview describe one digit; for a number they would mislead.
  fillBars(null);
  clearModelInput();
  setStatus(`Looks like ${body.number}`);
  // Corrections label one drawing with one digit, so a number is not offered for correction.
  hideFeedback();
}

/** Render a refusal plainly: no digit, no hedge, empty bars. */
function showRefusal(body, image) {
  const message =
    body.reason === "too_small"
      ? "Too small to read — draw bigger"
      : "That doesn't look like a digit";
  answerLabel.textContent = "";
  prediction.textContent = "";
  confidence.textContent = message;
  fillBars(null);
  clearModelInput();
  setStatus(message, "warn");
  offerFeedback(image, NOT_A_DIGIT);
}

/** Render a successful reading of `posted` (the drawing's data URL, width and height). */
function showPrediction(body, seq, posted) {
  const reading = body.reading === undefined ? "digit" : body.reading;
  resultCard.dataset.reading = reading;
  resultCard.classList.remove("is-unsure");
  if (reading !== "number") showChips([]);
  if (reading === NOT_A_DIGIT) showRefusal(body, posted.image);
  else if (reading === "number") showNumber(body);
  else showDigit(body, seq, posted.image);
  if (posted.version === drawingVersion) drawBoxes(body.digits || [], posted.width, posted.height);
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
  const posted = {
    image: canvas.toDataURL("image/png"),
    width: canvas.width,
    height: canvas.height,
    version: drawingVersion,
  };
  let response;
  let body = null;
  try {
    ({ response, body } = await postJson(predictUrl, { image: posted.image }, controller.signal));
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
  if (response.ok && isPrediction(body)) showPrediction(body, seq, posted);
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
    sendFeedback(choiceLabel(button)).catch(() => {
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
