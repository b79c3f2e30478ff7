// What a person reads when the server could not do what was asked: a sentence for a person,
// never the API's own text (which is for programs, and stays in the JSON body).

/** "in 15 s" from a Retry-After of seconds; "in a minute" when there is none to read. */
function inWhile(response) {
  const seconds = Number(response.headers.get("Retry-After"));
  if (!Number.isFinite(seconds) || seconds <= 0) return "in a minute";
  return seconds < 90 ? `in ${Math.ceil(seconds)} s` : `in ${Math.ceil(seconds / 60)} min`;
}

/** Why a drawing could not be read: the status line's words for /predict's `response`. */
export function readingProblem(response) {
  switch (response.status) {
    case 413:
      return "That drawing is too big to read; clear some of it and try again.";
    case 429:
      return `Too many drawings read from here for now; try again ${inWhile(response)}.`;
    default:
      return response.status < 500
        ? "This page sent something the server could not read; reload the page and try again."
        : "Something went wrong on the server; please try again.";
  }
}

/** Why a correction was not saved, for /api/feedback's `response`: "Not saved: …". */
export function correctionProblem(response) {
  const why = {
    413: "the drawing is too big to keep.",
    422: "there is nothing drawn to keep.",
    429: `too many corrections from here for now; try again ${inWhile(response)}.`,
    503: `corrections cannot be kept just now; try again ${inWhile(response)}.`,
    507: "no more corrections can be kept for now.",
  }[response.status];
  if (why) return `Not saved: ${why}`;
  return response.status < 500
    ? "Not saved: this page sent something the server could not take; reload it and try again."
    : "Not saved: something went wrong on the server; please try again.";
}
