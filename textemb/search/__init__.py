"""Semantic search over documents: parsing, chunking, the on-disk index."""
