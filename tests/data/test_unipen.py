"""Real pen writing: reading the UNIPEN share's format, the writers held out of training, the
evaluation on them, and pen samples answered through /predict.

A user's clone has no share, so these tests write small files in its format themselves (`share`);
`.ci/run` evaluates on a sample of the real share as a step of its own.
"""

from __future__ import annotations

import gzip
import json

import numpy as np
import pytest

from drawadigit import evaluation, reading
from drawadigit.data import sketches, unipen
from drawadigit.evaluation import real_numbers, real_pen
from drawadigit.training import pen_writing
from tests.support import assert_json_answer, data_url

UNITS = 20.0  # tablet units per mm of the written samples


def writer_in(split: str, prefix: str = "tst") -> str:
    """A writer id whose fixed share is `split`."""
    return next(f"{prefix}/w{i}" for i in range(1000) if unipen.split_of(f"{prefix}/w{i}") == split)


def in_units(strokes, height_mm: float = 6.0, left_mm: float = 0.0) -> list:
    """Strokes drawn in a unit square (x right, y down) as tablet units, `height_mm` tall."""
    scale = height_mm * UNITS
    return [
        [[round((left_mm * UNITS) + x * scale), round(y * scale)] for x, y in s] for s in strokes
    ]


SEVEN = sketches.SKETCHES[(7, "plain")]
ONE = sketches.SKETCHES[(1, "stroke")]
LETTER_X = [[(0.1, 0.0), (0.9, 1.0)], [(0.9, 0.0), (0.1, 1.0)]]
LETTER_H = [[(0.1, 0.0), (0.1, 1.0)], [(0.9, 0.0), (0.9, 1.0)], [(0.1, 0.5), (0.9, 0.5)]]
HASH = [
    [(0.35, 0.0), (0.25, 1.0)],
    [(0.75, 0.0), (0.65, 1.0)],
    [(0.0, 0.33), (1.0, 0.33)],
    [(0.0, 0.66), (1.0, 0.66)],
]


def line(label: str, writer: str, strokes, scale: float | None = UNITS) -> str:
    """One line of a share file."""
    row = {
        "label": label,
        "writer": writer,
        "contributor": writer.split("/")[0],
        "strokes": strokes,
    }
    if scale is not None:
        row["units_per_mm"] = [scale, scale]
    return json.dumps(row)


def write(folder, kind: str, lines: list[str]) -> None:
    with gzip.open(folder / unipen.KINDS[kind], "wt", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")


@pytest.fixture
def share(tmp_path):
    """A small share: the same few glyphs by writers of every split."""
    writers = {split: writer_in(split) for split in ("train", "validation", "test")}
    digits, letters, symbols, words = [], [], [], []
    for split, writer in writers.items():
        for _ in range(3):
            digits += [line("7", writer, in_units(SEVEN)), line("1", writer, in_units(ONE))]
            letters += [line("X", writer, in_units(LETTER_X), None)]
            letters += [line("o", writer, in_units([[(0.5, 0), (1, 0.5), (0.5, 1), (0, 0.5)]]))]
            symbols += [line("#", writer, in_units(HASH, 3.0))]
            word = in_units(LETTER_H) + in_units(LETTER_X, left_mm=7.0)
            words += [line("HX", writer, word)]
        if split == "test":  # a label only held-out writers wrote
            digits += [line("3", writer, in_units(sketches.SKETCHES[(3, "round")]))] * 4
    for kind, lines in (("digits", digits), ("letters", letters)):
        write(tmp_path, kind, lines)
    write(tmp_path, "symbols", symbols)
    write(tmp_path, "words", words)
    return tmp_path, writers


def test_reading_the_share_gives_samples_in_millimetres(share):
    folder, writers = share
    samples = unipen.load(folder, "digits")
    assert {s.label for s in samples} == {"1", "3", "7"}
    seven = samples[0]
    assert seven.writer == writers["train"] and seven.site == "tst" and seven.scaled
    x0, y0, x1, y1 = seven.box
    assert y1 - y0 == pytest.approx(
        6.0 * (max(y for _, y in SEVEN[0]) - min(y for _, y in SEVEN[0])), abs=0.1
    )
    letters = unipen.load(folder, "letters")
    assert not letters[0].scaled  # no units_per_mm: drawn as tall as a digit
    assert letters[0].box[3] - letters[0].box[1] == pytest.approx(unipen.DIGIT_HEIGHT_MM)


def test_y_is_scaled_by_its_own_resolution(tmp_path):
    row = {
        "label": "1",
        "writer": "aga/a",
        "units_per_mm": [10.0, 20.0],
        "strokes": [[[0, 0], [0, 100]]],
    }
    write(tmp_path, "digits", [json.dumps(row)])
    (sample,) = unipen.load(tmp_path, "digits")
    assert sample.box[3] - sample.box[1] == pytest.approx(5.0)  # 100 units at 20 per mm


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("not json", "not JSON"),
        ("[1, 2]", "expected a JSON object"),
        ('{"writer": "a/b", "strokes": [[[0, 0]]]}', "'label'"),
        ('{"label": "1", "strokes": [[[0, 0]]]}', "'writer'"),
        ('{"label": "1", "writer": "a/b", "strokes": []}', "'strokes'"),
        ('{"label": "1", "writer": "a/b", "strokes": [[[0, 0, 1]]]}', "stroke 0 is not"),
        ('{"label": "1", "writer": "a/b", "strokes": [[[0, "x"]]]}', "stroke 0 is not"),
        (
            '{"label": "1", "writer": "a/b", "strokes": [[[0, 0]]], "units_per_mm": [0, 1]}',
            "units_per_mm",
        ),
    ],
)
def test_a_bad_line_is_an_error_naming_the_file_and_the_line(tmp_path, text, says):
    good = line("7", "a/b", in_units(SEVEN))
    write(tmp_path, "digits", [good, good, text])
    with pytest.raises(unipen.UnipenError) as error:
        unipen.load(tmp_path, "digits")
    assert "digits.jsonl.gz, line 3:" in str(error.value) and says in str(error.value)


def test_a_missing_or_broken_file_says_what_to_set(tmp_path):
    with pytest.raises(unipen.UnipenError, match="UNIPEN_DIR"):
        unipen.load(tmp_path, "digits")
    (tmp_path / unipen.KINDS["digits"]).write_bytes(b"not gzip")
    with pytest.raises(unipen.UnipenError, match="not a readable gzipped"):
        unipen.load(tmp_path, "digits")


def test_writers_are_split_once_and_for_all_by_their_id():
    writers = [f"site{i % 7}/writer{i}" for i in range(2000)]
    splits = [unipen.split_of(w) for w in writers]
    assert splits == [unipen.split_of(w) for w in writers]  # the same every time
    share = {s: splits.count(s) / len(splits) for s in ("test", "validation", "train")}
    assert share["test"] == pytest.approx(unipen.TEST_SHARE, abs=0.04)
    assert share["validation"] == pytest.approx(unipen.VALIDATION_SHARE, abs=0.03)


def test_held_out_writers_never_reach_training(share, monkeypatch):
    folder, writers = share
    drawn: list[str] = []
    original = unipen.field

    def recording(sample, rng):
        drawn.append(sample.writer)
        return original(sample, rng)

    monkeypatch.setattr(unipen, "field", recording)
    monkeypatch.setattr(
        pen_writing.augment, "map_in_processes", lambda f, jobs, w: [f(j) for j in jobs]
    )
    pen = pen_writing.load(folder, seed=0, report=lambda _: None)
    assert writers["test"] not in drawn
    assert {writers["train"], writers["validation"]} <= set(drawn)
    # Only held-out writers wrote a 3: no 3 anywhere in what training learns from.
    assert 3 not in pen.train.y and 3 not in pen.validation.y
    assert set(pen.train.y) == {1, 7, 10}
    assert pen.record["train"]["digits"] == 6 and pen.record["train"]["letters"] == 3  # no "o"
    assert (
        len(pen.train.y)
        == pen_writing.DIGIT_RENDERS * 6
        + pen.record["train"]["letters"]
        + 3
        + pen.record["train"]["word_fields"]
    )
    assert pen.train.x.shape[1:] == (28, 28) and pen.train.x.max() == pytest.approx(1.0)


def test_a_symbol_beside_a_digit_keeps_both_real_sizes(share):
    folder, _ = share
    seven = unipen.load(folder, "digits")[0]
    hash_ = unipen.load(folder, "symbols")[0]
    both = unipen.beside([seven, hash_], [0.5])
    height = seven.box[3] - seven.box[1]
    assert both.label == "7#" and len(both.strokes) == len(seven.strokes) + len(hash_.strokes)
    moved = both.strokes[len(seven.strokes) :]
    xs = np.concatenate(moved)[:, 0]
    assert xs.min() == pytest.approx(seven.box[2] + 0.5 * height)
    assert np.ptp(np.concatenate(moved)[:, 1]) == pytest.approx(hash_.box[3] - hash_.box[1])


def test_drawings_are_made_as_the_page_makes_them(share):
    folder, _ = share
    rng = np.random.default_rng(0)
    for sample in unipen.load(folder, "digits")[:6]:
        d = unipen.drawing(sample, rng)
        image = unipen.as_image(d.png)
        assert image.format == "PNG" and d.style in sketches.STYLES
        assert unipen.PEN_PX[0] <= d.pen <= unipen.PEN_PX[1]
        assert all(unipen.CANVAS_PX[0] <= side <= unipen.CANVAS_PX[1] for side in d.canvas)
        assert image.width <= d.canvas[0] and image.height <= d.canvas[1]


def test_writers_weigh_evenly():
    hits = [("a", True)] * 9 + [("a", False)] + [("b", False)]
    assert real_pen.per_writer(hits) == pytest.approx((0.9 + 0.0) / 2)
    assert real_pen.per_writer([]) is None


def refusing_everything(png: bytes, strokes=None):
    return reading.read_bytes(
        png, lambda f: np.tile([0.05] * 10 + [0.5], (len(f), 1)), reading.Policy()
    )


def test_the_pen_evaluation_reads_only_held_out_writers(share):
    folder, writers = share
    scores = real_pen.pen_scores(refusing_everything, folder, n=50)
    digits = scores["digits_read_right"]
    assert digits["n"] == 3 * 2 + 4 and digits["writers"] == 1  # the test writer's only
    # The stand-in refuses everything at 0.5.
    assert scores["digits_wrongly_refused"]["rate"] == 1.0
    assert scores["letters_refused"]["n"] == 3  # X only: "o" is a lookalike
    assert scores["all_letters_refused"]["n"] == 6
    assert scores["symbols_refused"]["rate"] == 1.0 and scores["words_refused"]["n"] == 3
    assert {"digits", "negatives"} == set(scores["worst"])
    figure = real_pen.pen_figure(scores["worst"])
    assert len(figure.axes) == 32


def refusing_the_png_alone(png: bytes, strokes=None):
    """Refuses every drawing sent alone; with its strokes, reads each as a sure 7."""
    if strokes is None:
        return refusing_everything(png)
    assert strokes and all(len(s) and np.asarray(s).shape[1] >= 2 for s in strokes)
    sure_seven = np.eye(11)[7] * 0.99 + 0.001
    return reading.read_bytes(
        png, lambda f: np.tile(sure_seven, (len(f), 1)), reading.Policy(), strokes
    )


def test_the_pen_evaluation_reads_each_drawing_with_its_strokes_too(share, capsys):
    folder, _ = share
    scores = real_pen.pen_scores(refusing_the_png_alone, folder, n=50)
    assert scores["digits_wrongly_refused"]["rate"] == 1.0  # from the PNG alone
    strokes = scores["with_strokes"]
    assert strokes["digits_wrongly_refused"] == 0.0 and strokes["letters_refused"] == 0.0
    assert strokes["digits_read_right"] == 0.3  # the test writer's 7s: 3 of its 10 digits
    real_pen.report_pen(print, scores, folder)
    assert "1.0000 / 0.0000" in capsys.readouterr().out


def test_the_validation_writers_are_read_apart_from_the_quoted_ones(share, capsys):
    folder, writers = share
    scores = real_pen.pen_scores(refusing_everything, folder, n=50, writers="validation")
    assert scores["digits_read_right"]["n"] == 3 * 2  # the validation writer's: no 3s
    assert "'validation'" in scores["held_out"]
    numbers = [line("7", writers[split], in_units(SEVEN)) for split in writers]
    samples = [unipen.parse(text, "numbers", i + 1) for i, text in enumerate(numbers)]
    assert [s.writer for s in real_numbers._of(samples, "validation")] == [writers["validation"]]
    assert [s.writer for s in real_numbers._of(samples, "test")] == [
        writers["train"],
        writers["test"],
    ]
    assert evaluation.main(["--writers", "validation", "--unipen-dir", str(folder)]) == 2
    assert "goes with --pen-only" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("label", "strokes", "beside"),
    [
        ("7", SEVEN, None),
        ("1", ONE, None),
        ("X", LETTER_X, None),
        ("H", LETTER_H, None),
        ("#", HASH, SEVEN),
    ],
)
def test_pen_samples_are_answered_through_predict(shipped_client, label, strokes, beside):
    rng = np.random.default_rng(3)
    writer = writer_in("test")
    size = 3.0 if beside else 6.0
    sample = unipen.parse(line(label, writer, in_units(strokes, size)), "pen", 1)
    if beside:
        digit = unipen.parse(line("7", writer, in_units(beside)), "pen", 1)
        sample = unipen.beside([digit, sample], [0.4])
    for _ in range(4):
        d = unipen.drawing(sample, rng)
        body = assert_json_answer(shipped_client.post("/predict", json={"image": data_url(d.png)}))
        if label.isdigit():
            assert (body["reading"], body["number"]) == ("digit", label), d
        else:
            assert body["reading"] == "not_a_digit", (label, body["number"])
