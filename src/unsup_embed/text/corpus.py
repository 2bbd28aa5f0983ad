"""Streaming, restartable text corpus: files in, lists of tokens out.

`TextCorpus(path)` is an iterable over sentences (lists of str). Every `iter()`
walks the files again, so each pass streams the text from disk; nothing
holds the corpus in memory. A file is read in chunks of `CHUNK_BYTES`, so a
100 MB file that is one single line (the text8 layout) costs one chunk of
memory, not 100 MB.

What it does:
- a directory is walked recursively in sorted order; hidden files and
  directories (name starting with ".") are skipped, and so are the paths in
  `exclude` (a run's own outputs when they lie inside the corpus folder) and
  anything that is not a regular file (FIFOs, sockets, devices), with a warning;
- `.gz`, `.bz2` and `.xz` are decompressed by extension, and a `.zip` is read
  as its members one after another (archives.py); anything else is text;
- UTF-8 decoding; undecodable bytes become U+FFFD and are counted;
- a file whose first block holds a NUL byte is taken for binary and skipped
  with a warning naming it; an unreadable file is skipped the same way;
- a sentence is a line; lines longer than `MAX_SENTENCE_TOKENS` tokens are cut
  into sentences of that length (gensim and word2vec cut long lines too);
- a run of more than `CHUNK_BYTES` without any whitespace is cut into tokens
  at the chunk boundary, with a warning (no real text has one);
- tokens come from a `Tokenizer` (tokenizer.py).

`TextCorpus(path, shard=(i, n))` reads only the i-th of n byte ranges of the
corpus (shards.py).

Left out on purpose: sentence splitting inside a line, and reading formats
other than plain or compressed text.
Reference: gensim's `PathLineSentences` and `Text8Corpus` (restartable
iterables, 10,000-token sentence cap).
"""

from __future__ import annotations

import bz2
import codecs
import copy
import gzip
import logging
import lzma
import os
import re
import stat
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import CorpusError
from .archives import open_zip
from .encodings import conversion_hint, wide_encoding
from .shards import TokenAlignedRange, shard_ranges
from .tokenizer import Tokenizer

logger = logging.getLogger(__name__)

CHUNK_BYTES = 1 << 20
MAX_SENTENCE_TOKENS = 10_000
_SNIFF_BYTES = 8192
_OPENERS = {".gz": gzip.open, ".bz2": bz2.open, ".xz": lzma.open, ".zip": open_zip}
# Undecodable bytes decode to lone surrogates under "surrogateescape"; valid
# UTF-8 never yields one, so each one found is one undecodable byte.
_ESCAPED_BYTE = re.compile("[\udc80-\udcff]")


@dataclass
class CorpusStats:
    """What one pass over the corpus saw."""

    files: set[str] = field(default_factory=set)  # files read (a file cut between parts counts once)
    lines: int = 0
    tokens: int = 0
    undecodable_bytes: int = 0
    bytes_read: int = 0  # of the files on disk (compressed files count compressed)
    skipped: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)  # what was skipped or cut, and why

    @property
    def files_read(self) -> int:
        return len(self.files)

    def add(self, other: "CorpusStats") -> None:
        """Add the figures of a pass over another part of the corpus (a file met by both parts counts once)."""
        self.files |= other.files
        self.lines += other.lines
        self.tokens += other.tokens
        self.undecodable_bytes += other.undecodable_bytes
        self.bytes_read += other.bytes_read
        self.skipped += [name for name in other.skipped if name not in self.skipped]
        self.warnings += [message for message in other.warnings if message not in self.warnings]


def is_compressed(path: Path) -> bool:
    return path.suffix.lower() in _OPENERS


def corpus_files(path: str | os.PathLike, exclude: Iterable[str | os.PathLike] = ()) -> list[Path]:
    """The files a corpus path stands for, in reading order, without `exclude` (files or folders)."""
    root = Path(path)
    if not root.exists():
        raise CorpusError(f"corpus path {str(root)!r} does not exist; give a text file or a directory of text files")
    if root.is_file():
        return [root]
    if not root.is_dir():
        raise CorpusError(f"corpus path {str(root)!r} is not a regular file or a directory (a FIFO or a device?); give text files")
    excluded = {os.path.realpath(item) for item in exclude}
    found = []
    for directory, subdirectories, names in os.walk(root):
        subdirectories[:] = sorted(
            name for name in subdirectories if not name.startswith(".") and os.path.realpath(os.path.join(directory, name)) not in excluded
        )
        for name in names:
            file = Path(directory) / name
            if name.startswith(".") or os.path.realpath(file) in excluded:
                continue
            if _is_special(file):
                logger.warning("skipping %s: not a regular file (a FIFO, socket or device)", _shown(file))
                continue
            found.append(file)
    found.sort()
    if not found:
        raise CorpusError(f"corpus directory {str(root)!r} holds no files (hidden files are skipped); put text files in it")
    return found


class TextCorpus:
    """Restartable iterable of sentences (lists of tokens) from a file or directory."""

    def __init__(
        self,
        path: str | os.PathLike,
        tokenizer: Tokenizer | None = None,
        shard: tuple[int, int] | None = None,
        exclude: Iterable[str | os.PathLike] = (),
        log_warnings: bool = True,
    ):
        self.path = Path(path)
        self.log_warnings = log_warnings  # False: only collected in `stats.warnings`
        self.files = corpus_files(path, exclude)
        self.tokenizer = tokenizer or Tokenizer()
        self.stats = CorpusStats()
        self.shard = shard
        self._warned: set[str] = set()

    def __iter__(self) -> Iterator[list[str]]:
        self.stats = CorpusStats()
        for file, start, stop in self.pieces():
            yield from self.read_piece(file, start, stop)

    def quiet_copy(self) -> "TextCorpus":
        """The same corpus with stats of its own, collecting its warnings instead of logging them."""
        twin = copy.copy(self)
        twin.stats, twin.log_warnings, twin._warned = CorpusStats(), False, set()
        return twin

    def pieces(self, shard: tuple[int, int] | None = None) -> list[tuple[Path, int, int | None]]:
        """(file, start, stop) byte ranges this corpus reads (of `shard`, else its own shard, else all)."""
        shard = shard or self.shard
        if shard is None:
            return [(file, 0, None) for file in self.files]
        sizes = [_size(file) for file in self.files]
        compressed = [is_compressed(file) for file in self.files]
        return [(self.files[number], start, stop) for number, start, stop in shard_ranges(sizes, compressed, *shard)]

    def total_bytes(self) -> int:
        """Bytes on disk, for progress bars (compressed files count compressed)."""
        return sum(_size(file) for file in self.files)

    def read_piece(self, file: Path, start: int = 0, stop: int | None = None) -> Iterator[list[str]]:
        """Sentences of one file, or of its byte range [start, stop) moved to whitespace."""
        opener = _OPENERS.get(file.suffix.lower())
        try:
            with open(file, "rb") as raw, (opener(raw, "rb") if opener else raw) as stream:
                head = stream.read(_SNIFF_BYTES)
                if b"\x00" in head:
                    self._skip(file, _not_utf8(head))
                    return
                self.stats.files.add(str(file))
                if opener is None and (start > 0 or stop is not None):  # a compressed file is read whole
                    stream = TokenAlignedRange(stream, start, stop)
                    head = stream.read(_SNIFF_BYTES)
                counted = raw.tell()
                self.stats.bytes_read += counted - start
                yield from self._sentences(file, head, stream, raw, counted)
        except (OSError, EOFError, lzma.LZMAError, zipfile.BadZipFile) as error:
            self._skip(file, f"cannot be read ({error.__class__.__name__}: {error})")

    def _skip(self, file: Path, reason: str) -> None:
        if str(file) not in self.stats.skipped:
            self.stats.skipped.append(str(file))
        self._warn_once(str(file), f"skipping {_shown(file)}: {reason}")

    def _sentences(self, file: Path, head: bytes, stream, raw, counted: int) -> Iterator[list[str]]:
        decoder = codecs.getincrementaldecoder("utf-8")(errors="surrogateescape")
        pending: list[str] = []  # tokens of the line being read
        carry = ""  # text after the last newline seen
        block = head
        while True:
            final = not block
            text = carry + self._decoded(decoder.decode(block, final=final))
            cut = len(text) if final else text.rfind("\n") + 1  # the whole lines of the text read so far
            complete, carry = text[:cut], text[cut:]
            for tokens in self.tokenizer.lines(complete) if complete else ():
                pending.extend(tokens)
                pending = yield from self._full_sentences(pending)
                if pending:
                    self._count(pending)
                    yield pending
                pending = []
            if len(carry) > CHUNK_BYTES:
                # A line with no newline in sight: tokenise up to its last
                # whitespace and keep only the unfinished word.
                cut = max(carry.rfind(" "), carry.rfind("\t"), carry.rfind("\r"))
                if cut <= 0:
                    cut = len(carry)
                    self._warn_once(f"long:{file}", f"{_shown(file)} has a run of over {CHUNK_BYTES:,} characters without whitespace; it was cut into tokens at a chunk boundary")
                pending.extend(self.tokenizer(carry[:cut]))
                carry = carry[cut:]
                pending = yield from self._full_sentences(pending)
            if final:
                return
            block = stream.read(CHUNK_BYTES)
            self.stats.bytes_read += raw.tell() - counted
            counted = raw.tell()

    def _decoded(self, text: str) -> str:
        """`text` with each undecodable byte replaced by U+FFFD, counted."""
        if text.isascii() or _ESCAPED_BYTE.search(text) is None:  # an escaped byte is never ASCII
            return text
        text, replaced = _ESCAPED_BYTE.subn("\ufffd", text)
        self.stats.undecodable_bytes += replaced
        return text

    def _warn_once(self, key: str, message: str) -> None:
        if key in self._warned:
            return
        self._warned.add(key)
        self.stats.warnings.append(message)
        if self.log_warnings:
            logger.warning("%s", message)

    def _full_sentences(self, pending: list[str]):
        """Yield the full-length sentences at the head of `pending`; return the rest."""
        start = 0
        while len(pending) - start >= MAX_SENTENCE_TOKENS:
            sentence = pending[start : start + MAX_SENTENCE_TOKENS]
            self._count(sentence)
            yield sentence
            start += MAX_SENTENCE_TOKENS
        return pending[start:]

    def _count(self, sentence: list[str]) -> None:
        self.stats.lines += 1
        self.stats.tokens += len(sentence)


def _size(file: Path) -> int:
    try:
        return file.stat().st_size
    except OSError:
        return 0


def _is_special(file: Path) -> bool:
    try:
        mode = file.stat().st_mode
    except OSError:
        return False  # unreadable: reported when it is read
    return not stat.S_ISREG(mode)


def _shown(file: Path) -> str:
    """A file name on one line, whatever characters it holds."""
    return ascii(str(file))[1:-1] if any(ch in str(file) for ch in "\n\r\t") else str(file)


def _not_utf8(head: bytes) -> str:
    """Why a file whose first bytes hold NUL bytes is skipped: text in UTF-16 or UTF-32 (said so, with the fix), or binary."""
    encoding = wide_encoding(head)
    return conversion_hint(encoding) if encoding else "looks binary (contains NUL bytes)"
