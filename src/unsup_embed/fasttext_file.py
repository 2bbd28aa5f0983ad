"""fastText's binary model checked against its own layout before gensim reads it.

gensim's reader (`gensim.models._fasttext_bin`) trusts the file: a model cut
short inside its word list makes it read empty bytes at the end of the file
for ever, looking for the zero byte that ends a word (gensim 4.4), and a
quantized model (`.ftz`) or a supervised one fails deep inside it. So
`check_model_file` walks the layout first, in one pass over the header and
the word list and a size check of the input matrix, and raises one line
naming what is wrong. It reads only what gensim's `load_facebook_vectors`
reads: the output matrix that follows the input one is not needed for
vectors, and a file cut short inside it still loads.

The layout, as fastText 0.9.2 writes it (`FastText::saveModel`), in the
machine's byte order:
- int32 magic 793712314, int32 version;
- the arguments (`Args::save`): 12 int32 (dim, ws, epoch, minCount, neg,
  wordNgrams, loss, model, bucket, minn, maxn, lrUpdateRate), one float64 (t);
- the dictionary (`Dictionary::save`): int32 size, nwords, nlabels; int64
  ntokens, pruneidx_size; per entry a zero-terminated word, int64 count and
  int8 type; pruneidx_size pairs of int32;
- the input matrix: bool quantized, int64 rows and columns, rows x columns
  float32 (the words' rows, then the n-gram buckets);
- bool quantized output, and the output matrix the same way.

A compressed model (`.bin.gz`) is refused before this: gensim 4.4 reads
its input matrix wrongly (the rows come short), and fastText cannot read
one at all.

Reference: facebookresearch/fastText `src/fasttext.cc`, `src/args.cc`,
`src/dictionary.cc`, `src/densematrix.cc`.
"""

from __future__ import annotations

import os
import struct
from pathlib import Path

from .errors import VectorsFileError

MAGIC = 793712314  # the int32 a fastText binary model starts with
_ARGUMENTS = struct.Struct("=12id")
_CHUNK = 1 << 20


class _Reader:
    """A forward-only reader of a binary stream that says "truncated" when the file ends too soon."""

    def __init__(self, stream, path: Path, where: str = "its header"):
        self.stream, self.path, self.where = stream, path, where
        self.buffer, self.at = b"", 0

    def _fill(self, wanted: int) -> bool:
        """Whether `wanted` bytes are buffered from the current position, reading more as needed."""
        while len(self.buffer) - self.at < wanted:
            chunk = self.stream.read(max(_CHUNK, wanted))
            if not chunk:
                return False
            self.buffer = self.buffer[self.at :] + chunk
            self.at = 0
        return True

    def unpack(self, layout: struct.Struct) -> tuple:
        if not self._fill(layout.size):
            raise self.truncated()
        values = layout.unpack_from(self.buffer, self.at)
        self.at += layout.size
        return values

    def skip_word(self) -> None:
        """Past one zero-terminated word."""
        while True:
            end = self.buffer.find(b"\0", self.at)
            if end >= 0:
                self.at = end + 1
                return
            if not self._fill(len(self.buffer) - self.at + 1):
                raise self.truncated()

    def skip(self, count: int) -> None:
        """Past `count` bytes, a chunk at a time (a damaged count must not make one huge read)."""
        while count > 0:
            step = min(count, _CHUNK)
            if not self._fill(step):
                raise self.truncated()
            self.at += step
            count -= step

    def truncated(self) -> VectorsFileError:
        return VectorsFileError(f"{self.path} is a truncated fastText model: it ends inside {self.where}; write or copy it again")


def check_model_file(path: Path) -> None:
    """Raise VectorsFileError unless `path` holds a whole unquantized, unsupervised fastText model up to its input matrix's end."""
    with open(path, "rb") as stream:
        reader = _Reader(stream, path)
        magic, _version = reader.unpack(struct.Struct("=2i"))
        if magic != MAGIC:
            raise VectorsFileError(f"{path} is not a fastText binary model (it does not start with fastText's magic number)")
        dim = reader.unpack(_ARGUMENTS)[0]
        size, words, labels, _tokens, pruned = reader.unpack(struct.Struct("=3i2q"))
        if labels > 0:
            raise VectorsFileError(f"{path} is a supervised fastText model (a classifier, {labels:,} labels); give a model trained on raw text")
        if not 0 <= words <= size or pruned < -1 or dim < 1:
            raise VectorsFileError(f"{path} is not a readable fastText model: its dictionary header says {size:,} entries, {words:,} words, dim {dim}")
        reader.where = "its word list"
        entry = struct.Struct("=qb")
        for _ in range(size):
            reader.skip_word()
            reader.unpack(entry)
        reader.skip(max(pruned, 0) * 8)
        reader.where = "its input matrix"
        (quantized,) = reader.unpack(struct.Struct("=?"))
        if quantized:
            raise VectorsFileError(f"{path} is a quantized fastText model (.ftz); give the full .bin model that `fasttext quantize` started from")
        rows, columns = reader.unpack(struct.Struct("=2q"))
        if rows < words or columns != dim:
            raise VectorsFileError(f"{path} is not a readable fastText model: its input matrix is {rows:,} x {columns} for {words:,} words of dim {dim}")
        if os.fstat(stream.fileno()).st_size - stream.tell() + (len(reader.buffer) - reader.at) < rows * columns * 4:
            raise reader.truncated()
