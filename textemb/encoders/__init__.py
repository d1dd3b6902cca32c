"""Encoder backends. Each lives in its own module and registers itself in :mod:`.registry`."""

from textemb.encoders.base import Encoder
from textemb.encoders.spec import Spec

__all__ = ["Encoder", "Spec"]
