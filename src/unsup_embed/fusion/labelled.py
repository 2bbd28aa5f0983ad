"""Labelled text for the fusion classifier, in the three layouts people have.

- fastText: `__label__pos a fine film` per line (fastText's `-label` prefix).
  A label token may stand anywhere in the line; the first one is the label,
  the others are dropped (a line is one example of one class here).
- TSV: `pos<TAB>a fine film` per line: the label, one tab, the text.
- one file per class: a directory whose files are the classes, or several
  files. Each line is one example; the class is the file's name, or the part
  after a stem they all share (`rt-polarity.pos`, `rt-polarity.neg` -> `pos`,
  `neg`).

`label_format="auto"` looks at the data: a directory or several files are one
file per class unless their lines carry `__label__`; a single file is fastText
if its first line carries `__label__`, TSV if it holds a tab, and otherwise
`LabelledError` says what was expected. Files are UTF-8; one that is not is
read as Latin-1 (every byte is a character there), with a warning, except
UTF-16 and UTF-32, which are refused with the command that converts them.

Left out on purpose: multi-label examples, CSV quoting, and header rows.
Reference: fastText's supervised input format (`fasttext.cc`, `-label`).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import LabelledError
from ..text.encodings import conversion_hint, wide_encoding
from .config import LABEL_FORMATS

logger = logging.getLogger(__name__)

FASTTEXT_PREFIX = "__label__"


@dataclass
class LabelledData:
    """Texts with integer labels; `label_names[label]` is the class name."""

    texts: list[str]
    labels: np.ndarray
    label_names: list[str]

    def __len__(self) -> int:
        return len(self.texts)

    def subset(self, indices) -> "LabelledData":
        return LabelledData([self.texts[i] for i in indices], self.labels[indices], self.label_names)


def read_labelled(
    paths: str | os.PathLike | Sequence[str | os.PathLike],
    label_format: str = "auto",
    label_names: Sequence[str] | None = None,
) -> LabelledData:
    """Read labelled examples; with `label_names` (a training set's), labels map onto those classes."""
    if label_format not in LABEL_FORMATS:
        raise LabelledError(f"label format must be one of {', '.join(LABEL_FORMATS)}, got {label_format!r}")
    files = _expand(paths)
    if label_format == "auto":
        label_format = _detect(files)
    if label_format == "per-class":
        pairs = _read_per_class(files)
    else:
        pairs = [pair for path in files for pair in _read_labelled_lines(path, label_format)]
    if not pairs:
        raise LabelledError(f"no labelled examples in {', '.join(str(path) for path in files)}")
    names = list(label_names) if label_names is not None else sorted({label for label, _ in pairs})
    if label_names is None and len(names) < 2:
        raise LabelledError(f"{', '.join(str(path) for path in files)} holds only the class {names[0]!r}; a classifier needs two or more")
    position = {name: i for i, name in enumerate(names)}
    unknown = sorted({label for label, _ in pairs} - set(position))
    if unknown:
        raise LabelledError(f"classes {', '.join(map(repr, unknown[:5]))} are not among the training classes {', '.join(map(repr, names))}")
    labels = np.array([position[label] for label, _ in pairs], dtype=np.int32)
    logger.info("read %s examples in %d classes (%s) as %s", f"{len(pairs):,}", len(names), ", ".join(names), label_format)
    return LabelledData([text for _, text in pairs], labels, names)


def split_validation(data: LabelledData, fraction: float, seed: int) -> tuple[LabelledData, LabelledData]:
    """A seeded random (training, validation) split holding out `fraction` of the examples."""
    if not 0.0 < fraction < 1.0:
        raise LabelledError(f"the validation share must be between 0 and 1, got {fraction}")
    order = np.random.default_rng(seed).permutation(len(data))
    held_out = max(1, round(len(data) * fraction))
    if held_out >= len(data):
        raise LabelledError(f"{len(data)} examples are too few to hold out {fraction:.0%} for validation")
    return data.subset(order[held_out:]), data.subset(order[:held_out])


def _expand(paths) -> list[Path]:
    items = [paths] if isinstance(paths, (str, os.PathLike)) else list(paths)
    files: list[Path] = []
    for item in map(Path, items):
        if item.is_dir():
            found = sorted(path for path in item.iterdir() if path.is_file() and not path.name.startswith("."))
            if not found:
                raise LabelledError(f"directory {str(item)!r} holds no files; expected one file per class")
            files += found
        elif item.is_file():
            files.append(item)
        else:
            raise LabelledError(f"labelled data {str(item)!r} does not exist")
    return files


def _detect(files: list[Path]) -> str:
    first = next((line for line in _lines(files[0]) if line.strip()), "")
    if FASTTEXT_PREFIX in first:
        return "fasttext"
    if len(files) > 1:
        return "per-class"
    if "\t" in first:
        return "tsv"
    raise LabelledError(
        f"cannot tell the label format of {files[0]}: expected '__label__LABEL text' lines (fastText) or 'LABEL<TAB>text' lines (TSV); "
        "for one file per class give a directory or several files"
    )


def _read_labelled_lines(path: Path, label_format: str) -> list[tuple[str, str]]:
    pairs = []
    for number, line in enumerate(_lines(path), start=1):
        if not line.strip():
            continue
        if label_format == "tsv":
            label, tab, text = line.partition("\t")
            if not tab or not label.strip():
                raise LabelledError(f"{path} line {number} is not 'LABEL<TAB>text': {line[:60]!r}")
            pairs.append((label.strip(), text.strip()))
            continue
        tokens = line.split()
        labels = [token[len(FASTTEXT_PREFIX):] for token in tokens if token.startswith(FASTTEXT_PREFIX)]
        if not labels or not labels[0]:
            raise LabelledError(f"{path} line {number} has no '__label__LABEL' token: {line[:60]!r}")
        pairs.append((labels[0], " ".join(token for token in tokens if not token.startswith(FASTTEXT_PREFIX))))
    return pairs


def _read_per_class(files: list[Path]) -> list[tuple[str, str]]:
    if len(files) < 2:
        raise LabelledError(f"one file per class needs two or more files, got only {files[0]}")
    names = _class_names(files)
    return [(name, line.strip()) for name, path in zip(names, files) for line in _lines(path) if line.strip()]


def _class_names(files: list[Path]) -> list[str]:
    stems = {path.name.split(".", 1)[0] for path in files}
    if len(stems) == 1 and all("." in path.name for path in files):
        names = [path.name.split(".", 1)[1] for path in files]
    else:
        names = [path.name for path in files]
    if len(set(names)) < len(names):
        raise LabelledError(f"two class files have the same name: {', '.join(path.name for path in files)}")
    return names


def _lines(path: Path) -> list[str]:
    data = path.read_bytes()
    encoding = wide_encoding(data)
    if encoding:
        raise LabelledError(f"{path} {conversion_hint(encoding)}")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        logger.warning("%s is not UTF-8; reading it as Latin-1", path)
        text = data.decode("latin-1")
    # Lines end at \n (and \r\n) only: str.splitlines() would also cut at U+2028 and other
    # Unicode separators that can stand inside a text, and shift every later line number.
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return [line[:-1] if line.endswith("\r") else line for line in lines]
