"""The corrections API: `POST /api/feedback`, on a blueprint of its own (`bp`, "corrections").

The page sends `{"image": <data URL>, "label": 0-9}` when a person says which digit they drew,
or `"label": "not_a_digit"` when what they drew is no digit (stored as label `NOT_A_DIGIT`, 10,
the model's own class for it), and the drawing's pen `strokes` as `/predict` takes them
(`api.parse_strokes`; optional, stored with the correction). The drawing is read by
`api.read_drawing`, as `/predict` reads it, strokes and all (decoded within the same limits; a
blank one is 422): what is stored as `predicted`, and counted in the statistics, is that
reading (the digit, or `not_a_digit` when the reading refuses the drawing), never what a client
says the model answered; a `"predicted"` field in the body, which older pages send, is accepted
and ignored. The answer is 201 with the record's random public
`id` and the server's `predicted`, once it is committed.

A number is corrected with `"digits": [2, 0, 2, 7]` instead of `label`: one digit 0-9 per digit
the server reads, left to right (a drawing that does not read as a number of that many digits
is 422). Each digit is stored as a correction of its own: its label, the server's reading of
it, its own 28x28, its box, the whole drawing with its strokes, and the number as corrected, so
training learns from each digit. The answer is 201 with `ids` (one per digit), `number` and the
server's `predicted` number.

Every database call runs through the storage threads (`storage.stored`); a database that cannot
serve in time, or at all, is a 503 with Retry-After, a full store a 507 (`storage.STORAGE_ERRORS`).
"""

from __future__ import annotations

import logging
import time

import numpy as np
from flask import Blueprint, jsonify, url_for

from drawadigit.contract import NOT_A_DIGIT, NOT_A_DIGIT_NAME
from drawadigit.corrections.store import Correction
from drawadigit.reading import preprocessing
from drawadigit.web import api
from drawadigit.web.corrections.storage import calls, store, stored

logger = logging.getLogger(__name__)

bp = Blueprint("corrections", __name__)

EXAMPLE = '{"image": "data:image/png;base64,...", "label": 4}'
IMAGE_EXPECTED = "Expected field 'image', the drawing as a PNG data URL"


def label_field(payload: dict, name: str) -> int:
    """A required label from the request body: a digit 0-9, or "not_a_digit" (NOT_A_DIGIT)."""
    value = payload.get(name, api.MISSING)
    expected = f'a digit 0-9 or "{NOT_A_DIGIT_NAME}"'
    if value is api.MISSING:
        received = f"received fields {api.key_names(payload)}"
        raise api.APIError(400, f"Expected field '{name}', {expected}; {received}.")
    if value == NOT_A_DIGIT_NAME:
        return NOT_A_DIGIT
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 9:
        if type(value) in (int, float):
            shown = value
        elif isinstance(value, str):
            shown = f"the string {value[:20]!r}"
        else:
            shown = f"a JSON {api.json_type(value)}"
        raise api.APIError(400, f"Expected field '{name}' to be {expected}; received {shown}.")
    return value


MAX_DIGITS = 64  # a number's digits in one correction, at most (checked before reading)


def digits_field(payload: dict) -> list[int]:
    """A number's corrected digits: `digits`, a list of 2 to MAX_DIGITS digits 0-9."""
    value = payload["digits"]
    expected = f"a list of 2 to {MAX_DIGITS} digits 0-9, one per digit read, left to right"
    if not isinstance(value, list) or not 2 <= len(value) <= MAX_DIGITS:
        shown = f"a list of {len(value)}" if isinstance(value, list) else api.json_type(value)
        shown = shown if isinstance(value, list) else f"a JSON {shown}"
        raise api.APIError(400, f"Expected field 'digits' to be {expected}; received {shown}.")
    for digit in value:
        if isinstance(digit, bool) or not isinstance(digit, int) or not 0 <= digit <= 9:
            shown = repr(digit)[:20] if type(digit) in (int, float, str) else api.json_type(digit)
            shown = shown if type(digit) in (int, float, str) else f"a JSON {shown}"
            raise api.APIError(400, f"Expected field 'digits' to be {expected}; received {shown}.")
    return value


def label_name(label: int) -> int | str:
    """A stored label as the API spells it."""
    return NOT_A_DIGIT_NAME if label == NOT_A_DIGIT else label


def model_version(card: dict) -> str:
    """The serving model as the card names it: architecture and the model file's hash."""
    sha256 = card.get("file", {}).get("sha256", "")
    return f"{card.get('architecture', 'model')}-{sha256[:16]}"


def read_correction(data: bytes, label: int, strokes: list[np.ndarray]) -> Correction:
    """The drawing read by the serving model, as /predict reads it, as a correction to store."""
    service = api.model_service()
    try:
        image, read = api.read_drawing(data, strokes)
    except preprocessing.NothingDrawn as exc:
        raise preprocessing.NothingDrawn(
            f"{exc} There is nothing to learn from a blank drawing."
        ) from exc
    coverage = preprocessing.ink(image)  # what is kept of the drawing: its ink
    return Correction(
        label=label,
        predicted=NOT_A_DIGIT if read.reading == NOT_A_DIGIT_NAME else read.whole.digit,
        probabilities=read.whole.probabilities,
        model_version=model_version(service.describe()),
        drawing=coverage,
        field=preprocessing.normalise_ink(coverage),
        strokes=strokes,
    )


def read_number(data: bytes, digits: list[int], strokes: list[np.ndarray]) -> list[Correction]:
    """A number's drawing read as /predict reads it, one correction per digit read."""
    image, read = api.read_drawing(data, strokes)
    if read.reading != "number" or len(read.digits) != len(digits):
        found = f"a number of {len(read.digits)}" if read.reading == "number" else read.reading
        raise api.APIError(
            422,
            f"Expected a drawing read as a number of {len(digits)} digits, one for each of "
            f"'digits'; it reads as {found.replace('_', ' ')}.",
        )
    coverage = preprocessing.ink(image)
    version = model_version(api.model_service().describe())
    number = "".join(map(str, digits))
    return [
        Correction(
            label=label,
            predicted=part.digit,
            probabilities=part.probabilities,
            model_version=version,
            drawing=coverage,
            field=part.field,
            strokes=strokes,
            box=tuple(part.box),
            number=number,
        )
        for label, part in zip(digits, read.digits, strict=True)
    ]


def add_number(payload: dict, data: bytes):
    """Store a number's correction, a record per digit: 201 with their ids."""
    if "label" in payload:
        raise api.APIError(400, "Expected field 'label' or 'digits', not both; received both.")
    digits = digits_field(payload)
    parts = read_number(data, digits, api.parse_strokes(payload.get("strokes", api.MISSING)))
    deadline = time.monotonic() + calls().timeout
    ids = stored(store().add_all, parts, deadline)
    logger.info("correction %s stored: number %s drawn", ",".join(ids), parts[0].number)
    predicted = "".join(str(part.predicted) for part in parts)
    return jsonify({"ids": ids, "number": parts[0].number, "predicted": predicted}), 201


@bp.post("/api/feedback")
def add_correction():
    """Store a correction: the drawing, the digit drawn, and the server's own reading."""
    api.require_json("with the drawing and the digit drawn")
    payload = api.json_object(EXAMPLE)
    data = api.image_bytes(payload.get("image", api.MISSING), IMAGE_EXPECTED)
    if "digits" in payload:
        return add_number(payload, data)
    label = label_field(payload, "label")
    correction = read_correction(
        data, label, api.parse_strokes(payload.get("strokes", api.MISSING))
    )
    deadline = time.monotonic() + calls().timeout
    public_id = stored(store().add, correction, deadline)
    logger.info(
        "correction %s stored: drawn %d, model said %d",
        public_id,
        correction.label,
        correction.predicted,
    )
    answer = {
        "id": public_id,
        "label": label_name(correction.label),
        "predicted": label_name(correction.predicted),
    }
    response = jsonify(answer)
    response.headers["Location"] = url_for("review.image", public_id=public_id)
    return response, 201
