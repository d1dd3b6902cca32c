"""Request bodies of the JSON API (pydantic models; unknown fields are refused).

Types are checked here; the size caps (query length, k, batch size) are the server's
:class:`~textemb.serve.config.Limits`, checked by the endpoints so they can be configured.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

#: search modes the API accepts; a new Index mode (bm25, hybrid) is one more name here
SEARCH_MODES = ("hybrid", "dense", "bm25")  # textemb.search.index.MODES, the index default first
VECTOR_SEARCH = ("auto", "exact", "ann")
DOC_SCORES = ("max", "mean")
ANALOGY_METHODS = ("3cosadd", "3cosmul")


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class SearchRequest(_Body):
    """Body of POST /search."""

    query: str = Field(description="the text to search for")
    k: int = Field(10, description="documents to return (at most the server's max_k)")
    mode: Literal[SEARCH_MODES] = Field("hybrid", description="hybrid (dense + BM25, fused), dense (vectors) or bm25")
    vector_search: Literal[VECTOR_SEARCH] = Field(
        "auto", description="how the dense part searches: exact, ann (faiss HNSW) or auto (HNSW when the index has one)")
    doc_score: Literal[DOC_SCORES] = Field("max", description="document score: best passage or mean of passages")


class EncodeRequest(_Body):
    """Body of POST /encode."""

    texts: list[str] = Field(description="texts to encode (at most the server's max_batch)")
    normalize: bool = Field(False, description="scale each vector to unit length")


class NeighborsRequest(_Body):
    """Body of POST /neighbors."""

    word: str = Field(description="a word in the vocabulary")
    k: int = Field(10, description="neighbours to return")


class AnalogyRequest(_Body):
    """Body of POST /analogy: a : b :: c : ?"""

    a: str = Field(description="a in a : b :: c : ?")
    b: str
    c: str
    k: int = Field(5, description="answers to return")
    method: Literal[ANALOGY_METHODS] = "3cosadd"


class SimilarityRequest(_Body):
    """Body of POST /similarity."""

    pairs: list[tuple[str, str]] = Field(description="pairs of texts (or words) to compare")
    level: Literal["text", "word"] = Field("text", description="text: the encoder; word: the word vectors")


class PcaRequest(_Body):
    """Body of POST /pca."""

    words: list[str] = Field(description="words to place on a 2-D PCA scatter (unknown ones are listed as missing)")
