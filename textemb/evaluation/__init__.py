"""Evaluation: analogies, similarity benchmarks, retrieval, reports."""
