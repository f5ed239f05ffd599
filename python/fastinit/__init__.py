from ._version import __version__
from . import _core
