// The footer's line about the serving model, from its card (/api/model).

/** The card in one line: architecture, parameters, accuracy on the MNIST test set, as known. */
function describe(card) {
  const parts = [`A neural network (${card.architecture}) trained on MNIST's handwritten digits`];
  if (Number.isFinite(card.parameters)) {
    parts.push(`${card.parameters.toLocaleString("en")} parameters`);
  }
  const accuracy = card.metrics?.mnist_test_accuracy;
  if (Number.isFinite(accuracy)) {
    parts.push(`${(accuracy * 100).toFixed(2)} % on the MNIST test set`);
  }
  return parts.join(" · ");
}

/** Show the card at `url` in `element`: a nicety, drawing and predicting work without it. */
export async function showModelInfo(url, element) {
  try {
    const response = await fetch(url, { headers: { Accept: "application/json" } });
    if (!response.ok) return; // training on first run: the status line already says so
    element.textContent = describe(await response.json());
  } catch {
    // The line stays empty.
  }
}
