"""Labelled data: fastText, TSV and one file per class read to the same examples."""

import numpy as np
import pytest

from unsup_embed.errors import LabelledError
from unsup_embed.fusion.labelled import read_labelled, split_validation


def test_fasttext_lines(tmp_path):
    path = tmp_path / "train.ft"
    path.write_text("__label__pos a fine film\n\n__label__neg dull , dull\nwhat __label__pos a ride\n")
    data = read_labelled(path)
    assert data.label_names == ["neg", "pos"]
    assert data.texts == ["a fine film", "dull , dull", "what a ride"]
    assert data.labels.tolist() == [1, 0, 1]


def test_a_unicode_line_separator_stays_inside_its_row(tmp_path):
    path = tmp_path / "train.ft"
    # U+2028 and U+0085 end lines for str.splitlines(), but not in these files: rows end at \n or \r\n.
    path.write_text("__label__pos a fine\u2028film\r\n__label__neg dull\x85dull\n__label__pos last\n", encoding="utf-8", newline="")
    data = read_labelled(path)
    assert data.texts == ["a fine film", "dull dull", "last"]  # three rows; inside one, any whitespace parts tokens
    assert data.labels.tolist() == [1, 0, 1]
    tsv = tmp_path / "train.tsv"
    tsv.write_text("pos\ta fine\u2028film\nneg\tdull\n", encoding="utf-8", newline="")
    assert read_labelled(tsv, "tsv").texts == ["a fine\u2028film", "dull"]


def test_tsv_lines(tmp_path):
    path = tmp_path / "train.tsv"
    path.write_text("sport\tthe match\nart\ta painting\tin oil\nnews\ttoday\n")
    data = read_labelled(path)
    assert data.label_names == ["art", "news", "sport"]
    assert data.texts[1] == "a painting\tin oil" and data.labels.tolist() == [2, 0, 1]


def test_one_file_per_class_from_a_directory_or_several_files(tmp_path):
    (tmp_path / "reviews.pos").write_text("a fine film\nwhat a ride\n")
    (tmp_path / "reviews.neg").write_bytes("dull\nna\xefve and slow\n".encode("latin-1"))  # not UTF-8
    from_directory = read_labelled(tmp_path)
    from_files = read_labelled([tmp_path / "reviews.pos", tmp_path / "reviews.neg"])
    assert from_directory.label_names == from_files.label_names == ["neg", "pos"]
    assert sorted(from_directory.texts) == sorted(from_files.texts)
    assert "na\u00efve and slow" in from_directory.texts


def test_validation_labels_map_onto_the_training_classes(tmp_path):
    (tmp_path / "train.ft").write_text("__label__a x\n__label__b y\n")
    (tmp_path / "valid.ft").write_text("__label__b z\n__label__c w\n")
    train = read_labelled(tmp_path / "train.ft")
    with pytest.raises(LabelledError, match="'c' are not among the training classes"):
        read_labelled(tmp_path / "valid.ft", label_names=train.label_names)


@pytest.mark.parametrize(
    "content, label_format, message",
    [
        ("just some text\nmore text\n", "auto", "cannot tell the label format"),
        ("pos\tgood\nno tab here\n", "tsv", "line 2 is not 'LABEL<TAB>text'"),
        ("__label__pos good\nno label\n", "fasttext", "line 2 has no '__label__LABEL'"),
        ("__label__pos good\n__label__pos fine\n", "auto", "only the class 'pos'"),
    ],
)
def test_bad_labelled_files_name_the_problem(tmp_path, content, label_format, message):
    path = tmp_path / "data.txt"
    path.write_text(content)
    with pytest.raises(LabelledError, match=message):
        read_labelled(path, label_format)


def test_split_is_seeded_and_disjoint(tmp_path):
    path = tmp_path / "d.tsv"
    path.write_text("".join(f"{'ab'[i % 2]}\ttext {i}\n" for i in range(50)))
    data = read_labelled(path)
    train, valid = split_validation(data, 0.1, seed=3)
    again, _ = split_validation(data, 0.1, seed=3)
    assert len(valid) == 5 and len(train) == 45 and train.texts == again.texts
    assert not set(train.texts) & set(valid.texts)
    assert isinstance(train.labels, np.ndarray)


def test_missing_data_and_bad_split_are_labelled_errors(tmp_path):
    with pytest.raises(LabelledError, match="does not exist"):
        read_labelled(tmp_path / "nope.ft")
    (tmp_path / "empty").mkdir()
    with pytest.raises(LabelledError, match="holds no files"):
        read_labelled(tmp_path / "empty")
    with pytest.raises(LabelledError, match="label format must be one of"):
        read_labelled(tmp_path / "nope.ft", "csv")
    (tmp_path / "d.tsv").write_text("a\tx\nb\ty\n")
    with pytest.raises(LabelledError, match="too few"):
        split_validation(read_labelled(tmp_path / "d.tsv"), 0.9, seed=1)
    assert issubclass(LabelledError, ValueError)


@pytest.mark.parametrize("encoding, said", [("utf-16", "is UTF-16 text"), ("utf-16-le", "looks like UTF-16LE text"), ("utf-32", "is UTF-32 text")])
def test_labelled_text_in_utf16_or_utf32_is_refused_with_the_conversion(tmp_path, encoding, said):
    path = tmp_path / "data.tsv"
    path.write_bytes("pos\ta fine film\nneg\ta dull film\n".encode(encoding))
    with pytest.raises(LabelledError, match=f"data.tsv {said} .*; convert it to UTF-8, e.g. iconv -f"):
        read_labelled(path)


def test_training_examples_without_tokens_are_one_line_naming_the_cause():
    from unsup_embed.fusion.task_vocabulary import TaskVocabulary
    from unsup_embed.text.tokenizer import Tokenizer

    with pytest.raises(LabelledError, match=r"the training examples \(2\) hold no tokens: .*--token-pattern"):
        TaskVocabulary.build(["", "  ..."], Tokenizer(r"\w+"))
