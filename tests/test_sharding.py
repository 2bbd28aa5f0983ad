import gzip
import itertools
from collections import Counter

import numpy as np
import pytest

from unsup_embed.text.corpus import TextCorpus
from unsup_embed.text.ingest import ingest
from unsup_embed.text.shards import shard_ranges
from unsup_embed.text.vocab import Vocabulary, encode_counts, merge_encoded_counts


def tokens(corpus) -> list[str]:
    return [token for sentence in corpus for token in sentence]


def sharded_tokens(path, shards: int) -> list[list[str]]:
    return [tokens(TextCorpus(path, shard=(index, shards))) for index in range(shards)]


def long_line(word_count: int) -> str:
    """One line with no newline, words of varying length so shard cuts land inside words."""
    return " ".join(f"w{index % 997}x{'y' * (index % 5)}" for index in range(word_count))


def write_plain_files(directory) -> None:
    (directory / "a.txt").write_text("Alpha beta délta\nε gamma  beta\n\nzeta alpha\n", encoding="utf-8")
    (directory / "b").mkdir()
    (directory / "b" / "c.txt").write_text("\n".join(f"line {index} délta ε" for index in range(300)) + "\n", encoding="utf-8")
    (directory / "long.txt").write_text(long_line(200_000), encoding="utf-8")


# --- shard_ranges: pure arithmetic over byte counts ---

SIZES = [10, 0, 7, 33, 1, 0, 25]
COMPRESSED = [False, False, True, False, False, True, False]


@pytest.mark.parametrize("shards", [1, 2, 3, 4, 7, 13, 200])
def test_shard_ranges_cover_every_plain_byte_once_in_order(shards):
    expected = [(number, byte) for number, size in enumerate(SIZES) if not COMPRESSED[number] for byte in range(size)]
    covered = [
        (number, byte)
        for shard in range(shards)
        for number, start, stop in shard_ranges(SIZES, COMPRESSED, shard, shards)
        if not COMPRESSED[number]
        for byte in range(start, stop)
    ]
    assert covered == expected


@pytest.mark.parametrize("shards", [1, 2, 3, 4, 7, 13, 200])
def test_shard_ranges_give_each_compressed_file_whole_to_one_shard(shards):
    for number, size in enumerate(SIZES):
        if not COMPRESSED[number]:
            continue
        owners = [
            (shard, start, stop)
            for shard in range(shards)
            for file_number, start, stop in shard_ranges(SIZES, COMPRESSED, shard, shards)
            if file_number == number
        ]
        assert len(owners) == 1
        assert owners[0][1:] == (0, size)


def test_compressed_file_goes_to_the_shard_its_first_byte_falls_in():
    # 40 bytes in two shards of 20: the compressed file starts at byte 15, in shard 0.
    assert shard_ranges([15, 25], [False, True], 0, 2) == [(0, 0, 15), (1, 0, 25)]
    assert shard_ranges([15, 25], [False, True], 1, 2) == []


# --- TextCorpus(path, shard=(i, n)) ---


def test_boundary_inside_a_token_gives_the_token_to_the_earlier_shard(tmp_path):
    (tmp_path / "a.txt").write_text("abcd ef")  # 7 bytes: shard 1 starts at byte 3, inside "abcd"
    assert sharded_tokens(tmp_path / "a.txt", 2) == [["abcd"], ["ef"]]


def test_boundary_on_whitespace_splits_between_tokens(tmp_path):
    (tmp_path / "a.txt").write_text("abc de")  # 6 bytes: shard 1 starts at byte 3, a space
    assert sharded_tokens(tmp_path / "a.txt", 2) == [["abc"], ["de"]]


def test_boundary_at_the_start_of_a_token_gives_it_to_one_shard(tmp_path):
    (tmp_path / "a.txt").write_text("a bcd")  # 5 bytes: shard 1 starts at byte 2, the "b"
    assert sharded_tokens(tmp_path / "a.txt", 2) == [["a"], ["bcd"]]


def test_line_cut_by_a_boundary_becomes_two_sentences(tmp_path):
    (tmp_path / "a.txt").write_text("one two three four\n")
    shards = [list(TextCorpus(tmp_path / "a.txt", shard=(index, 2))) for index in range(2)]
    assert shards == [[["one", "two", "three"]], [["four"]]]


def test_compressed_file_is_read_whole_by_its_shard(tmp_path):
    text = "rho sigma tau\n" * 500  # compresses to far fewer bytes than it holds
    with gzip.open(tmp_path / "z.txt.gz", "wt", encoding="utf-8") as stream:
        stream.write(text)
    assert sharded_tokens(tmp_path / "z.txt.gz", 1) == [text.split()]


@pytest.mark.parametrize(
    "shards",
    # With 7 shards, shard 2 starts on the first byte of "w802xyyyy" in long.txt.
    [1, 2, 3, 7],
)
def test_shards_of_plain_files_read_every_token_once_in_order(tmp_path, shards):
    write_plain_files(tmp_path)
    whole = tokens(TextCorpus(tmp_path))
    assert [token for shard in sharded_tokens(tmp_path, shards) for token in shard] == whole


@pytest.mark.parametrize("shards", [1, 2, 3, 7])
def test_shards_of_mixed_plain_and_compressed_files_read_every_token_once_in_order(tmp_path, shards):
    write_plain_files(tmp_path)
    with gzip.open(tmp_path / "d.txt.gz", "wt", encoding="utf-8") as stream:
        stream.write("rho délta sigma\n" * 400)
    whole = tokens(TextCorpus(tmp_path))
    assert [token for shard in sharded_tokens(tmp_path, shards) for token in shard] == whole


def test_single_line_file_is_split_roughly_evenly_between_two_shards(tmp_path):
    (tmp_path / "long.txt").write_text(long_line(200_000))
    first, second = sharded_tokens(tmp_path / "long.txt", 2)
    assert 90_000 < len(first) < 110_000
    assert len(first) + len(second) == 200_000


# --- vocabulary counts merged across shards ---

# Hand-checkable: a, b, c and d all occur twice; b is seen first, then a, c, d.
FIRST_HALF = [["b", "a", "c"], ["a", "délta"]]
SECOND_HALF = [["d", "c", "ε"], ["b", "d"]]

_directories = itertools.count()


def as_corpus(sentences_or_corpus, root) -> TextCorpus:
    if isinstance(sentences_or_corpus, TextCorpus):
        return sentences_or_corpus
    path = root / f"sentences-{next(_directories)}.txt"
    path.write_text("".join(" ".join(sentence) + "\n" for sentence in sentences_or_corpus), encoding="utf-8")
    return TextCorpus(path)


def read(corpus: TextCorpus, root, merge=None):
    """One ingestion pass of `corpus` into a fresh work directory under `root`."""
    return ingest(corpus, root / f"work-{next(_directories)}", 1, None, 2_000_000, processes=1, progress=False, merge=merge)


def payload(sentences_or_corpus, root) -> bytes:
    """The counts a worker sends to its peers: what the ingestion pass hands to `merge`."""
    sent = []

    def keep_own(own: bytes) -> list[bytes]:
        sent.append(own)
        return [own]

    read(as_corpus(sentences_or_corpus, root), root, merge=keep_own)
    (own,) = sent
    return own


@pytest.fixture()
def root(tmp_path):
    """Where sentence files and work directories go, apart from any corpus folder."""
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    return scratch


def merged_vocabulary(sentence_groups, root) -> Vocabulary:
    return Vocabulary.from_counts(*merge_encoded_counts([payload(group, root) for group in sentence_groups]), min_count=1)


def test_merged_shard_counts_give_the_same_vocabulary_as_one_pass(root):
    whole = read(as_corpus(FIRST_HALF + SECOND_HALF, root), root).vocabulary
    merged = merged_vocabulary([FIRST_HALF, SECOND_HALF], root)
    assert whole.words == ["b", "a", "c", "d", "délta", "ε"]
    assert merged.words == whole.words
    assert merged.counts.tolist() == whole.counts.tolist() == [2, 2, 2, 2, 1, 1]
    assert merged.digest() == whole.digest()


def test_merged_counts_sum_tokens_seen_and_honour_min_count(root):
    counts, seen_tokens = merge_encoded_counts([payload(FIRST_HALF, root), payload(SECOND_HALF, root)])
    assert seen_tokens == 10
    assert Vocabulary.from_counts(counts, seen_tokens, min_count=2).words == ["b", "a", "c", "d"]


def test_merge_order_changes_only_the_order_of_ties(root):
    forward = merge_encoded_counts([payload(FIRST_HALF, root), payload(SECOND_HALF, root)])
    backward = merge_encoded_counts([payload(SECOND_HALF, root), payload(FIRST_HALF, root)])
    assert forward == backward  # Counter equality ignores order
    reordered = Vocabulary.from_counts(*backward, min_count=1)
    assert reordered.words == ["d", "c", "b", "a", "ε", "délta"]  # first seen first, payload by payload
    assert reordered.digest() != merged_vocabulary([FIRST_HALF, SECOND_HALF], root).digest()


def test_merge_order_does_not_matter_without_ties(root):
    first, second = [["x", "y", "x"]], [["z", "x", "y", "z", "z", "z"]]
    assert merged_vocabulary([first, second], root).words == merged_vocabulary([second, first], root).words == ["z", "x", "y"]
    assert merged_vocabulary([first, second], root).digest() == merged_vocabulary([second, first], root).digest()


def test_merged_counts_of_real_corpus_shards_match_one_pass(tmp_path, root):
    corpus_path = tmp_path / "corpus"
    corpus_path.mkdir()
    write_plain_files(corpus_path)
    whole = read(TextCorpus(corpus_path), root)
    payloads = [payload(TextCorpus(corpus_path, shard=(index, 2)), root) for index in range(2)]
    merged = Vocabulary.from_counts(*merge_encoded_counts(payloads), min_count=1)
    assert merged.words == whole.vocabulary.words
    assert merged.counts.tolist() == whole.vocabulary.counts.tolist()
    assert merged.digest() == whole.vocabulary.digest()


def test_workers_merging_their_counts_encode_their_shards_with_the_same_ids(tmp_path, root):
    """What multi-worker training does: each worker reads its shard, all merge counts, each encodes its own shard."""
    corpus_path = tmp_path / "corpus"
    corpus_path.mkdir()
    write_plain_files(corpus_path)
    whole = read(TextCorpus(corpus_path), root)
    shards = [TextCorpus(corpus_path, shard=(index, 3)) for index in range(3)]
    payloads = [payload(shard, root) for shard in shards]

    def all_gather(index):
        def merge(own: bytes) -> list[bytes]:
            assert own == payloads[index]  # a second read of a shard sends the same counts
            return payloads

        return merge

    workers = [read(shard, root, merge=all_gather(index)) for index, shard in enumerate(shards)]
    for worker in workers:
        assert worker.vocabulary.digest() == whole.vocabulary.digest()
        assert worker.corpus_tokens == whole.corpus_tokens  # tokens of all shards, as merged
    ids = np.concatenate([np.fromfile(worker.encoded.ids_path, dtype=np.int32) for worker in workers])
    np.testing.assert_array_equal(ids, np.fromfile(whole.encoded.ids_path, dtype=np.int32))
    assert sum(worker.stats.tokens for worker in workers) == whole.stats.tokens


def test_payload_round_trips_non_ascii_words_in_order():
    counts = Counter({"délta": 3, "ε": 2, "日本": 1, "naïve": 5})
    assert merge_encoded_counts([encode_counts(counts, 11)]) == (counts, 11)
    assert list(merge_encoded_counts([encode_counts(counts, 11)])[0]) == ["délta", "ε", "日本", "naïve"]


def test_empty_shard_contributes_nothing_to_the_merge(root):
    empty = encode_counts(Counter(), 0)
    counts, seen_tokens = merge_encoded_counts([empty, payload(FIRST_HALF, root), empty])
    assert (counts, seen_tokens) == (Counter({"a": 2, "b": 1, "c": 1, "délta": 1}), 5)
