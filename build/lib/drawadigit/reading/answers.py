"""Image bytes -> the answer the API gives: what was drawn, and the 28x28s the model saw.

    answer(data, model).as_dict()   # what POST /predict answers
    answer_image(image, model, strokes)   # the same for an image decoded already

`/predict` answers with it and `/api/feedback` stores the server's own reading from it, so a
correction is read exactly as a prediction is. Nothing here knows about Flask or HTTP.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from PIL import Image

from drawadigit import reading
from drawadigit.reading import preprocessing

if TYPE_CHECKING:
    from drawadigit.model.serving import ModelService


@dataclass(frozen=True)
class Answer:
    """A drawing as the server read it, and the decoded image it was read from."""

    image: Image.Image
    reading: reading.Reading

    def as_dict(self) -> dict:
        """The answer as JSON-ready data; `model_input` is the whole drawing normalised, and
        each entry of `digits` has its own `model_input`, the 28x28 that digit was read from
        (PNG data URLs)."""
        body = self.reading.as_dict()
        for entry, read in zip(body["digits"], self.reading.digits, strict=True):
            entry["model_input"] = model_input(read.field)
        return {**body, "model_input": model_input(self.reading.field)}


def model_input(field: np.ndarray) -> str:
    """A normalised 28x28 field as the API shows it: a PNG data URL."""
    return preprocessing.to_data_url(preprocessing.to_png(field))


def answer(data: bytes, model: ModelService, strokes: list[np.ndarray] | None = None) -> Answer:
    """Decode image bytes and read them with the model (`reading.read`); `strokes`, the
    pen-down strokes in drawing order in the image's pixels (each (N, 2) or (N, 3) with time in
    ms, already checked by the web layer), group the ink into digits.

    Raises `preprocessing.ImageError` (`ImageTooLarge`) for bytes that are no image (too
    large), `preprocessing.NothingDrawn` for a blank one, and the model's own errors
    (`serving.ModelUnavailable`, `serving.ModelFailed`).
    """
    return answer_image(preprocessing.decode(data), model, strokes)


def answer_image(
    image: Image.Image, model: ModelService, strokes: list[np.ndarray] | None = None
) -> Answer:
    """`answer` for an image decoded already (`preprocessing.decode`), so that the web layer
    can check the strokes against its size first."""
    return Answer(image, reading.read(image, model.classify, model.policy, strokes))
