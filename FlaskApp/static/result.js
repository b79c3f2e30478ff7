// The answer card: the big digit or number, its chips, the ten bars, the model's 28x28 input,
// and the boxes drawn over the pad. Rendering returns what to say in the status line. For a
// number, each digit's chip is a toggle button: pressed, the bars and the 28x28 are that digit's.

import { NOT_A_DIGIT } from "./api.js";

// The page hedges instead of asserting when the top probability is low or a runner-up is close.
const UNSURE_BELOW = 0.6;
const CLOSE_MARGIN = 0.25;
const SVG_NS = "http://www.w3.org/2000/svg";
// A box sits this share of the image's longer side outside the ink, so it does not hide it.
const BOX_MARGIN = 0.012;

const card = document.querySelector(".result");
const answerLabel = document.getElementById("answer-label");
const prediction = document.getElementById("prediction");
const confidence = document.getElementById("confidence");
const digitChips = document.getElementById("digit-chips");
const pickHint = document.getElementById("pick-hint");
const bars = Array.from(document.getElementById("probabilities").children);
const modelInput = document.getElementById("model-input");
const modelCtx = modelInput.getContext("2d");
const boxes = document.getElementById("boxes");
// Counts the answers rendered, so a 28x28 decoded for an answer since replaced is not shown.
let rendered = 0;

/** Format a probability in [0, 1] as a whole percentage, keeping tiny non-zero values visible. */
function percent(p) {
  if (p > 0 && p < 0.005) return "<1%";
  return `${Math.round(p * 100)}%`;
}

/** A digit with its article, as said aloud: "a 7", "an 8". */
export function aDigit(digit) {
  return `${digit === 8 ? "an" : "a"} ${digit}`;
}

/** Mark the answer as waiting for the server (`aria-busy`) or not. */
export function setBusy(busy) {
  card.toggleAttribute("aria-busy", busy);
}

/** Take the boxes off the pad. */
export function clearBoxes() {
  boxes.replaceChildren();
  boxes.dataset.boxes = "0";
}

/** One outline over the pad for a digit read at `box`, in the canvas's pixels. */
function outline(read, [x0, y0, x1, y1], margin, width, height) {
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
  return rect;
}

/** Outline each digit read; `place` maps its box to the canvas, `width` x `height` pixels. */
export function drawBoxes(digits, place, width, height) {
  clearBoxes();
  if (!digits.length) return;
  // With the canvas's backing store as the viewBox, the SVG scales the boxes to the pad itself.
  boxes.setAttribute("viewBox", `0 0 ${width} ${height}`);
  const margin = BOX_MARGIN * Math.max(width, height);
  boxes.append(...digits.map((read) => outline(read, place(read.box), margin, width, height)));
  boxes.dataset.boxes = String(digits.length);
}

/** Fill the ten probability bars, `top` marked as the answer; null empties them. */
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

/** One chip for a digit of a number: "2 99%", a button that `pick` selects it with. */
function chip(read, position, count, pick) {
  const item = document.createElement("li");
  item.dataset.digit = String(read.digit);
  item.dataset.confidence = String(read.confidence);
  const button = document.createElement("button");
  button.type = "button";
  button.className = read.confidence < UNSURE_BELOW ? "chip is-unsure" : "chip";
  button.setAttribute("aria-pressed", "false");
  button.setAttribute(
    "aria-label",
    `Digit ${position + 1} of ${count}: ${read.digit}, ${percent(read.confidence)} — show its probabilities`,
  );
  const digit = document.createElement("span");
  digit.className = "chip-digit";
  digit.textContent = String(read.digit);
  const value = document.createElement("span");
  value.className = "chip-value";
  value.textContent = percent(read.confidence);
  button.append(digit, " ", value);
  button.addEventListener("click", () => pick(position));
  item.append(button);
  return item;
}

/** The chips of a number's `digits`; `pick(i)` hears the i-th pressed. */
function showChips(digits, pick = () => {}) {
  digitChips.replaceChildren(...digits.map((read, i) => chip(read, i, digits.length, pick)));
  digitChips.hidden = digits.length === 0;
}

/** Press the chip at `position` (null: none), leaving the others up. */
function pressChip(position) {
  digitChips.querySelectorAll("button.chip").forEach((button, i) => {
    button.setAttribute("aria-pressed", String(i === position));
  });
}

/** Put the answer card back to its empty state: no answer, nothing said. */
export function resetResult() {
  rendered += 1;
  answerLabel.textContent = "";
  prediction.textContent = "";
  confidence.textContent = "";
  showChips([]);
  pickHint.hidden = true;
  fillBars(null);
  clearModelInput();
  clearBoxes();
  card.classList.remove("is-unsure");
  delete card.dataset.reading;
}

/** Decode a data: URL to an ImageBitmap without fetching it, so a strict CSP allows it. */
async function decodeDataUrl(dataUrl) {
  const match = /^data:(image\/[\w.+-]+);base64,(.*)$/s.exec(dataUrl);
  if (!match) throw new Error("model_input is not a base64 image data URL");
  const bytes = Uint8Array.from(atob(match[2]), (c) => c.charCodeAt(0));
  return createImageBitmap(new Blob([bytes], { type: match[1] }));
}

/** Show the 28x28 model input, scaled up by CSS; `current()` says it is still wanted. */
async function showModelInput(dataUrl, current) {
  try {
    const bitmap = await decodeDataUrl(dataUrl);
    if (!current()) return;
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

/** The runner-up digit and its probability. */
function runnerUp(probs, top) {
  return probs
    .map((p, digit) => ({ p, digit }))
    .filter(({ digit }) => digit !== top)
    .reduce((a, b) => (b.p > a.p ? b : a));
}

/** One digit, hedged when the model is unsure: the status line's {text, tone}. */
function showDigit(body, current) {
  const probs = body.probabilities;
  const second = runnerUp(probs, body.digit);
  const unsure = body.confidence < UNSURE_BELOW || body.confidence - second.p < CLOSE_MARGIN;
  answerLabel.textContent = "Predicted digit:";
  prediction.textContent = String(body.digit);
  confidence.textContent = unsure
    ? `not sure (${percent(body.confidence)})`
    : `${percent(body.confidence)} confident`;
  fillBars(probs, body.digit);
  card.classList.toggle("is-unsure", unsure);
  showModelInput(body.model_input, current);
  if (unsure) {
    return { text: `Not sure: ${aDigit(body.digit)}, or maybe ${aDigit(second.digit)}?`, tone: "warn" };
  }
  return { text: `Looks like ${aDigit(body.digit)}`, tone: "" };
}

/**
 * A number: its digits, and a chip with each digit's confidence. The ten bars and the 28x28
 * describe one digit: they stay empty until a chip is picked, then show that digit's; picking
 * the pressed chip again empties them.
 */
function showNumber(body, current) {
  answerLabel.textContent = "Predicted number:";
  prediction.textContent = body.number;
  confidence.textContent = `${body.digits.length} digits`;
  const answer = rendered;
  let picked = null;
  const pick = (position) => {
    if (answer !== rendered) return;
    picked = picked === position ? null : position;
    pressChip(picked);
    pickHint.hidden = picked !== null;
    clearModelInput();
    if (picked === null) {
      fillBars(null);
      return;
    }
    const read = body.digits[picked];
    fillBars(read.probabilities ?? null, read.digit);
    const shown = picked;
    if (typeof read.model_input === "string") {
      showModelInput(read.model_input, () => answer === rendered && picked === shown);
    }
  };
  showChips(body.digits, pick);
  pickHint.hidden = false;
  return { text: `Looks like ${body.number}`, tone: "" };
}

/** A refusal, said plainly: no digit, no hedge, empty bars. */
function showRefusal(body) {
  const text =
    body.reason === "too_small" ? "Too small to read — draw bigger" : "That doesn't look like a digit";
  confidence.textContent = text;
  return { text, tone: "warn" };
}

/**
 * Render a reading of /predict on the emptied card; `current()` says whether it still belongs
 * to the drawing.
 */
export function showPrediction(body, current) {
  resetResult();
  card.dataset.reading = body.reading;
  if (body.reading === NOT_A_DIGIT) return showRefusal(body);
  if (body.reading === "number") return showNumber(body, current);
  return showDigit(body, current);
}
