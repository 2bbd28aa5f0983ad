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
    "RunOptions": "config",
    "UnsupEmbedError": "errors",
    "InputError": "errors",
    "ConfigError": "errors",
    "RunFailure": "errors",
    "TextCorpus": "text.corpus",
    "Tokenizer": "text.tokenizer",
    "Vocabulary": "text.vocab",
    "EncodedCorpus": "text.encode",
    "Word2VecModel": "word2vec.model",
    "train": "training.run",
    "TrainResult": "training.run",
    "collapse_report": "training.collapse",
    "load_vectors": "vectors",
    "save_word2vec": "vectors",
    "evaluate": "evaluate",
    "fuse": "fusion.fuse",
    "FusionConfig": "fusion.config",
    "embedding_matrix": "fusion.sources",
    "FusedEmbedding": "fusion.layer",
}

__all__ = ["__version__", *_EXPORTS]


def __getattr__(name: str):
    if name in _EXPORTS:
        return getattr(import_module(f".{_EXPORTS[name]}", __name__), name)
    raise AttributeError(f"module 'unsup_embed' has no attribute {name!r}")
