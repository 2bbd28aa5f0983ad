"""A `.zip` corpus file read as one stream of text: its members one after another.

text8 and many other corpora are handed out zipped, and unzipping a 100 MB
corpus first is a step a user should not need. `open_zip(raw)` takes the
open `.zip` file and returns a binary stream of its members' bytes in the
archive's order, a newline between two members, so that a sentence never
runs from one member into the next. Folders, hidden members (a name part
starting with "."), and the `__MACOSX/` metadata that macOS adds are left
out. Members are decompressed as they are read; nothing is held whole.

An archive read this way is read whole by one reader, like a `.gz` file:
its bytes cannot be split into shards.
"""

from __future__ import annotations

import io
import zipfile


def text_members(archive: zipfile.ZipFile) -> list[zipfile.ZipInfo]:
    """The members read as text, in the archive's order."""
    return [
        member
        for member in archive.infolist()
        if not member.is_dir() and not any(part.startswith(".") or part == "__MACOSX" for part in member.filename.split("/"))
    ]


class ZipText(io.RawIOBase):
    """The bytes of an archive's text members, one after another (`read(size)`), a newline between two."""

    def __init__(self, raw):
        self._archive = zipfile.ZipFile(raw)
        self._members = text_members(self._archive)
        self._current = None
        self._between = b""  # the newline owed before the next member

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)

    def read(self, size: int = -1) -> bytes:
        if size is None or size < 0:
            return b"".join(iter(lambda: self.read(1 << 20), b""))
        while True:
            if self._between:
                data, self._between = self._between[:size], self._between[size:]
                return data
            if self._current is None:
                if not self._members:
                    return b""
                self._current = self._archive.open(self._members.pop(0))
            data = self._current.read(size)
            if data:
                return data
            self._current.close()
            self._current = None
            if self._members:
                self._between = b"\n"

    def close(self) -> None:
        if self._current is not None:
            self._current.close()
        self._archive.close()
        super().close()


def open_zip(raw, mode: str = "rb") -> ZipText:
    """`raw` (an open `.zip` file) as the stream of its text members; the same call shape as `gzip.open(raw, "rb")`."""
    if mode != "rb":
        raise ValueError("a .zip corpus is read only, in binary")
    return ZipText(raw)
