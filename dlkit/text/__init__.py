"""dlkit.text: reference implementations of the NLP chapters' tools, in plain Python / NumPy.

- :mod:`dlkit.text.bpe`: byte-pair encoding (train merges, encode, decode), :mod:`dlkit.text.bpe_fast`
  (incremental counts, rank-based encoding: the same results, faster), :mod:`dlkit.text.tokenizer`
  (``BPETokenizer``: ids, special tokens);
- :mod:`dlkit.text.bleu`: corpus and sentence BLEU (scores in [0, 1]; sacrebleu reports 100 x);
- :mod:`dlkit.text.skipgram`: skip-gram pairs, the unigram^0.75 negative sampler and the SGNS loss with
  hand-written gradients;
- :mod:`dlkit.text.decoding`: greedy decoding, beam search and temperature / top-k / top-p sampling over
  any ``step_fn(prefix_ids) -> log_probs``;
- :mod:`dlkit.text.mlm`: BERT's 80/10/10 masked-language-model corruption of a batch of ids (``mask_tokens``).

Never imports TensorFlow, ``tokenizers`` or ``sacrebleu`` (the tests compare against them).
"""
from .bleu import *  # noqa: F401,F403
from .bleu import __all__ as _bleu_all
from .bpe import *  # noqa: F401,F403
from .bpe import __all__ as _bpe_all
from .bpe_fast import *  # noqa: F401,F403
from .bpe_fast import __all__ as _bpe_fast_all
from .decoding import *  # noqa: F401,F403
from .decoding import __all__ as _decoding_all
from .mlm import *  # noqa: F401,F403
from .mlm import __all__ as _mlm_all
from .skipgram import *  # noqa: F401,F403
from .skipgram import __all__ as _skipgram_all
from .tokenizer import *  # noqa: F401,F403
from .tokenizer import __all__ as _tokenizer_all

__all__ = [*_bpe_all, *_bpe_fast_all, *_tokenizer_all, *_bleu_all, *_skipgram_all, *_decoding_all, *_mlm_all]
