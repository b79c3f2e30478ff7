"""People's corrections, wired into the app: two blueprints, each registering its own routes,
and their bounds; `init_app` registers both.

The old word "feedback" stays only where it is public contract or a stored name: the URLs
(`/api/feedback`, `/feedback`), the FEEDBACK_* settings, the rate limit's Redis key prefix, and
the labels the review's form tokens and paging cursors are derived with.

Vocabulary: a *correction* is what a person sends; *review* is what a reviewer does to the
stored corrections.

Modules: `submit` (the corrections API, `POST /api/feedback`: blueprint "corrections"), `review`
(the review page, its images, statistics and buttons: blueprint "review"), `access` (who may
review), `paging` (the review page's queries and links), `storage` (the store as the views reach
it, and how its failures are answered), `rate_limit` and `bounded` (the bounds).

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

from drawadigit.corrections.store import CorrectionError, CorrectionStore
from drawadigit.settings import Settings
from drawadigit.web import errors
from drawadigit.web.corrections import bounded, rate_limit, review, storage, submit

# A healthy database frees a storage thread within milliseconds: while the call holding one is
# younger than this, a correction waits for it (a burst is served); once it is older, or after
# a call that took longer, the database is taken to hang and corrections are refused at once.
SLOT_WAIT = 0.5  # seconds
# The database's own bounds (busy, statement, lock, pool timeouts) take this share of
# FEEDBACK_TIMEOUT, so they end a slow call and free its thread before the request gives up on
# it; the wait on the thread is the backstop for a server that never answers at all.
STORE_SHARE = 0.75


def open_store(settings: Settings) -> CorrectionStore:
    """The store DATABASE_URL names (opened lazily); CorrectionError naming the setting."""
    try:
        return CorrectionStore(
            settings.database_url,
            timeout=settings.feedback_timeout * STORE_SHARE,
            max_records=settings.feedback_max_records,
        )
    except CorrectionError as exc:
        raise CorrectionError(f"DATABASE_URL: {exc}") from exc


def init_app(app: Flask, settings: Settings) -> None:
    """The store, the storage threads, the rate limit, both blueprints and how their errors are
    answered."""
    app.extensions["corrections_store"] = open_store(settings)
    app.extensions["corrections_calls"] = bounded.BoundedCalls(
        settings.feedback_threads, settings.feedback_timeout, slot_wait=SLOT_WAIT, name="storage"
    )
    app.extensions["corrections_limiter"] = rate_limit.rate_limiter(app, settings)
    errors.register(app, {**storage.STORAGE_ERRORS, RateLimitExceeded: rate_limit.too_many})
    app.register_blueprint(submit.bp)
    app.register_blueprint(review.bp)
