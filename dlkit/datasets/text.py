"""Offline, seeded text data sets for the NLP chapters (pure Python / NumPy, nothing downloaded).

* :func:`~dlkit.datasets.make_dates` / :func:`~dlkit.datasets.load_dates` -- dates in eight English
  formats -> ISO dates, a small translation task that needs alignment and reordering (``text_dates.py``);
* :func:`~dlkit.datasets.make_reviews` / :func:`~dlkit.datasets.load_reviews` -- templated reviews with
  negation, intensifiers and contrast, where word order decides the sentiment (``text_reviews.py``);
* :func:`~dlkit.datasets.make_corpus` -- templated sentences over several semantic fields for word
  embeddings, BPE and masked-language-model pretraining (``text_corpus.py``);
* :class:`~dlkit.datasets.Vocabulary` and :func:`~dlkit.datasets.pad_sequences` -- token ids and
  Keras-style padding (``text_vocab.py``).
"""
from .text_vocab import *  # noqa: F401,F403
from .text_vocab import __all__ as _vocab_all
from .text_dates import *  # noqa: F401,F403
from .text_dates import __all__ as _dates_all
from .text_reviews import *  # noqa: F401,F403
from .text_reviews import __all__ as _reviews_all
from .text_corpus import *  # noqa: F401,F403
from .text_corpus import __all__ as _corpus_all

__all__ = [*_vocab_all, *_dates_all, *_reviews_all, *_corpus_all]
