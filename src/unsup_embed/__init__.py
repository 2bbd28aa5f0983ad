"""unsup-embed: self-supervised word embeddings from raw text with TensorFlow/Keras.

The public API is re-exported here. Names that need TensorFlow are imported
on first use, so `import unsup_embed` (and the CLI's --help) stays fast.
"""

from importlib import import_module
from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("unsup-embed")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0+unknown"

_EXPORTS = {
    "TrainConfig": "config",
    "ConfigError": "config",
    "TextCorpus": "corpus",
    "Tokenizer": "corpus",
    "Vocabulary": "vocab",
    "EncodedCorpus": "encode",
    "skipgram_pairs": "pairs",
    "SkipGramModel": "model",
    "train": "train",
    "TrainResult": "train",
    "collapse_report": "collapse",
    "save_word2vec": "export",
    "load_vectors": "evaluate",
    "evaluate": "evaluate",
    "fuse": "fusion",
    "FusionConfig": "fusion",
    "embedding_matrix": "sources",
    "FusedEmbedding": "fused_embedding",
}

__all__ = ["__version__", *_EXPORTS]


def __getattr__(name: str):
    if name in _EXPORTS:
        return getattr(import_module(f".{_EXPORTS[name]}", __name__), name)
    raise AttributeError(f"module 'unsup_embed' has no attribute {name!r}")
