// Talking to the server: JSON in and out, and checks that an answer has the documented shape.

// The label the corrections API takes, and /predict's `reading`, for a drawing that is no digit.
export const NOT_A_DIGIT = "not_a_digit";
const READINGS = ["digit", "number", NOT_A_DIGIT];

/** POST `payload` as JSON: the response and its JSON body (null when it has none). */
export async function postJson(url, payload, { signal, keepalive = false } = {}) {
  const response = await fetch(url, {
    method: "POST",
    headers: { "Content-Type": "application/json", Accept: "application/json" },
    body: JSON.stringify(payload),
    signal,
    keepalive,
  });
  const body = await response.json().catch(() => null);
  return { response, body };
}

/** Whether `value` is one of the model's `digits` digits, 0 to digits - 1. */
function isDigit(value, digits) {
  return Number.isInteger(value) && value >= 0 && value < digits;
}

function isProbabilities(value, digits) {
  return Array.isArray(value) && value.length === digits && value.every(Number.isFinite);
}

/** Whether `read` is one entry of `digits`: a digit, its confidence and its box. */
function isDigitRead(read, digits) {
  return (
    read !== null &&
    typeof read === "object" &&
    isDigit(read.digit, digits) &&
    Number.isFinite(read.confidence) &&
    Array.isArray(read.box) &&
    read.box.length === 4 &&
    read.box.every(Number.isFinite)
  );
}

/**
 * Whether `body` is a 200 response of /predict's documented shape, for a model of `digits`
 * digits (the server's DIGITS, from #app's data-digits).
 */
export function isPrediction(body, digits) {
  if (body === null || typeof body !== "object") return false;
  if (!isDigit(body.digit, digits) || !Number.isFinite(body.confidence)) return false;
  if (!isProbabilities(body.probabilities, digits) || !READINGS.includes(body.reading)) {
    return false;
  }
  if (typeof body.number !== "string") return false;
  if (!Array.isArray(body.digits) || !body.digits.every((read) => isDigitRead(read, digits))) {
    return false;
  }
  if (body.reading === NOT_A_DIGIT) return body.digits.length === 0;
  const wanted = body.reading === "digit" ? body.digits.length === 1 : body.digits.length > 1;
  return wanted && body.number === body.digits.map((read) => read.digit).join("");
}
