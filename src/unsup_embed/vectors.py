"""Every read and write of vector files: word2vec text and binary, GloVe text, compressed or not.

Reading goes through gensim's `KeyedVectors.load_word2vec_format`, after one
sniffer (`sniff_layout`) has told the layouts apart from the first bytes:

- word2vec text: a header line `count dim`, then `word v1 ... vdim` per line;
- word2vec binary: the same header, then `word <dim float32>` per word;
- GloVe text: no header, `word v1 ... vdim` from the first line on.

and fastText's binary model (`.bin` of `fasttext skipgram -output`, or of
`train-unsup --subwords`), read with gensim's `load_facebook_vectors`,
which gives vectors for unseen words from their character n-grams.

`.gz` and `.bz2` files are decompressed by extension (the sniffer reads
them decompressed, so `vectors.vec.gz` is text and `vectors.bin.gz` binary,
as their content says). `load_vectors` refuses, with one line naming the
file, what gensim would load wrongly or not at all: a missing file or a
directory, a truncated or ragged file, a header that claims more words than
the file can hold, NaN or infinite values, and a fastText model cut short,
quantized or supervised (fasttext_file.py). A word listed twice keeps its
first vector, with a warning (gensim would leave an empty row behind).

Writing goes into a temporary file renamed into place (files.py), so the
output is never half-written, by block-at-a-time writers: binary in the
word2vec C tool's layout, text with each float32 in 9 significant digits
(which read back exactly), so the output is what gensim, fastText's tools
and the word2vec C tool read.

Left out on purpose: words containing spaces (some GloVe releases have them;
no whitespace-separated format can hold them).
"""

from __future__ import annotations

import bz2
import gzip
import logging
import os
import struct
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from .errors import ConfigError, VectorsFileError
from .fasttext_file import MAGIC, check_model_file
from .files import atomic_path
from .vector_rows import check_rows

logger = logging.getLogger(__name__)

LAYOUTS = ("word2vec-binary", "word2vec-text", "glove", "fasttext")
FASTTEXT_MAGIC = MAGIC.to_bytes(4, "little")  # the first bytes of fastText's binary model
_FORMAT_BY_SUFFIX = {".bin": "binary", ".txt": "text", ".vec": "text"}
_OPENERS = {".gz": gzip.open, ".bz2": bz2.open}
_SNIFF_BYTES = 1 << 16


def output_format(path: str | os.PathLike, explicit: str | None = None) -> str:
    """'binary' or 'text' for an output: the explicit choice, else from the extension."""
    if explicit:
        return explicit
    suffixes = [suffix.lower() for suffix in Path(path).suffixes]
    if suffixes and suffixes[-1] in _OPENERS:
        suffixes = suffixes[:-1]
    if suffixes and suffixes[-1] in _FORMAT_BY_SUFFIX:
        return _FORMAT_BY_SUFFIX[suffixes[-1]]
    raise ConfigError(
        f"cannot tell the format of {str(path)!r} from its extension; name it .bin (binary), .txt or .vec (text), or pass --format"
    )


def save_word2vec(path: str | os.PathLike, words: Sequence[str], vectors: np.ndarray, binary: bool) -> None:
    """Write word2vec text or binary (compressed if the name ends in .gz/.bz2), atomically."""
    vectors = np.asarray(vectors, dtype=np.float32)
    with atomic_path(path) as temporary:
        (_write_binary if binary else _write_text)(temporary, words, vectors)


def save_fasttext(
    path: str | os.PathLike, words: Sequence[str], counts: np.ndarray, input_table: np.ndarray, output_table: np.ndarray, **settings
) -> None:
    """Write fastText's binary model (what `fasttext -output` writes) through gensim's fastText support, atomically.

    `input_table` holds the words' rows, then `settings["buckets"]` n-gram
    rows; `output_table` the words' output rows. `settings` are the run's
    min_n, max_n, buckets, window, negative, sample, epochs, architecture and
    total_words, written into the model's header as fastText records them.
    """
    from gensim.models.fasttext import FastText, save_facebook_model

    words, vocabulary_size = list(words), len(words)
    model = FastText(
        vector_size=input_table.shape[1], window=settings["window"], epochs=settings["epochs"], negative=settings["negative"], hs=0,
        sg=int(settings["architecture"] == "skipgram"), bucket=settings["buckets"], min_count=1, sample=settings["sample"],
        min_n=settings["min_n"], max_n=settings["max_n"],
    )  # fmt: skip
    model.corpus_total_words = int(settings["total_words"])
    model.raw_vocab = dict(zip(words, (int(count) for count in counts)))
    with _gensim_quiet("gensim.models.word2vec"):
        model.prepare_vocab(update=True, min_count=1)  # gensim's own vocabulary, as its fastText loader builds it
    position = {word: row for row, word in enumerate(words)}
    order = np.array([position[word] for word in model.wv.index_to_key])  # gensim's order of the words
    model.wv.vectors_vocab = np.ascontiguousarray(input_table[order], dtype=np.float32)
    model.wv.vectors_ngrams = np.ascontiguousarray(input_table[vocabulary_size:], dtype=np.float32).view(_WrittenInPlace)
    # Nothing else: the writer reads these two matrices, and the loaders rebuild the words' vectors from them
    # (gensim's adjust_vectors here would cost 2 s of a 68k-word export for nothing written).
    model.syn1neg = np.ascontiguousarray(output_table[order], dtype=np.float32)
    with atomic_path(path) as temporary:
        save_facebook_model(model, str(temporary))


def _write_binary(path: Path, words: Sequence[str], vectors: np.ndarray) -> None:
    """word2vec binary as the word2vec C tool writes it: `word `, the vector's float32 (little-endian), a newline.

    Written a block of rows at a time, without gensim: importing gensim
    alone takes over a second of CPU, which a run that writes only this
    file no longer spends. gensim's reader and the C tool's skip the
    newline before each word.
    """
    with _open(path, "wb") as stream:
        stream.write(f"{vectors.shape[0]} {vectors.shape[1]}\n".encode())
        for start in range(0, vectors.shape[0], 4096):
            block = vectors[start : start + 4096].astype("<f4", copy=False)
            stream.write(b"".join(f"{word} ".encode("utf-8") + row.tobytes() + b"\n" for word, row in zip(words[start : start + 4096], block)))


def _write_text(path: Path, words: Sequence[str], vectors: np.ndarray) -> None:
    """word2vec text, each value with the 9 significant digits that give its float32 back exactly.

    Formatted a block of rows at a time: three times faster than gensim's
    writer, which formats each value on its own (5.3 s for 68k x 100).
    """
    line = "%s " + " ".join(["%.9g"] * vectors.shape[1]) + "\n"
    with _open(path, "wt", encoding="utf-8") as stream:
        stream.write(f"{vectors.shape[0]} {vectors.shape[1]}\n")
        for start in range(0, vectors.shape[0], 4096):
            block = vectors[start : start + 4096].tolist()
            stream.write("".join(line % (word, *row) for word, row in zip(words[start : start + 4096], block)))


class _WrittenInPlace(np.ndarray):
    """An array whose `tobytes()` is a view of its memory: gensim's writer calls it on the 2M-row n-gram matrix, and a copy would double the export's memory."""

    def tobytes(self, order="C"):
        return memoryview(np.ascontiguousarray(self).view(np.ndarray)).cast("B")


def sniff_layout(path: str | os.PathLike) -> str:
    """'word2vec-binary', 'word2vec-text' or 'glove' from the first bytes of the (decompressed) file."""
    path = _existing_file(path)
    try:
        with _open(path) as stream:
            head = stream.read(_SNIFF_BYTES)
    except (OSError, EOFError) as error:
        raise VectorsFileError(f"cannot read vectors file {str(path)!r}: {error}") from None
    if head.startswith(FASTTEXT_MAGIC):
        return "fasttext"
    first, _, rest = head.partition(b"\n")
    fields = first.split()
    if not fields:
        raise VectorsFileError(
            f"{path} is empty or starts with a blank line; expected a word2vec header 'count dim' or GloVe lines 'word v1 v2 ...'"
        )
    if len(fields) == 2 and all(field.isdigit() for field in fields):
        return "word2vec-text" if _is_text(rest) else "word2vec-binary"
    if len(fields) >= 2 and _all_floats(fields[1:]):
        return "glove"
    shown = first[:60].decode("utf-8", errors="replace")
    raise VectorsFileError(
        f"{path} is not a vectors file: expected a word2vec header 'count dim' or a GloVe line 'word v1 v2 ...', got {shown!r}"
    )


def load_vectors(path: str | os.PathLike, layout: str | None = None):
    """gensim KeyedVectors of a word2vec (text or binary) or GloVe file; `layout` None sniffs it."""
    from gensim.models import KeyedVectors

    path = _existing_file(path)
    layout = layout or sniff_layout(path)
    if layout not in LAYOUTS:
        raise ConfigError(f"the layout of a vectors file must be one of {', '.join(LAYOUTS)}, got {layout!r}")
    if layout == "fasttext":
        return _load_fasttext(path)
    if layout != "glove":
        _check_header(path, binary=layout == "word2vec-binary")
    if layout != "word2vec-binary":
        with _open(path) as stream:
            check_rows(stream, path, header=layout == "word2vec-text")
    try:
        with _gensim_quiet("gensim.models.keyedvectors"):
            vectors = KeyedVectors.load_word2vec_format(
                str(path), binary=layout == "word2vec-binary", no_header=layout == "glove", unicode_errors="replace"
            )
    except (ValueError, EOFError, UnicodeDecodeError, IndexError, OSError, MemoryError) as error:
        raise VectorsFileError(
            f"{path} is not a readable {layout} file ({error.__class__.__name__}: {str(error)[:100]}); "
            "is it truncated or ragged, or in another format?"
        ) from None
    vectors = _without_duplicates(vectors, path)
    if len(vectors) == 0:
        raise VectorsFileError(f"{path} holds no vectors")
    finite = np.isfinite(vectors.vectors).all(axis=1)
    if not finite.all():
        bad = [vectors.index_to_key[i] for i in np.flatnonzero(~finite)[:3]]
        raise VectorsFileError(f"{path} holds NaN or infinite values ({int((~finite).sum()):,} words, e.g. {bad}); it cannot be used")
    logger.debug("loaded %s: %s words x %d (%s)", path.name, f"{len(vectors):,}", vectors.vector_size, layout)
    return vectors


def _load_fasttext(path: Path):
    """gensim's FastTextKeyedVectors of a fastText binary model: vectors for unseen words from their n-grams."""
    from gensim.models.fasttext import load_facebook_vectors

    if path.suffix.lower() in _OPENERS:
        raise VectorsFileError(f"{path} is a compressed fastText model, which gensim reads wrongly; decompress it first (gunzip or bunzip2)")
    check_model_file(path)  # gensim's reader would loop for ever on some truncated files
    try:
        with _gensim_quiet("gensim.models._fasttext_bin"), _gensim_quiet("gensim.models.fasttext"):
            vectors = load_facebook_vectors(str(path))
    except (ValueError, EOFError, UnicodeDecodeError, IndexError, OSError, MemoryError, NotImplementedError, struct.error) as error:
        raise VectorsFileError(f"{path} is not a readable fastText binary model ({error.__class__.__name__}: {str(error)[:100]}); is it truncated?") from None
    if not np.isfinite(vectors.vectors_vocab).all() or not np.isfinite(vectors.vectors_ngrams).all():
        raise VectorsFileError(f"{path} holds NaN or infinite values; it cannot be used")
    return vectors


def can_answer(vectors, word: str) -> bool:
    """Whether `vectors` has a vector for `word`: in its vocabulary, or (fastText) from the word's n-grams."""
    return word in vectors.key_to_index or (is_subword_model(vectors) and vectors.bucket > 0)


def is_subword_model(vectors) -> bool:
    """Whether `vectors` answers unseen words from their n-grams (a fastText model)."""
    return hasattr(vectors, "vectors_ngrams")


def _existing_file(path: str | os.PathLike) -> Path:
    path = Path(path)
    if path.is_dir():
        raise VectorsFileError(f"{str(path)!r} is a directory; give a vectors file")
    if not path.is_file():
        reason = "is not a regular file (a FIFO or a device?)" if path.exists() else "does not exist"
        raise VectorsFileError(f"vectors file {str(path)!r} {reason}; give a vectors file")
    return path


def _open(path: Path, mode: str = "rb", **text):
    return _OPENERS.get(path.suffix.lower(), open)(path, mode, **text)


def _check_header(path: Path, binary: bool) -> None:
    """Refuse a header whose word count the file cannot hold (gensim would allocate for it first)."""
    with _open(path) as stream:
        fields = stream.readline().split()
    try:
        count, dim = (int(field) for field in fields)
    except ValueError:
        raise VectorsFileError(f"{path} has no word2vec header 'count dim' on its first line; is it a GloVe file?") from None
    if count < 1 or dim < 1:
        raise VectorsFileError(f"{path}: the header says {count} words of dimension {dim}; expected two positive numbers")
    if path.suffix.lower() in _OPENERS:
        return  # the decompressed size is unknown until read
    smallest_row = dim * 4 if binary else dim * 2  # a float32, or a digit and a space, per value
    if count * smallest_row > path.stat().st_size:
        raise VectorsFileError(
            f"{path}: the header says {count:,} words of dimension {dim}, more than its {path.stat().st_size:,} bytes can hold; "
            "the file is truncated or its header is wrong"
        )


def _without_duplicates(vectors, path: Path):
    """gensim leaves an empty (None) slot for each word listed twice; keep each word's first vector only."""
    from gensim.models import KeyedVectors

    keys = vectors.index_to_key
    unique = len(vectors.key_to_index)
    if unique == len(keys) and (not keys or keys[-1] is not None):
        return vectors
    logger.warning("%s lists %s word(s) more than once; kept the first vector of each", path, f"{len(keys) - unique:,}")
    kept = KeyedVectors(vector_size=vectors.vector_size, dtype=np.float32)
    kept.add_vectors(list(keys[:unique]), vectors.vectors[:unique])
    return kept


def _is_text(sample: bytes) -> bool:
    """Whether the bytes after a word2vec header are text lines of numbers."""
    lines = sample.split(b"\n")[:-1] or [sample]
    decoded = [line.decode("utf-8", errors="replace") for line in lines[:20]]  # a word in Latin-1 is still text
    return all(_all_floats(line.split()[1:]) for line in decoded if line.strip())


def _all_floats(fields) -> bool:
    try:
        for field in fields:
            float(field)
    except ValueError:
        return False
    return True


class _gensim_quiet:
    """Raise a gensim logger's level to ERROR for a block (its routine warnings would mislead here)."""

    def __init__(self, name: str):
        self.logger = logging.getLogger(name)

    def __enter__(self):
        self.level = self.logger.level
        self.logger.setLevel(logging.ERROR)

    def __exit__(self, *exc):
        self.logger.setLevel(self.level)
