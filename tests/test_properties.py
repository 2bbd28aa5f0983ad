"""Properties, fuzzed with hypothesis: ingestion never crashes, tokens never hold
whitespace, and any vocabulary the tokenizer can produce survives the word2vec
format, gensim's loader and ours exactly."""

import bz2
import gzip
import re
import tempfile
from pathlib import Path

import numpy as np
from gensim.models import KeyedVectors
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from unsup_embed.errors import CorpusError, VocabularyError
from unsup_embed.text.corpus import TextCorpus
from unsup_embed.text.ingest import ingest
from unsup_embed.text.tokenizer import Tokenizer
from unsup_embed.vectors import load_vectors, save_word2vec

SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
PATTERNS = st.sampled_from([r"\w+", r"\S+", r"[^,;]+", r".", r"(\w)(\w)?", r"[a-z ]+", r"\s*\w+\s*"])


@SETTINGS
@given(data=st.binary(max_size=3000), suffix=st.sampled_from([".txt", ".gz", ".bz2", ".xz", ""]))
def test_random_bytes_never_crash_ingestion(data, suffix):
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / f"corpus{suffix}"
        path.write_bytes(data)  # random bytes also under a compression suffix: a corrupt archive
        corpus = TextCorpus(path)
        for sentence in corpus:
            assert all(token and not re.search(r"\s", token) for token in sentence)
        assert corpus.stats.files_read + len(corpus.stats.skipped) == 1
        # The whole reading pass either encodes the text or says, as an input error, why it cannot.
        try:
            result = ingest(TextCorpus(path), Path(directory) / "work", 1, None, 2_000_000, processes=1, progress=False)
        except (CorpusError, VocabularyError) as error:
            assert "\n" not in str(error)
        else:
            assert result.corpus_tokens == corpus.stats.tokens and len(result.encoded) == corpus.stats.tokens


@SETTINGS
@given(text=st.text(max_size=400), pattern=PATTERNS, lowercase=st.booleans())
def test_no_token_contains_whitespace(text, pattern, lowercase):
    for token in Tokenizer(pattern, lowercase)(text):
        assert token
        assert not re.search(r"\s", token), repr(token)
        assert token.split() == [token]  # what gensim's and word2vec's readers split on


@SETTINGS
@given(
    text=st.one_of(st.text(max_size=400), st.text(st.characters(max_codepoint=127), max_size=400)),
    lowercase=st.booleans(),
)
def test_default_pattern_gives_the_regular_expressions_tokens(text, lowercase):
    # ASCII text takes a faster road than the regular expression; both must agree.
    expected = re.findall(r"\w+", text.lower() if lowercase else text)
    assert Tokenizer(lowercase=lowercase)(text) == expected
    mixed = text + " \u00e9t\u00e9 " + text  # not ASCII: the regular expression's own road
    assert Tokenizer(lowercase=lowercase)(mixed) == re.findall(r"\w+", mixed.lower() if lowercase else mixed)


@SETTINGS
@given(
    text=st.one_of(st.text(max_size=400), st.text(st.characters(max_codepoint=127), max_size=400)),
    pattern=PATTERNS,
    lowercase=st.booleans(),
)
def test_a_chunk_of_lines_gives_each_lines_tokens(text, pattern, lowercase):
    tokenizer = Tokenizer(pattern, lowercase)
    assert tokenizer.lines(text) == [tokenizer(line) for line in text.split("\n")]


@SETTINGS
@given(text=st.text(min_size=1, max_size=600), pattern=PATTERNS, dim=st.integers(1, 5))
def test_any_vocabulary_round_trips_through_both_formats(text, pattern, dim):
    words = list(dict.fromkeys(Tokenizer(pattern)(text)))  # unique, in order
    if not words:
        return
    vectors = np.random.default_rng(len(words)).normal(size=(len(words), dim)).astype(np.float32)
    with tempfile.TemporaryDirectory() as directory:
        for name, binary in (("v.bin", True), ("v.txt", False), ("v.vec.gz", False)):
            path = Path(directory) / name
            save_word2vec(path, words, vectors, binary=binary)
            readers = [lambda: load_vectors(path)]
            if not name.endswith(".gz"):
                readers.append(lambda: KeyedVectors.load_word2vec_format(str(path), binary=binary))
            for read in readers:
                loaded = read()
                assert loaded.index_to_key == words
                assert np.allclose(loaded.vectors, vectors, atol=1e-6)


def test_compressed_random_text_is_read_like_plain(tmp_path):
    text = "Hello wörld\nsecond LINE here\n"
    gzip.open(tmp_path / "a.gz", "wt", encoding="utf-8").write(text)
    bz2.open(tmp_path / "b.bz2", "wt", encoding="utf-8").write(text)
    sentences = list(TextCorpus(tmp_path))
    assert sentences == [["hello", "wörld"], ["second", "line", "here"]] * 2
