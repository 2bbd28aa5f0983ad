"""Intrinsic evaluation of word vectors: analogies, word-pair similarity, neighbours.

The figures are computed with gensim's own `evaluate_word_analogies` (3CosAdd,
questions restricted to the `restrict` most frequent words, as word2vec's
`compute-accuracy` and gensim do) and `evaluate_word_pairs` (Spearman), so
they compare directly with figures published for gensim and word2vec. By
default: Google's analogy questions, WordSim-353 and SimLex-999 from the files
gensim ships in `gensim/test/test_data/`.

Google's sections named `gram*` are syntactic, the others semantic. The
out-of-vocabulary share is the part of the questions (or pairs) skipped because
a word is missing from the (restricted) vocabulary; accuracy is over the rest,
as gensim reports it.
"""

from __future__ import annotations

import logging
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path

from .errors import ConfigError
from .evaluate_subwords import analogy_figures, pair_figures
from .text.encodings import conversion_hint, wide_encoding
from .vectors import can_answer, is_subword_model

logger = logging.getLogger(__name__)

DEFAULT_RESTRICT = 30_000


def gensim_data(name: str) -> str:
    from gensim.test.utils import datapath

    return datapath(name)


def default_analogies() -> str:
    return gensim_data("questions-words.txt")


def default_pairs() -> list[str]:
    return [gensim_data("wordsim353.tsv"), gensim_data("simlex999.txt")]


@dataclass
class AnalogyResult:
    accuracy: float  # over questions whose words are all known
    semantic: float | None
    syntactic: float | None
    questions: int
    evaluated: int
    sections: dict[str, float] = field(default_factory=dict)
    from_ngrams: int = 0  # questions answered with an unseen word's n-gram vector (fastText models)

    @property
    def out_of_vocabulary(self) -> float:
        return 1.0 - self.evaluated / self.questions if self.questions else 0.0


@dataclass
class PairsResult:
    name: str
    spearman: float
    pearson: float
    out_of_vocabulary: float
    from_ngrams: int = 0  # pairs with an unseen word answered from its n-grams (fastText models)


@dataclass
class Evaluation:
    vectors: str
    words: int
    dim: int
    analogy: AnalogyResult | None
    pairs: list[PairsResult]
    subword_model: bool = False  # unseen words answered from their n-grams

    def as_dict(self) -> dict:
        result = asdict(self)
        if self.analogy is not None:
            result["analogy"]["out_of_vocabulary"] = self.analogy.out_of_vocabulary
        return result


def evaluate_analogies(vectors, questions: str | os.PathLike, restrict: int = DEFAULT_RESTRICT) -> AnalogyResult:
    if is_subword_model(vectors):
        counts, total_questions, from_ngrams = analogy_figures(vectors, questions, restrict)
    else:
        total_questions, from_ngrams = _count_questions(questions), 0
        _, found = vectors.evaluate_word_analogies(str(questions), restrict_vocab=restrict)
        counts = {each["section"]: [len(each["correct"]), len(each["correct"]) + len(each["incorrect"])] for each in found}
        counts.pop("Total accuracy", None)
    per_section = {}
    semantic = [0, 0]
    syntactic = [0, 0]
    for section, (correct, evaluated) in counts.items():
        if evaluated:
            per_section[section] = correct / evaluated
        bucket = syntactic if section.startswith("gram") else semantic
        bucket[0] += correct
        bucket[1] += evaluated
    evaluated = semantic[1] + syntactic[1]
    correct = semantic[0] + syntactic[0]
    return AnalogyResult(
        accuracy=correct / evaluated if evaluated else 0.0,
        semantic=semantic[0] / semantic[1] if semantic[1] else None,
        syntactic=syntactic[0] / syntactic[1] if syntactic[1] else None,
        questions=total_questions,
        evaluated=evaluated,
        sections=per_section,
        from_ngrams=from_ngrams,
    )


def evaluate_pairs(vectors, pairs_file: str | os.PathLike) -> PairsResult:
    if is_subword_model(vectors):
        spearman, pearson, skipped, from_ngrams = pair_figures(vectors, pairs_file)
        return PairsResult(Path(pairs_file).name, spearman, pearson, skipped, from_ngrams)
    try:
        pearson, spearman, oov_percent = vectors.evaluate_word_pairs(str(pairs_file))
    except ValueError:
        # scipy cannot correlate fewer than two known pairs.
        return PairsResult(name=Path(pairs_file).name, spearman=float("nan"), pearson=float("nan"), out_of_vocabulary=1.0)
    return PairsResult(
        name=Path(pairs_file).name,
        spearman=float(spearman[0]),
        pearson=float(pearson[0]),
        out_of_vocabulary=float(oov_percent) / 100.0,
    )


def evaluate(
    vectors,
    analogies: str | os.PathLike | None = None,
    pairs: list[str] | None = None,
    restrict: int | None = DEFAULT_RESTRICT,
    name: str = "vectors",
) -> Evaluation:
    """Every figure for loaded KeyedVectors (the default evaluation sets where None)."""
    analogies = analogies or default_analogies()
    pairs = pairs if pairs is not None else default_pairs()
    check_evaluation_file(analogies, questions=True)
    for pairs_file in pairs:
        check_evaluation_file(pairs_file, questions=False)
    gensim_logger = logging.getLogger("gensim")
    level = gensim_logger.level
    gensim_logger.setLevel(logging.WARNING)  # gensim logs every section at INFO
    try:
        analogy = evaluate_analogies(vectors, analogies, restrict)
        pair_results = [evaluate_pairs(vectors, pairs_file) for pairs_file in pairs]
    finally:
        gensim_logger.setLevel(level)
    return Evaluation(name, len(vectors), vectors.vector_size, analogy, pair_results, is_subword_model(vectors))


def nearest(vectors, words: list[str], topn: int = 10) -> dict[str, list[tuple[str, float]] | None]:
    """Nearest neighbours by cosine similarity; None for a word without a vector (a subword model has one for any word)."""
    return {word: vectors.most_similar(word, topn=topn) if can_answer(vectors, word) else None for word in words}


def format_table(evaluation: Evaluation) -> str:
    subword = evaluation.subword_model
    lines = [f"{evaluation.vectors}: {evaluation.words:,} words x {evaluation.dim}" + (" (a subword model: unseen words from their n-grams)" if subword else "")]
    columns = f"{'figure':<28}{'value':>8}{'OOV skipped':>14}" + (f"{'from n-grams':>14}" if subword else "")
    analogy = evaluation.analogy
    lines.append(columns)
    if analogy is not None:
        lines.append(f"{'analogy (all)':<28}{analogy.accuracy:>8.3f}{analogy.out_of_vocabulary:>14.1%}" + (f"{analogy.from_ngrams:>14,}" if subword else ""))
        for name, value in (("  semantic", analogy.semantic), ("  syntactic", analogy.syntactic)):
            lines.append(f"{name:<28}{_figure(value):>8}")
    for result in evaluation.pairs:
        lines.append(
            f"{result.name + ' (Spearman)':<28}{result.spearman:>8.3f}{result.out_of_vocabulary:>14.1%}" + (f"{result.from_ngrams:>14,}" if subword else "")
        )
    return "\n".join(lines)


def _figure(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"


def check_evaluation_file(path: str | os.PathLike, questions: bool) -> None:
    """One line (ConfigError) for an evaluation file gensim cannot read: missing, not UTF-8 (a traceback for
    analogies; for pairs, every pair counted as skipped and no figure), or (`questions`) a questions-words file
    whose first line is no section header (`: capital-common-countries`)."""
    kind = "questions-words analogies" if questions else "word-pairs"
    if not os.path.isfile(path):
        raise ConfigError(f"evaluation file {str(path)!r} does not exist")
    data = Path(path).read_bytes()
    encoding = wide_encoding(data)
    if encoding:
        raise ConfigError(f"evaluation file {str(path)!r} {conversion_hint(encoding)}")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise ConfigError(f"evaluation file {str(path)!r} is not UTF-8 text (byte {error.start:,}); give a {kind} file in UTF-8") from None
    first = next((line for line in text.splitlines() if line.strip()), "")
    if questions and not first.startswith(":"):
        raise ConfigError(
            f"{str(path)!r} is not a questions-words analogies file: it must start with a section line such as "
            f"': capital-common-countries', and it starts with {first[:40]!r}"
        )


def _count_questions(path: str | os.PathLike) -> int:
    with open(path, encoding="utf-8") as stream:
        return sum(1 for line in stream if line.strip() and not line.startswith(":"))
