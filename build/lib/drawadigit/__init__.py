"""Draw a digit: read what a person drew on a canvas (a digit, a number, or no digit at all).

One subpackage per concern (docs/architecture.md draws them):

- `web`: the Flask app (`create_app`), its views, the one error path, request and response
  handling, security headers, the waitress worker; `web.corrections` is the corrections' web side.
- `corrections`: the store of corrections, its schema, database and command line (no Flask).
- `reading`: image bytes (and the page's strokes) to what was drawn, without Flask or TensorFlow.
- `model`: the model of a server process, model files and their card, LiteRT and TensorFlow.
- `training`: the networks, their recipes, what they learn from and the training run.
- `data`: MNIST, the UNIPEN pen share, augmentation, the negatives and the strokes drawn for them.
- `evaluation`: what a model file reads right, printed and drawn.

`settings` holds every setting, read once from the environment; `files` the atomic writes and
file locks that several subpackages share.
"""
