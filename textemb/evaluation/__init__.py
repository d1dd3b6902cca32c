"""Evaluation: analogies, similarity benchmarks, result objects and reports.

Evaluators take an Encoder or WordVectors and return an :class:`EvalResult`; rendering is
separate (:func:`write_report`); a saved ``.json`` report loads back with :func:`load_results` and
renders the same report, plots included. Heavy libraries (matplotlib, scikit-learn) load lazily.
"""

from textemb.evaluation.analogy import evaluate_analogies
from textemb.evaluation.datasets import NAMED_DATASETS, resolve_dataset
from textemb.evaluation.report import load_results, render, write_report
from textemb.evaluation.result import EvalResult
from textemb.evaluation.similarity import evaluate_documents, evaluate_sentence_pairs, evaluate_word_pairs

__all__ = [
    "EvalResult", "NAMED_DATASETS", "evaluate_analogies", "evaluate_documents", "evaluate_sentence_pairs",
    "evaluate_word_pairs", "load_results", "render", "resolve_dataset", "write_report",
]
