"""Word analogies (a : b :: c : ?), evaluated in batches exactly as gensim counts them.

The modules inside are private: ``_evaluate`` (the evaluator), ``_kernel`` (the pruned candidate scan),
``_exact`` (gensim's own float32 arithmetic for near ties), ``_result`` (the result object) and
``_groups`` (the classic analogy pictures). What is listed in ``__all__`` is the public API.
"""

from textemb.evaluation.analogy._evaluate import METHODS, OOV_POLICIES, as_word_vectors, evaluate_analogies, ok_vocab
from textemb.evaluation.analogy._groups import ANALOGY_GROUPS, analogy_pairs_figure, group_words
from textemb.evaluation.analogy._kernel import top_candidates

__all__ = [
    "ANALOGY_GROUPS", "METHODS", "OOV_POLICIES", "analogy_pairs_figure", "as_word_vectors", "evaluate_analogies",
    "group_words", "ok_vocab", "top_candidates",
]
