"""The corrections API and review page: `POST /api/feedback`, its stats, `/feedback`.

The page sends `{"image": <data URL>, "label": 0-9}` when a person says which digit they drew,
or `"label": "not_a_digit"` when what they drew is no digit (stored as label `NOT_A_DIGIT`, 10,
the model's own class for it). The drawing is checked like a prediction (decoded within the same
limits; a blank one is refused) and read by the serving model, as `/predict` reads it: what is
stored as `predicted`, and counted in the statistics, is that reading (the digit, or
`not_a_digit` when the reading refuses the drawing), never what a client says the model answered;
a `"predicted"` field in the body, which older pages send, is accepted and ignored. The answer is
201 with the record's random public `id` and the server's `predicted`, once it is committed.

Corrections are bounded: per client address, FEEDBACK_RATE_LIMIT (flask-limiter, counted in
RATELIMIT_STORAGE_URI: `memory://` is per process; a `redis://` URL shares the count between
workers and instances) answers 429; beyond FEEDBACK_MAX_RECORDS stored, 507. Every database call
runs through `bounded.BoundedCalls`: at most FEEDBACK_THREADS threads per process wait on the
database, a request no longer than FEEDBACK_TIMEOUT seconds (plus SLOT_WAIT for a thread while
the database looks healthy); a correction or review the database cannot serve in that time gets
503 with `Retry-After` (FEEDBACK_RETRY_AFTER) and the server goes on predicting.

The review routes (`/feedback`, its images, `/api/feedback/stats`) need REVIEW_TOKEN
(`FLASK_REVIEW_TOKEN`): `Authorization: Bearer <token>`, or for the page and its images HTTP
Basic with the token as password (any user name), so a browser can open them; without the
setting they are not served (404). The page hides, shows again and deletes records through POST
forms that carry a field derived from the token (`form_token`), which another site cannot forge.

The page lists every record, newest first, `?limit=` a page (60; at most 500), with Newer and
Older links whose `?after=` / `?before=` cursors are internal ids hidden and signed with a key
derived from the token (`encode_cursor`), so they neither show nor order the sequential ids.
`?wrong=1` keeps only what the model read wrong; `?hidden=0` leaves hidden records out (they
are listed, faded, by default). Both are kept across pages; a parameter it cannot use is 400.
Times are shown in UTC and say so.
"""

from __future__ import annotations

import base64
import binascii
import functools
import hashlib
import hmac
import logging
import time
from dataclasses import dataclass
from datetime import UTC, datetime

import bounded
import preprocessing
import reading
import sqlalchemy as sa
from api import MISSING, APIError, field_names, json_object, json_type, require_json
from feedback import (
    NOT_A_DIGIT,
    Correction,
    DeadlinePassed,
    FeedbackError,
    FeedbackStore,
    Page,
    StoreFull,
    default_url,
)
from flask import (
    Blueprint,
    Response,
    current_app,
    g,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_limiter import Limiter, RateLimitExceeded
from flask_limiter.util import get_remote_address

__all__ = ["FeedbackError", "bp", "init_app"]

logger = logging.getLogger(__name__)

bp = Blueprint("feedback", __name__)

EXAMPLE = '{"image": "data:image/png;base64,...", "label": 4}'
REVIEW_LIMIT = 60  # records on a review page unless ?limit= says otherwise
REVIEW_MAX = 500  # ... and at most
CURSOR_BYTES = 8  # an internal id, and as many bytes of HMAC to hide and check it
NOT_A_DIGIT_NAME = "not_a_digit"
REALM = "corrections"
UNAVAILABLE = "The feedback database is unavailable; please try again later."

DEFAULTS = {
    "FEEDBACK_TIMEOUT": 3.0,  # seconds one correction or review may wait on the database
    # Threads per process that may wait on the database at once: fewer than the server's threads
    # per worker, so that predictions always have one while the database hangs.
    "FEEDBACK_THREADS": 1,
    "FEEDBACK_RETRY_AFTER": 5,  # seconds, sent in Retry-After with a 503
    "FEEDBACK_RATE_LIMIT": "20 per minute;500 per day",  # per client address
    "RATELIMIT_STORAGE_URI": "memory://",  # or redis://host:port, shared by every worker
    "FEEDBACK_MAX_RECORDS": 50_000,  # corrections kept at most (hidden ones count); None: no cap
    "REVIEW_TOKEN": None,  # the review routes' credential; unset: they are not served
}
# A healthy database frees a storage thread within milliseconds: while the call holding one is
# younger than this, a correction waits for it (a burst is served); once it is older, or after
# a call that took longer, the database is taken to hang and corrections are refused at once.
SLOT_WAIT = 0.5  # seconds
# The database's own bounds (busy, statement, lock, pool timeouts) take this share of
# FEEDBACK_TIMEOUT, so they end a slow call and free its thread before the request gives up on
# it; the wait on the thread is the backstop for a server that never answers at all.
STORE_SHARE = 0.75
# A Redis that does not answer delays a correction this long at most, then limits fall back to
# each process's memory until it is back.
REDIS_OPTIONS = {"socket_connect_timeout": 0.5, "socket_timeout": 0.5}


def store() -> FeedbackStore:
    """The app's feedback store."""
    return current_app.extensions["feedback_store"]


def stored(function, *args):
    """A store call, run on one of the few storage threads and waited for within the timeout."""
    return current_app.extensions["feedback_calls"].run(function, *args)


def unavailable(message: str):
    """503 with Retry-After: the database cannot serve this now."""
    response = jsonify({"error": message})
    response.headers["Retry-After"] = str(int(current_app.config["FEEDBACK_RETRY_AFTER"]))
    return response, 503


@bp.errorhandler(bounded.Unavailable)
def storage_too_slow(exc: bounded.Unavailable):
    """The database did not answer in time, or every storage thread is waiting on it."""
    logger.warning("feedback database too slow: %s", exc)
    return unavailable(UNAVAILABLE)


@bp.errorhandler(sa.exc.DBAPIError)
@bp.errorhandler(sa.exc.TimeoutError)
@bp.errorhandler(DeadlinePassed)
def database_unavailable(exc):
    """The database is down, unreachable, locked or corrupt: 503, and the server keeps going."""
    logger.error("feedback database unavailable: %s", exc)
    return unavailable(UNAVAILABLE)


@bp.errorhandler(StoreFull)
def store_full(exc: StoreFull):
    """The storage cap is reached: 507 until records are deleted or the cap is raised."""
    logger.warning("feedback store full: %s", exc)
    message = f"{exc} No more are taken until some are deleted or FEEDBACK_MAX_RECORDS is raised."
    return jsonify({"error": message}), 507


@bp.errorhandler(RateLimitExceeded)
def too_many(exc: RateLimitExceeded):
    """429 with Retry-After: this client sent more corrections than FEEDBACK_RATE_LIMIT allows."""
    current = current_app.extensions["feedback_limiter"].current_limit
    # reset_at is already rounded up to the next whole second, as flask-limiter's own header is.
    wait = max(1, int(current.reset_at - time.time())) if current else 60
    message = (
        f"Expected at most {exc.description} corrections from one address; "
        f"received more. Try again in {wait} s."
    )
    response = jsonify({"error": message})
    response.headers["Retry-After"] = str(wait)
    return response, 429


def label_field(payload: dict, name: str) -> int:
    """A required label from the request body: a digit 0-9, or "not_a_digit" (NOT_A_DIGIT)."""
    value = payload.get(name, MISSING)
    expected = f'a digit 0-9 or "{NOT_A_DIGIT_NAME}"'
    if value is MISSING:
        received = f"received fields {field_names(payload)}"
        raise APIError(400, f"Expected field '{name}', {expected}; {received}.")
    if value == NOT_A_DIGIT_NAME:
        return NOT_A_DIGIT
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 9:
        if type(value) in (int, float):
            shown = value
        elif isinstance(value, str):
            shown = f"the string {value[:20]!r}"
        else:
            shown = f"a JSON {json_type(value)}"
        raise APIError(400, f"Expected field '{name}' to be {expected}; received {shown}.")
    return value


def label_name(label: int) -> int | str:
    """A stored label as the API spells it."""
    return NOT_A_DIGIT_NAME if label == NOT_A_DIGIT else label


def model_version(card: dict) -> str:
    """The serving model as the card names it: architecture and the model file's hash."""
    sha256 = card.get("file", {}).get("sha256", "")
    return f"{card.get('architecture', 'model')}-{sha256[:16]}"


def drawing_from(payload: dict):
    """The decoded image in the body's field 'image' (a data URL); 400 when there is none."""
    image_text = payload.get("image", MISSING)
    if not isinstance(image_text, str):
        received = "none" if image_text is MISSING else f"a JSON {json_type(image_text)}"
        expected = "Expected field 'image', the drawing as a PNG data URL"
        raise APIError(400, f"{expected}; received {received}.")
    return preprocessing.decode(preprocessing.decode_data_url(image_text))


def read_correction(image, label: int) -> Correction:
    """The drawing read by the serving model, as a correction to store."""
    try:
        coverage = preprocessing.ink(image)
        field = preprocessing.normalise_ink(coverage)
    except preprocessing.NothingDrawn as exc:
        raise APIError(400, f"{exc} There is nothing to learn from a blank drawing.") from exc
    service = current_app.extensions["digit_model"]
    read = reading.read_ink(coverage, service.classify, service.policy)
    predicted = NOT_A_DIGIT if read.reading == "not_a_digit" else read.whole.digit
    return Correction(
        label=label,
        predicted=predicted,
        probabilities=read.whole.probabilities,
        model_version=model_version(service.describe()),
        drawing=coverage,
        field=field,
    )


@bp.post("/api/feedback")
def add_feedback():
    require_json("with the drawing and the digit drawn")
    payload = json_object(EXAMPLE)
    image = drawing_from(payload)
    correction = read_correction(image, label_field(payload, "label"))
    deadline = time.monotonic() + current_app.extensions["feedback_calls"].timeout
    public_id = stored(store().add, correction, deadline)
    logger.info(
        "feedback %s stored: drawn %d, model said %d",
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
    response.headers["Location"] = url_for("feedback.image", public_id=public_id)
    return response, 201


# --- review: needs REVIEW_TOKEN ---------------------------------------------------------------


def review_token() -> str | None:
    """The configured review credential, or None when review is not served."""
    token = current_app.config["REVIEW_TOKEN"]
    return None if token is None or token == "" else str(token)


def form_token(token: str) -> str:
    """The value the review page's forms carry: derived from the token, unguessable without it."""
    return hmac.new(token.encode(), b"feedback review form", hashlib.sha256).hexdigest()


class Challenge(APIError):
    """401, with the challenge a client (or, for the page, a browser) answers."""

    def __init__(self, basic: bool) -> None:
        bearer = "'Authorization: Bearer <token>'"
        accepted = f"{bearer} or HTTP Basic with the token as password" if basic else bearer
        super().__init__(401, f"Expected the review token as {accepted}.")
        self.scheme = "Basic" if basic else "Bearer"


@bp.errorhandler(Challenge)
def challenge(exc: Challenge):
    """The 401 as JSON, with WWW-Authenticate."""
    response = jsonify({"error": exc.message})
    response.headers["WWW-Authenticate"] = f'{exc.scheme} realm="{REALM}", charset="UTF-8"'
    return response, 401


def authenticate(basic: bool) -> str:
    """How the request proved it holds REVIEW_TOKEN ("bearer" or "basic"); else 401 or 404."""
    token = review_token()
    if token is None:
        raise APIError(404, "The review of corrections is not served here.")
    auth = request.authorization
    given = None
    if auth is not None and auth.type == "bearer":
        given = auth.token
    elif auth is not None and auth.type == "basic" and basic:
        given = auth.password
    if given is None or not hmac.compare_digest(given.encode(), token.encode()):
        raise Challenge(basic)
    return auth.type


def review_only(basic: bool):
    """A view only the holder of REVIEW_TOKEN may use; `basic`: HTTP Basic is taken too."""

    def decorate(view):
        @functools.wraps(view)
        def guarded(**kwargs):
            g.review_by = authenticate(basic)
            return view(**kwargs)

        return guarded

    return decorate


@bp.get("/api/feedback/stats")
@review_only(basic=False)
def stats():
    return jsonify(stored(store().stats))


@bp.get("/api/feedback/<public_id>/image.png")
@review_only(basic=True)
def image(public_id: str):
    data = stored(store().image, public_id)
    if data is None:
        raise APIError(404, f"No correction {public_id}.")
    return Response(data, mimetype="image/png")


@bp.get("/api/feedback/<public_id>/field.png")
@review_only(basic=True)
def field(public_id: str):
    normalised = stored(store().field, public_id)
    if normalised is None:
        raise APIError(404, f"No correction {public_id}.")
    return Response(preprocessing.to_png(normalised), mimetype="image/png")


def cursor_key(token: str) -> bytes:
    """The key the review page's paging cursors are made with: derived from the token."""
    return hmac.new(token.encode(), b"feedback review cursor", hashlib.sha256).digest()


def _keyed(key: bytes, purpose: bytes, data: bytes) -> bytes:
    return hmac.new(key, purpose + data, hashlib.sha256).digest()[:CURSOR_BYTES]


def encode_cursor(record_id: int, key: bytes) -> str:
    """An internal id as an opaque cursor for a paging link: it neither shows nor orders ids.

    A synthetic-IV scheme: the id's own HMAC is the nonce that picks the pad it is hidden
    with, so a cursor is short, the same for the same record, and checked when read back.
    """
    plain = record_id.to_bytes(CURSOR_BYTES, "big")
    nonce = _keyed(key, b"nonce", plain)
    hidden = bytes(a ^ b for a, b in zip(plain, _keyed(key, b"pad", nonce), strict=True))
    return base64.urlsafe_b64encode(nonce + hidden).rstrip(b"=").decode()


def decode_cursor(text: str, key: bytes) -> int | None:
    """The internal id in a cursor made by `encode_cursor` with `key`; None for any other text."""
    try:
        raw = base64.urlsafe_b64decode(text.encode("ascii") + b"==")
    except (UnicodeEncodeError, binascii.Error, ValueError):
        return None
    if len(raw) != 2 * CURSOR_BYTES:
        return None
    nonce, hidden = raw[:CURSOR_BYTES], raw[CURSOR_BYTES:]
    plain = bytes(a ^ b for a, b in zip(hidden, _keyed(key, b"pad", nonce), strict=True))
    if not hmac.compare_digest(nonce, _keyed(key, b"nonce", plain)):
        return None
    return int.from_bytes(plain, "big")


@dataclass(frozen=True)
class ReviewQuery:
    """What the review page was asked to show: `?before=` or `?after=`, `limit`, the filters."""

    limit: int = REVIEW_LIMIT
    before: int | None = None
    after: int | None = None
    wrong: bool = False  # only records the model read wrong
    hidden: bool = True  # hidden records listed too (faded), as the page always did

    def filters(self) -> dict:
        """The query's filters and page size as link parameters (only those not the default)."""
        return (
            ({"limit": self.limit} if self.limit != REVIEW_LIMIT else {})
            | ({"wrong": 1} if self.wrong else {})
            | ({} if self.hidden else {"hidden": 0})
        )


def _flag(args, name: str, default: bool) -> bool:
    """A 0/1 query parameter; 400 for anything else."""
    value = args.get(name)
    if value is None or value == "":
        return default
    if value not in ("0", "1"):
        raise APIError(400, f"Expected ?{name}= to be 0 or 1; received {value[:20]!r}.")
    return value == "1"


def review_query(args, key: bytes) -> ReviewQuery:
    """The review page's query parameters, checked; 400 for any that cannot be used."""
    text = args.get("limit", "")
    if text and not (text.isascii() and text.isdigit()):
        raise APIError(
            400, f"Expected ?limit= to be a whole number 1-{REVIEW_MAX}; received {text[:20]!r}."
        )
    # Beyond REVIEW_MAX a page is REVIEW_MAX long, as it always was; no huge number is parsed.
    asked = (int(text) if len(text) <= 12 else REVIEW_MAX) if text else REVIEW_LIMIT
    limit = max(1, min(asked, REVIEW_MAX))
    cursors = {}
    for name in ("before", "after"):
        value = args.get(name)
        if value is None:
            continue
        cursors[name] = decode_cursor(value, key)
        if cursors[name] is None:
            raise APIError(
                400,
                f"Expected ?{name}= to be a cursor from the review page's own links; received "
                f"{value[:40]!r}, which is not one (or was made with another REVIEW_TOKEN).",
            )
    if len(cursors) == 2:
        raise APIError(400, "Expected ?before= or ?after=, not both; received both.")
    return ReviewQuery(
        limit, wrong=_flag(args, "wrong", False), hidden=_flag(args, "hidden", True), **cursors
    )


def _page_data(feedback: FeedbackStore, query: ReviewQuery) -> tuple[Page, dict, int]:
    """The review page's records, statistics and count of hidden ones, in one storage call."""
    page = feedback.page(
        query.limit,
        before=query.before,
        after=query.after,
        wrong_only=query.wrong,
        include_hidden=query.hidden,
    )
    return page, feedback.stats(), feedback.count(hidden=True)


def page_links(page: Page, query: ReviewQuery, key: bytes) -> dict:
    """The review page's links: paging (None where there is no such page) and filter toggles."""
    filters = query.filters()

    def review_url(**params) -> str:
        return url_for("feedback.review", **params)

    newest = review_url(**filters)
    return {
        "newest": newest if page.has_newer else None,
        "newer": review_url(**filters, after=encode_cursor(page.records[0]["id"], key))
        if page.has_newer and page.records
        else None,
        "older": review_url(**filters, before=encode_cursor(page.records[-1]["id"], key))
        if page.has_older and page.records
        else None,
        # A filter changes which records count, so a toggle starts again from the newest.
        "answers": [
            ("All answers", review_url(**without(filters, "wrong")), not query.wrong),
            ("Wrong only", review_url(**(filters | {"wrong": 1})), query.wrong),
        ],
        "hidden": [
            ("Hidden listed", review_url(**without(filters, "hidden")), query.hidden),
            ("Hidden left out", review_url(**(filters | {"hidden": 0})), not query.hidden),
        ],
        "here": query_params(query, key),  # where a moderation button returns to
    }


def without(params: dict, name: str) -> dict:
    """Link parameters less one."""
    return {key: value for key, value in params.items() if key != name}


def query_params(query: ReviewQuery, key: bytes) -> dict:
    """The link parameters that show this very page again."""
    cursors = {"before": query.before, "after": query.after}
    return query.filters() | {
        name: encode_cursor(value, key) for name, value in cursors.items() if value is not None
    }


@bp.app_template_filter("utc_iso")
def utc_iso(moment: datetime) -> str:
    """A time as ISO 8601 in UTC, for <time datetime>: 2026-12-01T10:31:05Z."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@bp.app_template_filter("utc_text")
def utc_text(moment: datetime) -> str:
    """A time as a reader sees it, with its zone: 2026-12-01 10:31 UTC."""
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


@bp.get("/feedback")
@review_only(basic=True)
def review():
    key = cursor_key(review_token())
    query = review_query(request.args, key)
    page, counts, hidden = stored(_page_data, store(), query)
    return render_template(
        "feedback.html",
        page=page,
        query=query,
        links=page_links(page, query, key),
        stats=counts,
        hidden=hidden,
        form_token=form_token(review_token()),
    )


ACTIONS = {"hide": "hidden", "show": "shown again", "delete": "deleted"}


@bp.post("/feedback/<public_id>")
@review_only(basic=True)
def moderate(public_id: str):
    """Hide, show again or delete one record (the review page's buttons)."""
    sent = request.form.get("form_token", "")
    if g.review_by == "basic" and not hmac.compare_digest(sent, form_token(review_token())):
        raise APIError(403, "Expected the review page's form token; received none that matches.")
    key = cursor_key(review_token())
    back = review_query(request.args, key)  # the page the button was on, checked before acting
    action = request.form.get("action", "")
    if action not in ACTIONS:
        raise APIError(400, f"Expected action {', '.join(ACTIONS)}; received {action[:20]!r}.")
    if action == "delete":
        found = stored(store().delete, public_id)
    else:
        found = stored(store().set_hidden, public_id, action == "hide")
    if not found:
        raise APIError(404, f"No correction {public_id}.")
    by = request.remote_addr
    logger.info("feedback %s %s by a reviewer at %s", public_id, ACTIONS[action], by)
    if g.review_by == "basic":
        return redirect(url_for("feedback.review", **query_params(back, key)), 303)
    return jsonify({"id": public_id, "action": action})


# --- set-up -----------------------------------------------------------------------------------


def rate_limiter(app) -> Limiter:
    """FEEDBACK_RATE_LIMIT on corrections, per client address, counted in RATELIMIT_STORAGE_URI."""
    uri = app.config["RATELIMIT_STORAGE_URI"]
    limiter = Limiter(
        get_remote_address,
        default_limits=[lambda: current_app.config["FEEDBACK_RATE_LIMIT"]],
        # Only corrections are limited, never predictions or the review.
        default_limits_exempt_when=lambda: request.endpoint != "feedback.add_feedback",
        storage_uri=uri,
        storage_options=REDIS_OPTIONS if uri.startswith(("redis", "rediss")) else {},
        in_memory_fallback_enabled=True,
        key_prefix="digits-feedback",
    )
    limiter.init_app(app)
    return limiter


def init_app(app) -> None:
    """Settings' defaults, the store DATABASE_URL names (opened lazily), limits, the routes."""
    for name, value in DEFAULTS.items():
        app.config.setdefault(name, value)
    url = app.config["DATABASE_URL"] or default_url(app.instance_path)
    timeout = float(app.config["FEEDBACK_TIMEOUT"])
    cap = app.config["FEEDBACK_MAX_RECORDS"]
    try:
        app.extensions["feedback_store"] = FeedbackStore(
            url, timeout=timeout * STORE_SHARE, max_records=None if cap is None else int(cap)
        )
    except FeedbackError as exc:
        raise FeedbackError(f"DATABASE_URL: {exc}") from exc
    threads = int(app.config["FEEDBACK_THREADS"])
    app.extensions["feedback_calls"] = bounded.BoundedCalls(
        threads, timeout, slot_wait=SLOT_WAIT, name="storage"
    )
    app.extensions["feedback_limiter"] = rate_limiter(app)
    app.register_blueprint(bp)
