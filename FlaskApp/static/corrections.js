// "Wrong? Tap the digit you drew": a tapped correction is held for a few seconds, so it can
// be changed (tap another) or taken back (Undo), then sent; at once when the page is hidden.
// A number is corrected whole (typed, then Send) or digit by digit (its chip picked, then the
// digit it should be), and held and sent the same way, as one digit per digit read.

import { NOT_A_DIGIT, postJson } from "./api.js";
import { correctionProblem } from "./messages.js";
import { aDigit } from "./result.js";

const HOLD_MS = 5000;

const box = document.getElementById("correction-row");
const choices = Array.from(box.querySelectorAll("button[data-label]"));
const status = document.getElementById("correction-status");
const undoButton = document.getElementById("correction-undo");
const prompt = document.getElementById("correction-prompt");
const numberFix = document.getElementById("number-fix");
const numberInput = document.getElementById("number-input");
const PROMPTS = {
  digit: "Wrong? Tap the digit you drew",
  number: "Wrong? Pick a digit, then tap the right one",
};

/** A correction's label as said aloud: "a 7", "not a digit", or a number's digits: "2027". */
function labelName(label) {
  if (Array.isArray(label)) return label.join("");
  return label === NOT_A_DIGIT ? "not a digit" : aDigit(label);
}

/** The position of the number's chip that is picked, or -1. */
function pickedChip() {
  const chips = Array.from(document.querySelectorAll("#digit-chips button.chip"));
  return chips.findIndex((chip) => chip.getAttribute("aria-pressed") === "true");
}

/** The label a correction button stands for: a digit 0-9, or NOT_A_DIGIT. */
function choiceLabel(button) {
  const label = button.dataset.label;
  return label === NOT_A_DIGIT ? NOT_A_DIGIT : Number(label);
}

/** The choice button standing for `label`. */
function choiceFor(label) {
  return choices.find((button) => choiceLabel(button) === label);
}

/**
 * The correction row. `url` is the corrections API; `say(text)` announces a settled outcome;
 * `online()` resolves once the browser is back online; `home` (the pad) takes focus when the
 * row is withdrawn from under it.
 */
export class Corrections {
  constructor(url, { say, online, home }) {
    this.url = url;
    this.say = say;
    this.online = online;
    this.home = home;
    this.answer = null; // {image, strokes, predicted} of the answer on screen
    this.held = null; // {answer, label, timer} waiting to be sent
    this.open = false; // whether a tap chooses
    for (const button of choices) {
      button.addEventListener("click", () => {
        const label = choiceLabel(button);
        if (Array.isArray(this.answer?.predicted)) {
          if (this.open && label !== NOT_A_DIGIT) this.chooseDigit(label);
        } else this.choose(label);
      });
    }
    undoButton.addEventListener("click", () => this.takeBack());
    numberFix.addEventListener("submit", (event) => {
      event.preventDefault();
      this.typed();
    });
  }

  /**
   * Offer the row for a settled answer: the posted `{image, strokes}`, read as `predicted` (a
   * digit, NOT_A_DIGIT, or a number's digits as an array).
   */
  offer({ image, strokes }, predicted) {
    this.answer = { image, strokes, predicted };
    const number = Array.isArray(predicted);
    box.dataset.mode = number ? "number" : "digit";
    prompt.textContent = PROMPTS[box.dataset.mode];
    numberFix.hidden = !number;
    numberInput.value = number ? predicted.join("") : "";
    this.setStatus("");
    this.reopen();
    box.dataset.offered = "true";
  }

  /** A digit tapped for a number: it replaces the picked chip's digit. */
  chooseDigit(digit) {
    const position = pickedChip();
    if (position < 0) {
      this.tell("Pick the digit to correct above first, then tap what it should be.", "warn");
      return;
    }
    const digits = (this.held?.label ?? this.answer.predicted).slice();
    digits[position] = digit;
    numberInput.value = digits.join("");
    this.choose(digits, digit);
  }

  /** The number typed whole and sent: one digit for each digit read, or it says so. */
  typed() {
    if (!this.answer || !this.open) return;
    const count = this.answer.predicted.length;
    const text = numberInput.value.trim();
    if (!new RegExp(`^[0-9]{${count}}$`).test(text)) {
      this.tell(`Type ${count} digits, one for each digit read.`, "warn");
      return;
    }
    this.choose(Array.from(text, Number), null);
  }

  /** The drawing changed or was cleared: send what was held, and hide the row (its room stays). */
  withdraw() {
    this.flush();
    this.answer = null;
    this.enable(false);
    if (box.contains(document.activeElement)) this.home.focus();
    box.dataset.offered = "false";
  }

  /** A new prediction is on its way: the answer on screen is not the one to correct. */
  wait() {
    if (!this.held) this.enable(false);
  }

  /** Every choice enabled again, none pressed. */
  reopen() {
    this.press(null);
    this.enable(true);
  }

  /** aria-disabled, not disabled: a choice just tapped keeps focus once it is sent. */
  enable(on) {
    this.open = on;
    for (const button of choices) button.setAttribute("aria-disabled", String(!on));
    for (const control of numberFix.elements) control.setAttribute("aria-disabled", String(!on));
    numberInput.readOnly = !on;
  }

  press(label) {
    for (const button of choices) {
      button.setAttribute("aria-pressed", String(choiceLabel(button) === label));
    }
  }

  setStatus(text, tone = "", undo = false) {
    status.textContent = text;
    status.dataset.tone = tone;
    // Undo goes once the correction is sent: focus moves to the choice it undid, not the page.
    if (!undo && document.activeElement === undoButton) {
      (choices.find((b) => b.getAttribute("aria-pressed") === "true") ?? choices[0]).focus();
    }
    undoButton.hidden = !undo;
  }

  /** Set the row's status line and say the same. */
  tell(text, tone = "") {
    this.setStatus(text, tone);
    this.say(text);
  }

  /** Hold `label` for the answer on screen; a second tap changes it. `pressed`: the choice
   * to show pressed (the label itself unless told). */
  choose(label, pressed = label) {
    if (!this.answer || !this.open) return;
    window.clearTimeout(this.held?.timer);
    const timer = window.setTimeout(() => this.flush(), HOLD_MS);
    this.held = { answer: this.answer, label, timer };
    this.press(pressed);
    // Nothing is saved yet: the row says what will be sent, and only "Thanks" says it was.
    this.setStatus(`Sending ${labelName(label)} in a few seconds.`, "", true);
    this.say(`Sending ${labelName(label)} in a few seconds; Undo takes it back.`);
  }

  takeBack() {
    if (!this.held) return;
    window.clearTimeout(this.held.timer);
    const { label, answer } = this.held;
    this.held = null;
    this.press(null);
    if (Array.isArray(label)) numberInput.value = answer.predicted.join("");
    this.tell("Taken back: nothing was sent.");
    (choiceFor(label) ?? numberInput).focus();
  }

  /** Send the held correction now (keepalive: it may outlive the page). */
  flush() {
    if (!this.held) return;
    const held = this.held;
    window.clearTimeout(held.timer);
    this.held = null;
    const oops = "Not saved: something went wrong; please try again.";
    this.send(held).catch(() => this.failed(held, oops));
  }

  async send(held) {
    const { image, strokes, predicted } = held.answer;
    const mine = () => this.answer === held.answer;
    if (mine()) {
      this.enable(false);
      this.setStatus("Sending…");
    }
    let reply;
    try {
      const { label } = held; // a number's digits go as `digits`, one per digit read
      const chosen = Array.isArray(label) ? { digits: label } : { label };
      const correction = { image, strokes, ...chosen };
      reply = await postJson(this.url, correction, { keepalive: true });
    } catch {
      this.unsent(held);
      return;
    }
    if (reply.response.status === 201) {
      if (mine()) this.thank(held.label, predicted);
    } else {
      this.failed(held, correctionProblem(reply.response));
    }
  }

  /** Offline or unreachable: say so, and send it once the browser is back online. */
  unsent(held) {
    if (navigator.onLine) {
      this.failed(held, "Not saved: can't reach the server; check your connection.");
      return;
    }
    if (this.answer === held.answer) {
      this.setStatus("You're offline — will send it when you're back", "warn");
    }
    this.online().then(() => this.send(held));
  }

  thank(label, predicted) {
    const text =
      labelName(label) === labelName(predicted)
        ? `Thanks for confirming it is ${labelName(label)}.`
        : `Thanks — saved as ${labelName(label)} for review and future training.`;
    this.tell(text);
  }

  failed(held, text) {
    if (this.answer !== held.answer) return;
    this.tell(text, "error");
    this.reopen();
  }
}
