"""The app's correction store as the views reach it: through a few storage threads, its failures
answered as HTTP errors.

Every database call runs through `bounded.BoundedCalls` (`stored`); a database that cannot serve
in time, or at all, is a 503 with Retry-After (`STORAGE_ERRORS`), a full store a 507. Both
blueprints, the corrections API (`submit`) and the review (`review`), use this.
"""

from __future__ import annotations

import logging

import sqlalchemy as sa
from flask import current_app

from drawadigit.corrections.store import CorrectionStore, DeadlinePassed, StoreFull
from drawadigit.web.api import APIError, current_settings
from drawadigit.web.corrections import bounded

logger = logging.getLogger(__name__)

UNAVAILABLE = "The corrections database is unavailable; please try again later."


def store() -> CorrectionStore:
    """The app's correction store."""
    return current_app.extensions["corrections_store"]


def calls() -> bounded.BoundedCalls:
    """The app's storage threads, which every store call runs on."""
    return current_app.extensions["corrections_calls"]


def stored(function, *args):
    """A store call, run on one of the few storage threads and waited for within the timeout."""
    return calls().run(function, *args)


def unavailable(exc: Exception) -> APIError:
    """The database is down, unreachable, locked or corrupt, or too slow: 503 with Retry-After,
    and the server goes on predicting."""
    if isinstance(exc, bounded.Unavailable):  # it did not answer in time, or every thread waits
        logger.warning("corrections database too slow: %s", exc)
    else:
        logger.error("corrections database unavailable: %s", exc)
    retry_after = str(current_settings().feedback_retry_after)
    return APIError(503, UNAVAILABLE, headers={"Retry-After": retry_after})


def store_full(exc: StoreFull) -> APIError:
    """The storage cap is reached: 507 until records are deleted or the cap is raised."""
    logger.warning("correction store full: %s", exc)
    message = f"{exc} No more are taken until some are deleted or FEEDBACK_MAX_RECORDS is raised."
    return APIError(507, message)


# How the storage's failures are answered (`errors.register`).
STORAGE_ERRORS = {
    bounded.Unavailable: unavailable,
    sa.exc.DBAPIError: unavailable,
    sa.exc.TimeoutError: unavailable,
    DeadlinePassed: unavailable,
    StoreFull: store_full,
}
