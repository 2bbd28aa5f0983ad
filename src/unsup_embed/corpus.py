"""Streaming, restartable text corpus: files in, lists of tokens out.

`TextCorpus(path)` is an iterable over sentences (lists of str). Every `iter()`
walks the files again, so counting, encoding and any later pass each stream
the text from disk; nothing holds the corpus in memory. A file is read in
chunks of `CHUNK_BYTES`, so a 100 MB file that is one single line (the text8
layout) costs one chunk of memory, not 100 MB.

What it does:
- a directory is walked recursively in sorted order; hidden files and
  directories (name starting with ".") are skipped; a single file is read alone;
- `.gz`, `.bz2` and `.xz` are decompressed by extension; anything else is text;
- UTF-8 decoding; undecodable bytes become U+FFFD and are counted;
- a file whose first block holds a NUL byte is taken for binary and skipped
  with a warning naming it; an unreadable file is skipped the same way;
- a sentence is a line; lines longer than `MAX_SENTENCE_TOKENS` tokens are cut
  into sentences of that length (gensim and word2vec cut long lines too);
- tokens are the matches of a regular expression (default: runs of Unicode word
  characters) on the lowercased text. A token never contains whitespace: a
  custom pattern that matches whitespace has its matches split on it, because
  the word2vec format separates a word from its vector by a space.

Sharding, for multi-worker training: `TextCorpus(path, shard=(i, n))` reads
only the i-th of n equal byte ranges of the corpus (all files end to end).
A range's ends move forward to the next whitespace, so each token is read by
exactly one shard; a line cut by a boundary becomes two sentences, one per
shard. Compressed files cannot be entered in the middle: each belongs whole
to the shard its first byte falls in.

Left out on purpose: language-specific tokenisation, sentence splitting
inside a line, and reading formats other than plain or compressed text.
Reference: gensim's `PathLineSentences` and `Text8Corpus` (restartable
iterables, 10,000-token sentence cap).
"""

from __future__ import annotations

import bz2
import codecs
import gzip
import logging
import lzma
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

logger = logging.getLogger(__name__)

CHUNK_BYTES = 1 << 20
MAX_SENTENCE_TOKENS = 10_000
_SNIFF_BYTES = 8192
_OPENERS = {".gz": gzip.open, ".bz2": bz2.open, ".xz": lzma.open}
_WHITESPACE = re.compile(r"\s")


class CorpusError(ValueError):
    """The corpus path cannot be used; the message says why."""


@dataclass
class CorpusStats:
    """What one pass over the corpus saw."""

    files_read: int = 0
    lines: int = 0
    tokens: int = 0
    undecodable_bytes: int = 0
    skipped: list[str] = field(default_factory=list)


class Tokenizer:
    """Turns a piece of text into tokens with one regular expression."""

    def __init__(self, pattern: str = r"\w+", lowercase: bool = True):
        self.pattern = re.compile(pattern)
        self.lowercase = lowercase
        # findall returns groups, not whole matches, when the pattern has any.
        self._plain = self.pattern.groups == 0
        self._may_match_whitespace = pattern != r"\w+"

    def __call__(self, text: str) -> list[str]:
        if self.lowercase:
            text = text.lower()
        if self._plain:
            tokens = self.pattern.findall(text)
        else:
            tokens = [match.group(0) for match in self.pattern.finditer(text)]
        if self._may_match_whitespace:
            tokens = [part for token in tokens for part in (_WHITESPACE.split(token) if _WHITESPACE.search(token) else [token]) if part]
        else:
            tokens = [token for token in tokens if token]
        return tokens


def corpus_files(path: str | os.PathLike) -> list[Path]:
    """The files a corpus path stands for, in reading order."""
    root = Path(path)
    if not root.exists():
        raise CorpusError(f"corpus path {str(root)!r} does not exist; give a text file or a directory of text files")
    if root.is_file():
        return [root]
    if not root.is_dir():
        raise CorpusError(f"corpus path {str(root)!r} is neither a file nor a directory")
    found = []
    for directory, subdirectories, names in os.walk(root):
        subdirectories[:] = sorted(name for name in subdirectories if not name.startswith("."))
        found.extend(Path(directory) / name for name in names if not name.startswith("."))
    found.sort()
    if not found:
        raise CorpusError(f"corpus directory {str(root)!r} holds no files (hidden files are skipped); put text files in it")
    return found


def shard_ranges(sizes: list[int], compressed: list[bool], shard: int, shards: int) -> list[tuple[int, int, int]]:
    """(file number, start, stop) byte ranges of shard `shard` of `shards` over files of `sizes`.

    The corpus is cut into `shards` equal ranges of its total bytes; a
    compressed file goes whole to the shard its first byte falls in.
    """
    total = sum(sizes)
    low, high = total * shard // shards, total * (shard + 1) // shards
    ranges, offset = [], 0
    for number, (size, whole) in enumerate(zip(sizes, compressed)):
        start, stop = max(low - offset, 0), min(high - offset, size)
        if whole or size == 0:
            if low <= offset < high or (size == 0 and shard == 0 and offset == total):
                ranges.append((number, 0, size))
        elif start < stop:
            ranges.append((number, start, stop))
        offset += size
    return ranges


class TextCorpus:
    """Restartable iterable of sentences (lists of tokens) from a file or directory."""

    def __init__(self, path: str | os.PathLike, tokenizer: Tokenizer | None = None, shard: tuple[int, int] | None = None):
        self.path = Path(path)
        self.files = corpus_files(path)
        self.tokenizer = tokenizer or Tokenizer()
        self.stats = CorpusStats()
        self.shard = shard
        self._warned: set[str] = set()

    def __iter__(self) -> Iterator[list[str]]:
        self.stats = CorpusStats()
        if self.shard is None:
            for file in self.files:
                yield from self._read_file(file)
            return
        for number, start, stop in self._shard_ranges():
            yield from self._read_file(self.files[number], start, stop)

    def _shard_ranges(self) -> list[tuple[int, int, int]]:
        sizes = []
        for file in self.files:
            try:
                sizes.append(file.stat().st_size)
            except OSError:
                sizes.append(0)
        compressed = [file.suffix.lower() in _OPENERS for file in self.files]
        return shard_ranges(sizes, compressed, *self.shard)

    def total_bytes(self) -> int:
        """Bytes on disk, for progress bars (compressed files count compressed)."""
        total = 0
        for file in self.files:
            try:
                total += file.stat().st_size
            except OSError:
                pass
        return total

    def _skip(self, file: Path, reason: str) -> None:
        self.stats.skipped.append(str(file))
        if str(file) not in self._warned:
            self._warned.add(str(file))
            logger.warning("skipping %s: %s", file, reason)

    def _read_file(self, file: Path, start: int = 0, stop: int | None = None) -> Iterator[list[str]]:
        opener = _OPENERS.get(file.suffix.lower(), open)
        try:
            with opener(file, "rb") as stream:
                head = stream.read(_SNIFF_BYTES)
                if b"\x00" in head:
                    self._skip(file, "looks binary (contains NUL bytes)")
                    return
                self.stats.files_read += 1
                if opener is open and (start > 0 or stop is not None):  # a compressed file is read whole
                    stream = _TokenAlignedRange(stream, start, stop)
                    head = stream.read(_SNIFF_BYTES)
                yield from self._sentences(head, stream)
        except (OSError, EOFError, lzma.LZMAError) as error:
            self._skip(file, f"cannot be read ({error.__class__.__name__}: {error})")

    def _sentences(self, head: bytes, stream) -> Iterator[list[str]]:
        decoder = codecs.getincrementaldecoder("utf-8")(errors=_COUNTING_HANDLER)
        pending: list[str] = []  # tokens of the line being read
        carry = ""  # text after the last newline seen
        block = head
        while True:
            final = not block
            _replacements.count = 0
            text = carry + decoder.decode(block, final=final)
            self.stats.undecodable_bytes += _replacements.count
            lines = text.split("\n")
            carry = "" if final else lines.pop()
            for line in lines:
                pending.extend(self.tokenizer(line))
                pending = yield from self._full_sentences(pending)
                if pending:
                    self._count(pending)
                    yield pending
                pending = []
            if len(carry) > CHUNK_BYTES:
                # A line with no newline in sight: tokenise up to its last
                # whitespace and keep only the unfinished word.
                cut = max(carry.rfind(" "), carry.rfind("\t"), carry.rfind("\r"))
                cut = len(carry) if cut < 0 else cut
                pending.extend(self.tokenizer(carry[:cut]))
                carry = carry[cut:]
                pending = yield from self._full_sentences(pending)
            if final:
                return
            block = stream.read(CHUNK_BYTES)

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


class _TokenAlignedRange:
    """A binary stream's bytes from `start` to `stop`, both moved forward to the next whitespace.

    The token that `start` cuts belongs to the previous range, and the token
    that `stop` cuts is read to its end, so consecutive ranges read every
    token exactly once. Whitespace bytes are ASCII, never inside a UTF-8
    sequence, so the cuts never split a character.
    """

    def __init__(self, stream, start: int, stop: int | None):
        self.stream = stream
        self.remaining = None if stop is None else stop - start
        self.finishing = False  # past `stop`, reading to the end of the cut token
        self.last_byte = b" "  # the last byte of the range read so far
        stream.seek(max(start - 1, 0))
        if start > 0 and not stream.read(1).isspace():
            self._skip_to_whitespace()

    def _skip_to_whitespace(self) -> None:
        while True:
            block = self.stream.read(_SNIFF_BYTES)
            if not block:
                return
            cut = _first_whitespace(block)
            if cut is not None:
                self.stream.seek(cut - len(block), os.SEEK_CUR)
                if self.remaining is not None:
                    self.remaining -= cut
                return
            if self.remaining is not None:
                self.remaining -= len(block)

    def read(self, size: int) -> bytes:
        if self.remaining is None:
            return self.stream.read(size)
        if self.finishing:
            return b""
        if self.remaining > 0:
            block = self.stream.read(min(size, self.remaining))
            self.remaining -= len(block)
            if block:
                self.last_byte = block[-1:]
                return block
        # At `stop`: read on to the end of the token it cut, if it cut one,
        # then stop. A range ending on whitespace cut nothing: the next
        # range starts with the next token.
        self.finishing = True
        if self.last_byte.isspace():
            return b""
        tail = b""
        while True:
            block = self.stream.read(_SNIFF_BYTES)
            cut = _first_whitespace(block) if block else 0
            if cut is not None:
                return tail + block[:cut]
            tail += block


def _first_whitespace(block: bytes) -> int | None:
    match = _WHITESPACE_BYTES.search(block)
    return None if match is None else match.start()


_WHITESPACE_BYTES = re.compile(rb"\s")


class _ReplacementCounter:
    count = 0


_replacements = _ReplacementCounter()


def _count_and_replace(error: UnicodeDecodeError):
    _replacements.count += error.end - error.start
    return "\ufffd", error.end


_COUNTING_HANDLER = "unsup_embed.count_replace"
codecs.register_error(_COUNTING_HANDLER, _count_and_replace)
