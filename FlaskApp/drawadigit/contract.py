"""The model contract: what the model reads, what it answers, and how an answer names it.

The one place these facts are written; the reading, the model, training, the data, the
evaluation, the corrections and the page (through its template) take them from here.

- The model reads fields: float32 arrays of SIZE x SIZE (28x28, PIXELS values) in [0, 1], ink
  high, normalised the MNIST way (`reading.preprocessing`).
- It answers NUM_CLASSES probabilities: the DIGITS digits 0-9, then, for a model that
  refuses, the class NOT_A_DIGIT (10). A model of DIGITS classes never refuses.
- A reading is one of READINGS: DIGIT, NUMBER, or NOT_A_DIGIT_NAME when nothing is read; a
  refused reading gives one of REASONS. A correction names the class NOT_A_DIGIT by
  NOT_A_DIGIT_NAME too.

Nothing here imports anything: any module may import it.
"""

SIZE = 28  # a field's side, in pixels
PIXELS = SIZE * SIZE  # a field's values, as a flat model input takes them

DIGITS = 10  # the digits 0-9, the first classes
NOT_A_DIGIT = DIGITS  # the class (and a correction's label) of a drawing that is no digit
NUM_CLASSES = DIGITS + 1  # the classes of a model that refuses

NOT_A_DIGIT_NAME = "not_a_digit"  # how an answer and a correction spell NOT_A_DIGIT

# What a drawing reads as (an answer's "reading").
DIGIT = "digit"  # one digit
NUMBER = "number"  # digits, and the separators between them, left to right
READINGS = (DIGIT, NUMBER, NOT_A_DIGIT_NAME)  # the last: nothing read
# Why nothing was read (an answer's "reason").
TOO_SMALL = "too_small"  # a mark too small to be a digit
REASONS = (TOO_SMALL, NOT_A_DIGIT_NAME)  # the last: refused by the model or the number's rules
