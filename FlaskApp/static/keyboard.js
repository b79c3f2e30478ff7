// The page's keyboard rules: what a key press asks the pad for, if anything.

/** Whether the key was pressed inside an element matching `selector`. */
function within(event, selector) {
  return event.target instanceof Element && event.target.closest(selector) !== null;
}

/** Ctrl/Cmd+Z undoes; Ctrl/Cmd+Shift+Z and Ctrl+Y redo; never inside a form field. */
function historyKey(event) {
  if (!(event.ctrlKey || event.metaKey) || within(event, "input, select, textarea")) return "";
  const key = event.key.toLowerCase();
  if (key === "z") return event.shiftKey ? "redo" : "undo";
  return key === "y" && event.ctrlKey && !event.shiftKey ? "redo" : "";
}

/** Esc clears only from the pad or from nothing in particular: never while closing a menu. */
function escapeClears(canvas) {
  return document.activeElement === canvas || document.activeElement === document.body;
}

/** Enter predicts, except where the browser makes it a click or a choice (no second request). */
function enterPredicts(event) {
  return !event.repeat && !event.isComposing && !within(event, "button, a, select, textarea, form");
}

/** What a key press asks of the pad on `canvas`: "undo", "redo", "clear", "predict" or "". */
export function keyAction(event, canvas) {
  if (event.defaultPrevented || event.altKey) return "";
  const step = historyKey(event);
  if (step) return step;
  if (event.ctrlKey || event.metaKey || event.shiftKey) return "";
  if (event.key === "Escape") return escapeClears(canvas) ? "clear" : "";
  if (event.key === "Enter") return enterPredicts(event) ? "predict" : "";
  return "";
}
