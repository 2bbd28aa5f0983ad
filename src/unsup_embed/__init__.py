"""unsup-embed: self-supervised word embeddings from raw text with TensorFlow/Keras."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("unsup-embed")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0+unknown"

__all__ = ["__version__"]
