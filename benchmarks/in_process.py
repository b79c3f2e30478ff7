"""The settings the in-process benchmarks give the app: the shipped model, and a model cache
and a corrections store of their own in `tmp` (no FlaskApp import here, so that a benchmark can
load another version's code first)."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def config(tmp: str) -> dict:
    """`create_app`'s configuration for an app that reads drawings and keeps nothing."""
    return {
        "MODEL_PATH": str(ROOT / "model.h5"),
        "TRAIN_IF_MISSING": False,
        "MODEL_CACHE_DIR": tmp,
        "DATABASE_URL": f"sqlite:///{tmp}/feedback.sqlite3",
    }
