"""textemb: text embeddings behind one Encoder interface, and fast reproducible evaluation.

>>> import textemb
>>> glove = textemb.load_encoder("glove-6b-50d")
>>> glove.analogy("man", "king", "woman")[0][0]
'queen'
"""

from textemb.encoders.base import Encoder
from textemb.encoders.registry import load_encoder, register
from textemb.encoders.spec import Spec
from textemb.errors import TextembError
from textemb.vectors import WordVectors

__version__ = "0.1.0"
__all__ = ["Encoder", "Spec", "WordVectors", "TextembError", "load_encoder", "register", "__version__"]
