"""Helper programs for people and the tests, run as `python -m scripts.NAME`.

`screenshot` (the README's screenshots), `throwaway_postgres` and `sqlite_locker` (for the tests
and `benchmarks.abuse`), `hostile_images` (hostile uploads for both).
"""
