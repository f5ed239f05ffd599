# Stub of the compiled module fastinit._core (csrc/module.cpp and register_*.cpp). Private API:
# arguments arrive validated by the Python layer.
from typing import Final

import numpy as np
import numpy.typing as npt

__version__: Final[str]
stream_version: Final[int]
parallel_threshold: Final[int]

class NoMassError(ValueError): ...

def check_params(dist: int, values: list[float], dtype_code: int) -> None: ...
def fill(
    dist: int,
    values: list[float],
    dtype_code: int,
    arr: np.ndarray,
    logical_strides: list[int] | None,
    offset: int,
    seed: int,
    stream: int,
    isa: str = "",
) -> None: ...
def fill_raw(
    dist: int,
    values: list[float],
    dtype_code: int,
    data: int,
    shape: list[int] | tuple[int, ...],
    byte_strides: list[int],
    logical_strides: list[int] | None,
    offset: int,
    seed: int,
    stream: int,
    isa: str = "",
) -> None: ...
def words(
    seed: int, stream: int, first: int, n: int, isa: str = "", tag: int = 0
) -> npt.NDArray[np.uint32]: ...
def philox4x32(counters: npt.ArrayLike, key: npt.ArrayLike, rounds: int = 10) -> npt.NDArray[np.uint32]: ...
def isa() -> str: ...
def available_isas() -> list[str]: ...
def get_num_threads() -> int: ...
def set_num_threads(n: int) -> None: ...
def hardware_threads() -> int: ...
