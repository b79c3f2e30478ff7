"""The model behind the app: model files, their card and the runtimes that run them.

- `serving`: the model of a server process, loaded once (or trained on first run).
- `modelfile`: what a server needs to know of model files without importing TensorFlow: the
  contract, the card, validated snapshots.
- `lite`: inference with LiteRT; `lite_convert` converts a file for it in a process of its own.
- `tf_runtime`: everything that needs TensorFlow (load, check, run, save, convert), imported on
  first use, so a server worker on the default runtime never imports TensorFlow.
"""
