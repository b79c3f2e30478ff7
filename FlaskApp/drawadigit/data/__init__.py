"""What the networks learn from and are measured on.

- `mnist`, `mnist_files`: the four gzipped MNIST IDX files, read, written, found, fetched, verified.
- `unipen`: real pen writing from the UNIPEN share (UNIPEN_DIR), read, split by writer and drawn
  as the page draws (`training.pen_writing` makes training fields of it).
- `augment`: training augmentation aimed at drawings.
- `negatives`, `letters`, `shapes`: what is not a digit, for class 10.
- `sketches`, `pen`: digits drawn from strokes of the project's own making; the one round pen.
"""
