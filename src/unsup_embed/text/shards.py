"""Byte-range shards of a corpus, so several processes each read a part of it.

`shard_ranges(sizes, compressed, i, n)` cuts the corpus (all its files end to
end) into n equal byte ranges and returns the i-th as (file, start, stop)
pieces. `TokenAlignedRange` reads one piece of an open file, with both ends
moved forward to the next whitespace, so each token is read by exactly one
shard; a line cut by a boundary becomes two sentences, one per shard.
Compressed files cannot be entered in the middle: each belongs whole to the
shard its first byte falls in.

Used by multi-worker training (each worker reads its own shard) and by the
ingestion pass (several processes tokenise one corpus).
"""

from __future__ import annotations

import os
import re

_BLOCK_BYTES = 8192
_WHITESPACE_BYTES = re.compile(rb"\s")


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


class TokenAlignedRange:
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
            block = self.stream.read(_BLOCK_BYTES)
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
            block = self.stream.read(_BLOCK_BYTES)
            cut = _first_whitespace(block) if block else 0
            if cut is not None:
                return tail + block[:cut]
            tail += block


def _first_whitespace(block: bytes) -> int | None:
    match = _WHITESPACE_BYTES.search(block)
    return None if match is None else match.start()
