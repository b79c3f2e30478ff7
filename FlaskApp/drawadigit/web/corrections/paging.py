"""Paging the review page: its query parameters, checked, and its links, with opaque cursors.

The page lists every record, newest first, `?limit=` a page (60; at most 500), with Newer and
Older links whose `?after=` / `?before=` cursors are internal ids hidden and signed with a key
derived from the token (`encode_cursor`), so they neither show nor order the sequential ids.
`?wrong=1` keeps only what the model read wrong; `?hidden=0` leaves hidden records out (they
are listed, faded, by default). Both are kept across pages; a parameter it cannot use is 400.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from dataclasses import dataclass

from flask import url_for

from drawadigit.corrections.listing import Page
from drawadigit.web.api import APIError

REVIEW_LIMIT = 60  # records on a review page unless ?limit= says otherwise
REVIEW_MAX = 500  # ... and at most
CURSOR_BYTES = 8  # an internal id, and as many bytes of HMAC to hide and check it


def cursor_key(token: str) -> bytes:
    """The key the review page's paging cursors are made with: derived from the token."""
    # The label stays as it was, so the links handed out before an update still page.
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


def page_links(page: Page, query: ReviewQuery, key: bytes) -> dict:
    """The review page's links: paging (None where there is no such page) and filter toggles."""
    filters = query.filters()

    def review_url(**params) -> str:
        return url_for("review.page", **params)

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
