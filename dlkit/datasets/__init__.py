"""dlkit.datasets: small offline data sets (synthetic 2-D problems, curves, series, sklearn digits,
the shapes detection/segmentation set,
the NLP text sets: dates translation, reviews with negation, an embeddings corpus)
and download-once loaders for MNIST / Fashion-MNIST. Never imports TensorFlow."""
from .synthetic import *  # noqa: F401,F403
from .synthetic import __all__ as _synthetic_all
from .digits import *  # noqa: F401,F403
from .digits import __all__ as _digits_all
from .download import DatasetDownloadError, get_cache_dir  # noqa: F401
from .mnist import *  # noqa: F401,F403
from .mnist import __all__ as _mnist_all
from .sequences import *  # noqa: F401,F403
from .sequences import __all__ as _sequences_all
from .shapes import *  # noqa: F401,F403
from .shapes import __all__ as _shapes_all
from .text import *  # noqa: F401,F403
from .text import __all__ as _text_all

__all__ = [*_synthetic_all, *_digits_all, *_mnist_all, *_sequences_all, *_shapes_all, *_text_all,
           "DatasetDownloadError", "get_cache_dir"]
