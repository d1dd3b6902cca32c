"""Encoder backends. Each lives in its own module and registers itself in :mod:`.registry`."""

from textemb.encoders.base import Encoder

__all__ = ["Encoder"]
