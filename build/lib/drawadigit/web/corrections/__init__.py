"""People's submit, wired into the app: the API (`corrections`), its review (`review`,
`review_access`, `review_paging`) and its bounds (`rate_limit`, `bounded`).

Corrections are bounded: per client address, FEEDBACK_RATE_LIMIT answers 429; beyond
FEEDBACK_MAX_RECORDS stored, 507. Every database call runs through `bounded.BoundedCalls`: at
most FEEDBACK_THREADS threads per process wait on the database, a request no longer than
FEEDBACK_TIMEOUT seconds (plus SLOT_WAIT for a thread while the database looks healthy); a
correction or review the database cannot serve in that time gets 503 with `Retry-After`
(FEEDBACK_RETRY_AFTER) and the server goes on predicting.
"""

from __future__ import annotations

from flask import Flask
from flask_limiter import RateLimitExceeded

from drawadigit.corrections.store import FeedbackError, FeedbackStore
from drawadigit.settings import Settings
from drawadigit.web import errors
from drawadigit.web.corrections import bounded, rate_limit, review, submit

__all__ = ["FeedbackError", "init_app"]

# A healthy database frees a storage thread within milliseconds: while the call holding one is
# younger than this, a correction waits for it (a burst is served); once it is older, or after
# a call that took longer, the database is taken to hang and corrections are refused at once.
SLOT_WAIT = 0.5  # seconds
# The database's own bounds (busy, statement, lock, pool timeouts) take this share of
# FEEDBACK_TIMEOUT, so they end a slow call and free its thread before the request gives up on
# it; the wait on the thread is the backstop for a server that never answers at all.
STORE_SHARE = 0.75


def open_store(settings: Settings) -> FeedbackStore:
    """The store DATABASE_URL names (opened lazily); FeedbackError naming the setting."""
    try:
        return FeedbackStore(
            settings.database_url,
            timeout=settings.feedback_timeout * STORE_SHARE,
            max_records=settings.feedback_max_records,
        )
    except FeedbackError as exc:
        raise FeedbackError(f"DATABASE_URL: {exc}") from exc


def init_app(app: Flask, settings: Settings) -> None:
    """The store, the storage threads, the rate limit, the routes and how their errors are
    answered."""
    app.extensions["feedback_store"] = open_store(settings)
    app.extensions["feedback_calls"] = bounded.BoundedCalls(
        settings.feedback_threads, settings.feedback_timeout, slot_wait=SLOT_WAIT, name="storage"
    )
    app.extensions["feedback_limiter"] = rate_limit.rate_limiter(app, settings)
    errors.register(app, {**submit.STORAGE_ERRORS, RateLimitExceeded: rate_limit.too_many})
    review.init_app(app)
    app.register_blueprint(submit.bp)
