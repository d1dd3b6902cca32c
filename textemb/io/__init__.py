"""Readers and writers for vector formats, the on-disk cache, and safe-loading rules."""
