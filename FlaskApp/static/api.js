// Talking to the server: JSON in and out, and checks that an answer has the documented shape.

// The label the feedback API takes, and /predict's `reading`, for a drawing that is no digit.
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

/** Whether `body` is a 200 response of /predict's documented shape. */
export function isPrediction(body) {
  if (body === null || typeof body !== "object") return false;
  if (!isDigit(body.digit) || !Number.isFinite(body.confidence)) return false;
  if (!isProbabilities(body.probabilities) || !READINGS.includes(body.reading)) return false;
  if (typeof body.number !== "string") return false;
  if (!Array.isArray(body.digits) || !body.digits.every(isDigitRead)) return false;
  if (body.reading === NOT_A_DIGIT) return body.digits.length === 0;
  const wanted = body.reading === "digit" ? body.digits.length === 1 : body.digits.length > 1;
  return wanted && body.number === body.digits.map((read) => read.digit).join("");
}
