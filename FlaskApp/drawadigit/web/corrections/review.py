"""The review of corrections, on a blueprint of its own (`bp`, "review"): `/feedback`, its
images, `/api/feedback/stats`, and the page's Hide, Show and Delete buttons; only for the holder
of REVIEW_TOKEN (`access`).

The page lists the records a page at a time (`paging`), with the counts per digit; times are
shown in UTC and say so (the blueprint's template filters `utc_iso` and `utc_text`). Its buttons
are POST forms that carry `form_token`, and bring the reviewer back to the page they were on.
"""

from __future__ import annotations

import hmac
import logging
import re
from datetime import UTC, datetime

from flask import Blueprint, Response, g, jsonify, redirect, render_template, request, url_for

from drawadigit.corrections.listing import Page
from drawadigit.corrections.store import CorrectionStore
from drawadigit.reading import preprocessing
from drawadigit.web.api import APIError
from drawadigit.web.corrections.access import form_token, review_only, review_token
from drawadigit.web.corrections.paging import (
    ReviewQuery,
    cursor_key,
    page_links,
    query_params,
    review_query,
)
from drawadigit.web.corrections.storage import store, stored

logger = logging.getLogger(__name__)

bp = Blueprint("review", __name__)

ACTIONS = {"hide": "hidden", "show": "shown again", "delete": "deleted"}
# What the review page says after a button did its work (?done=<action>&record=<id>).
DONE = {
    "hide": "Correction {id} is hidden: it is left out of the counts and of training.",
    "show": "Correction {id} is shown again, and counted.",
    "delete": "Correction {id} is deleted for good.",
}
PUBLIC_ID = re.compile(r"[A-Za-z0-9_-]{1,32}")
# A correction's images: only this origin's pages may embed them (`review_only` adds no-store).
IMAGE_HEADERS = {"Cross-Origin-Resource-Policy": "same-origin"}


def found(record: object, public_id: str) -> object:
    """A record's data, or 404 when there is no such record."""
    if record is None:
        raise APIError(404, f"No correction {public_id}.")
    return record


@bp.get("/api/feedback/stats")
@review_only(basic=False)
def stats():
    """The counts per digit drawn, and how often the model was right."""
    return jsonify(stored(store().stats))


@bp.get("/api/feedback/<public_id>/image.png")
@review_only(basic=True)
def image(public_id: str):
    """The drawing kept of a correction."""
    drawing = found(stored(store().image, public_id), public_id)
    return Response(drawing, mimetype="image/png", headers=IMAGE_HEADERS)


@bp.get("/api/feedback/<public_id>/field.png")
@review_only(basic=True)
def field(public_id: str):
    """The 28x28 the model saw."""
    normalised = found(stored(store().field, public_id), public_id)
    return Response(preprocessing.to_png(normalised), mimetype="image/png", headers=IMAGE_HEADERS)


def _page_data(corrections: CorrectionStore, query: ReviewQuery) -> tuple[Page, dict, int]:
    """The review page's records, statistics and count of hidden ones, in one storage call."""
    shown = corrections.page(
        query.limit,
        before=query.before,
        after=query.after,
        wrong_only=query.wrong,
        include_hidden=query.hidden,
    )
    return shown, corrections.stats(), corrections.count(hidden=True)


def done(args) -> dict | None:
    """What the last button did, from ?done= and ?record= (None when they say nothing usable):
    the sentence to show and, after Hide, the record to offer to show again."""
    action, record = args.get("done", ""), args.get("record", "")
    if action not in DONE or not PUBLIC_ID.fullmatch(record):
        return None
    return {"text": DONE[action].format(id=record), "action": action, "record": record}


@bp.get("/feedback")
@review_only(basic=True)
def page():
    """The review page."""
    key = cursor_key(review_token())
    query = review_query(request.args, key)
    shown, counts, hidden = stored(_page_data, store(), query)
    return render_template(
        "review.html",
        done=done(request.args),
        page=shown,
        query=query,
        links=page_links(shown, query, key),
        stats=counts,
        hidden=hidden,
        form_token=form_token(review_token()),
    )


@bp.post("/feedback/<public_id>")
@review_only(basic=True)
def moderate(public_id: str):
    """Hide, show again or delete one record (the review page's buttons)."""
    sent = request.form.get("form_token", "").encode()  # bytes: any text compares, none raises
    if g.review_by == "basic" and not hmac.compare_digest(
        sent, form_token(review_token()).encode()
    ):
        raise APIError(403, "Expected the review page's form token; received none that matches.")
    key = cursor_key(review_token())
    back = review_query(request.args, key)  # the page the button was on, checked before acting
    action = request.form.get("action", "")
    if action not in ACTIONS:
        raise APIError(400, f"Expected action {', '.join(ACTIONS)}; received {action[:20]!r}.")
    if action == "delete":
        done = stored(store().delete, public_id)
    else:
        done = stored(store().set_hidden, public_id, action == "hide")
    found(done or None, public_id)
    logger.info(
        "correction %s %s by a reviewer at %s", public_id, ACTIONS[action], request.remote_addr
    )
    if g.review_by == "basic":
        said = {"done": action, "record": public_id}  # the page then says what was done
        return redirect(url_for("review.page", **query_params(back, key), **said), 303)
    return jsonify({"id": public_id, "action": action})


@bp.app_template_filter()
def utc_iso(moment: datetime) -> str:
    """A time as ISO 8601 in UTC, for <time datetime>: 2026-12-01T10:31:05Z."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@bp.app_template_filter()
def utc_text(moment: datetime) -> str:
    """A time as a reader sees it, with its zone: 2026-12-01 10:31 UTC."""
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
