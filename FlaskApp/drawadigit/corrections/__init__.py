"""People's corrections without Flask: what a person sends to say which digit they drew, stored
safely, bounded and counted, read back for the review, and handed to training.

The old word "feedback" stays only where it is public contract or stored data: the URLs
(`/api/feedback`, `/feedback`), the FEEDBACK_* environment variables and the settings fields
named after them, the training's `--with-feedback` flag (an alias of `--with-corrections`), the
model card's `feedback` keys, the database table `feedback`, the held-out split's hash salt, and
file names (`feedback.sqlite3`, the export's `exported/feedback/feedback-images-idx3-ubyte.gz`).

Vocabulary: a *correction* is what a person sends; the store (`store.CorrectionStore`) keeps
them; *review* is only what a reviewer does to stored corrections (list, hide, show again,
delete), at the routes of `drawadigit.web.corrections.review`.

Modules: `store` (the store, `Correction`, the held-out split), `schema` (the tables and their
migrations), `pictures` (what is kept of a drawing: only what was decoded, never
what a client sent), `database` (engines whose every wait is bounded, the SQLite file),
`listing` (counts, statistics, the review's pages) and `cli` (`python -m drawadigit.corrections
stats|export`, run by `__main__`). The store never imports `cli`, so a server worker does not
import the command line.
"""
