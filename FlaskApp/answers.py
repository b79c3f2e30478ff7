"""Image bytes -> the answer the API gives: what was drawn, and the 28x28 the model saw.

    answer(data, model).as_dict()   # what POST /predict answers

`/predict` answers with it and `/api/feedback` stores the server's own reading from it, so a
correction is read exactly as a prediction is. Nothing here knows about Flask or HTTP.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import preprocessing
import reading
from PIL import Image

if TYPE_CHECKING:
    from serving import ModelService


@dataclass(frozen=True)
class Answer:
    """A drawing as the server read it, and the decoded image it was read from."""

    image: Image.Image
    reading: reading.Reading

    def as_dict(self) -> dict:
        """The answer as JSON-ready data; `model_input` is the whole drawing normalised, a PNG
        data URL."""
        png = preprocessing.to_png(self.reading.field)
        return {**self.reading.as_dict(), "model_input": preprocessing.to_data_url(png)}


def answer(data: bytes, model: ModelService, strokes: list[np.ndarray] | None = None) -> Answer:
    """Decode image bytes and read them with the model (`reading.read`); `strokes`, the
    pen-down strokes in drawing order in the image's pixels (each (N, 2) or (N, 3) with time in
    ms, already checked by the web layer), group the ink into digits.

    Raises `preprocessing.ImageError` (`ImageTooLarge`) for bytes that are no image (too
    large), `preprocessing.NothingDrawn` for a blank one, and the model's own errors
    (`serving.ModelUnavailable`, `serving.ModelFailed`).
    """
    image = preprocessing.decode(data)
    return Answer(image, reading.read(image, model.classify, model.policy, strokes))
