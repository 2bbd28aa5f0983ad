"""Write vectors in word2vec format (text or binary), atomically.

Vectors are written through gensim's `KeyedVectors.save_word2vec_format`, so
the file is exactly what gensim, fastText's tools and the word2vec C tool
read: a header line `count dim`, then `word v1 v2 ...` (text) or
`word <dim float32 little-endian>` (binary) per word, most frequent first.

Every file goes first to a hidden temporary name beside its destination and
is renamed over it only once complete: whatever kills the process, no file
appears under its final name half-written.
"""

from __future__ import annotations

import contextlib
import logging
import os
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np

from .config import ConfigError

_FORMAT_BY_SUFFIX = {".bin": "binary", ".txt": "text", ".vec": "text"}
_COMPRESSION_SUFFIXES = {".gz", ".bz2"}


def output_format(path: str | os.PathLike, explicit: str | None = None) -> str:
    """'binary' or 'text': the explicit choice, else from the extension."""
    if explicit:
        return explicit
    suffixes = [suffix.lower() for suffix in Path(path).suffixes]
    if suffixes and suffixes[-1] in _COMPRESSION_SUFFIXES:
        suffixes = suffixes[:-1]
    if suffixes and suffixes[-1] in _FORMAT_BY_SUFFIX:
        return _FORMAT_BY_SUFFIX[suffixes[-1]]
    raise ConfigError(
        f"cannot tell the format of {str(path)!r} from its extension; name it .bin (binary), .txt or .vec (text), or pass --format"
    )


def check_output_path(path: str | os.PathLike, force: bool = False) -> None:
    """Fail before training if the output cannot be written."""
    path = Path(path)
    directory = path.parent if str(path.parent) else Path(".")
    if not directory.is_dir():
        raise ConfigError(f"output directory {str(directory)!r} does not exist; create it first")
    if not os.access(directory, os.W_OK | os.X_OK):
        raise ConfigError(f"output directory {str(directory)!r} is not writable; choose another -o")
    if path.is_dir():
        raise ConfigError(f"output {str(path)!r} is a directory; give a file name such as vectors.bin")
    if path.exists() and not force:
        raise ConfigError(f"output {str(path)!r} already exists; pass --force to replace it, or choose another -o")


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path beside `path`; rename it over `path` only if the block succeeds."""
    path = Path(path)
    # Keep the suffixes so that writers which compress by extension still do.
    handle, temporary = tempfile.mkstemp(prefix=f".{path.stem.split('.')[0]}.", suffix=".partial" + "".join(path.suffixes), dir=path.parent or ".")
    os.close(handle)
    temporary = Path(temporary)
    try:
        yield temporary
        # mkstemp creates the file private (0600); give it the mode a plain open() would.
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(temporary, 0o666 & ~umask)
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def save_word2vec(path: str | os.PathLike, words: Sequence[str], vectors: np.ndarray, binary: bool) -> None:
    from gensim.models import KeyedVectors

    vectors = np.asarray(vectors, dtype=np.float32)
    keyed = KeyedVectors(vector_size=vectors.shape[1], dtype=np.float32)
    keyed.add_vectors(list(words), vectors)
    # gensim warns that no counts are stored; the rows are already in frequency order.
    gensim_logger = logging.getLogger("gensim.models.keyedvectors")
    level = gensim_logger.level
    gensim_logger.setLevel(logging.ERROR)
    try:
        with atomic_path(path) as temporary:
            keyed.save_word2vec_format(str(temporary), binary=binary)
    finally:
        gensim_logger.setLevel(level)


def save_vocabulary(path: str | os.PathLike, vocabulary) -> None:
    with atomic_path(path) as temporary:
        vocabulary.save(temporary)

