"""Text that is not UTF-8 but UTF-16 or UTF-32, told apart from binary data by its first bytes.

Every reader of text here takes UTF-8 (a corpus, labelled examples). A file
saved as UTF-16 or UTF-32 (Windows' "Unicode", some exports) is full of NUL
bytes, so it would be skipped as binary or read as garbage. `wide_encoding`
names such an encoding, from a byte-order mark or, for UTF-16 without one,
from Latin-script text's pattern (one byte of each pair NUL, the other
never), so the reader can say how to convert the file. Left out on purpose:
guessing the encoding of any other text (Latin-1, say), which has no NUL
bytes to tell it by.

Reference: the Unicode Standard, section 23.8 (byte-order marks).
"""

from __future__ import annotations

import codecs

_HEAD_BYTES = 4096  # what the pattern of UTF-16 without a mark is judged on
_MARKS = (("UTF-32", (codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)), ("UTF-16", (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)))


def wide_encoding(data: bytes) -> str | None:
    """"UTF-32", "UTF-16" (with a byte-order mark), "UTF-16LE" or "UTF-16BE" (without), or None, from a file's first bytes."""
    head = data[:_HEAD_BYTES]
    for name, marks in _MARKS:  # UTF-32's little-endian mark starts with UTF-16's: tried first
        if head.startswith(marks):
            return name
    if len(head) >= 8:
        nul_even, nul_odd = head[0::2].count(0) / len(head[0::2]), head[1::2].count(0) / len(head[1::2])
        for name, nul, other in (("UTF-16LE", nul_odd, nul_even), ("UTF-16BE", nul_even, nul_odd)):
            if nul > 0.9 and other < 0.05:
                return name
    return None


def conversion_hint(encoding: str) -> str:
    """What a file in `encoding` is, and the command that converts it to UTF-8."""
    if encoding in ("UTF-16", "UTF-32"):
        what = f"is {encoding} text (it starts with a {encoding} byte-order mark)"
    else:
        what = f"looks like {encoding} text (every other byte is NUL)"
    return f"{what}; convert it to UTF-8, e.g. iconv -f {encoding} -t UTF-8"
