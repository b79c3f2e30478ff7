"""People's corrections in the tests: the review token, apps that store them, what they
store, and the review page read back."""

from __future__ import annotations

import base64
import html
import re
from pathlib import Path

import numpy as np

from drawadigit.corrections.pictures import drawing_png
from drawadigit.corrections.store import Correction
from drawadigit.data.sketches import (
    stroke_drawing,
)
from drawadigit.reading import preprocessing

from .drawings import SEVEN, SEVEN_URL

__all__ = [
    "BASIC",
    "BEARER",
    "CORRECTION",
    "OPEN_LIMIT",
    "TOKEN",
    "basic",
    "correction",
    "cross",
    "corrections_config",
    "form_token",
    "listed_ids",
    "model_reading",
    "page_link",
    "post_correction",
    "review_page",
    "seven_as_served",
    "sqlite_url",
    "stored_total",
]

TOKEN = "review-token-for-tests"

# Route tests post more corrections than the default rate limit allows; its own tests lower it.
OPEN_LIMIT = "100000 per minute"

CORRECTION = {"image": SEVEN_URL, "label": 7}


def basic(password: str, user: str = "anyone") -> dict:
    """An HTTP Basic Authorization header."""
    return {"Authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()}


BEARER = {"Authorization": f"Bearer {TOKEN}"}

BASIC = basic(TOKEN)


def sqlite_url(folder: Path, name: str = "feedback.sqlite3") -> str:
    """The URL of an SQLite file in `folder`."""
    return f"sqlite:///{folder / name}"


def corrections_config(database_url: str, **extra) -> dict:
    """The configuration (for `make_app`) of an app storing corrections into `database_url`,
    reviewed with TOKEN, its rate limit out of the way."""
    return {
        "DATABASE_URL": database_url,
        "REVIEW_TOKEN": TOKEN,
        "FEEDBACK_RATE_LIMIT": OPEN_LIMIT,
        **extra,
    }


def correction(label: int = 7, predicted: int = 1, png: bytes = SEVEN.png) -> Correction:
    """A correction as the API builds one."""
    coverage = preprocessing.ink(preprocessing.decode(png))
    field = preprocessing.normalise_ink(coverage)
    probabilities = [0.05] * 10
    return Correction(label, predicted, probabilities, "cnn-0123456789abcdef", coverage, field)


def seven_as_served() -> bytes:
    """What the store keeps of SEVEN: its ink, black on white, as a bounded greyscale PNG."""
    return drawing_png(preprocessing.ink(preprocessing.decode(SEVEN.png)))


def cross(rng: np.random.Generator) -> bytes:
    """An X, drawn a little differently each time: a shape no MNIST digit has."""
    a, b = rng.uniform(-0.08, 0.08, 2)
    strokes = [[(0.0 + a, 0.0), (1.0, 1.0 + b)], [(1.0 - b, 0.0), (0.0, 1.0 + a)]]
    left, top = rng.uniform(0.1, 0.3, 2)
    box = (left, top, left + rng.uniform(0.4, 0.6), top + rng.uniform(0.5, 0.6))
    return stroke_drawing(strokes, 5, box=box, pen_width=float(rng.uniform(10, 18))).png


def model_reading(client, url: str = SEVEN_URL) -> int | str:
    """What /predict answers for a drawing, as the corrections API spells a label."""
    answer = client.post("/predict", json={"image": url}).get_json()
    return "not_a_digit" if answer["reading"] == "not_a_digit" else answer["digit"]


def post_correction(app, label: int = 7) -> str:
    """Post a correction of SEVEN; its public id."""
    response = app.test_client().post("/api/feedback", json={"image": SEVEN_URL, "label": label})
    assert response.status_code == 201
    return response.get_json()["id"]


def stored_total(app) -> int:
    """How many corrections the app's store holds, read directly."""
    return app.extensions["corrections_store"].count()


def review_page(client, url: str) -> str:
    """A review page's HTML, fetched through HTTP Basic."""
    response = client.get(url, headers=BASIC)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_data(as_text=True)


def listed_ids(page: str) -> list[str]:
    """The public ids of the records a review page lists, in order."""
    return re.findall(r'<li class="correction[^"]*" data-id="([^"]+)"', page)


def page_link(page: str, rel: str) -> str | None:
    """The href of the page's first link with `rel` (first, prev, next), or None."""
    found = re.search(rf'href="([^"]+)" rel="{rel}"', page)
    return html.unescape(found.group(1)) if found else None


def form_token(page: str) -> str:
    """The form token the review page carries."""
    return re.search(r'name="form_token" value="([0-9a-f]+)"', page).group(1)
