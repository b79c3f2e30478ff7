"""What the tests share, one module per concern; every name is importable from `support`.

- `support.servers`: where things are, free ports, real servers started and polled.
- `support.drawings`: canvas-style drawings (MNIST digits, pen strokes) and the seven.
- `support.datasets`: MNIST files: the test split's names, an unreachable mirror, hashes.
- `support.answers`: what every answer must be, property-test inputs, disk writes.
- `support.corrections`: corrections, the review token, the review page read back.
- `support.page`: the page in Chromium.
- `support.colours`: computed colours and their WCAG contrast.
"""

from . import answers, colours, corrections, datasets, drawings, page, servers

MODULES = (servers, drawings, datasets, answers, corrections, page, colours)

# `from support import X` for every public name of the modules above.
__all__ = [name for module in MODULES for name in module.__all__]
globals().update({name: getattr(module, name) for module in MODULES for name in module.__all__})
