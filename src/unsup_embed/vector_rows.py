"""The rows of a text vectors file (word2vec text, GloVe), checked before gensim reads them.

gensim 4.4 does not count a row's values: it hands them to `add_vector`,
where NumPy broadcasts a single value over the whole row (`tea 0.3` in a
file of dimension 2 became [0.3, 0.3], silently), and fails on other counts
with an error that names no line. `check_rows` reads the rows once, as
bytes, and refuses the first row whose count of values differs from the
dimension, naming its line. A value is what gensim's reader takes: the
fields after the word, split at single spaces, the line's end stripped.
"""

from __future__ import annotations

from pathlib import Path

from .errors import VectorsFileError


def check_rows(stream, path: Path, header: bool) -> None:
    """Refuse the first row of `stream` (a binary stream of the file) without the dimension's count of values.

    `header`: word2vec text, whose first line `count dim` gives the dimension
    and the rows gensim reads; else GloVe, whose first row gives the dimension,
    read to the end.
    """
    dim = rows = None
    if header:
        rows, dim = (int(field) for field in stream.readline().split())
    said = "its header says" if header else "its first line has"
    first_line = 2 if header else 1
    for number, line in enumerate(stream, start=first_line):
        if rows is not None and number - first_line >= rows:
            return
        values = line.rstrip().count(b" ")
        if dim is None:
            dim = values
        if values != dim or not line.strip():
            raise VectorsFileError(
                f"{path} is not a readable {'word2vec-text' if header else 'glove'} file: line {number:,} holds {values} values "
                f"where {said} {dim}; is it truncated or ragged, or in another format?"
            )
