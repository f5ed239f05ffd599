"""Orthogonal, Identity and STFT: the initializers that make a matrix (or a bank of them) rather
than independent elements. Each derives from the Keras class of the same name."""

from __future__ import annotations

import math
from typing import Any

import keras
import numpy as np

from ..engine.aligned import aligned_empty
from ..engine.streams import StreamLike
from ..schemes import functional as _functional
from ..schemes.matrix import orthogonal_
from ._adapter import Adapter, check_real, from_config, public
from ._seeds import Seeded


@public
class Orthogonal(Seeded, keras.initializers.Orthogonal):  # type: ignore[misc]
    """keras.initializers.Orthogonal with fastinit values: the shape (at least 2-D) viewed as
    (prod(shape[:-1]), shape[-1]) is a (semi-)orthogonal matrix times gain, from fastinit.orthogonal
    (QR of a Gaussian matrix, sign-corrected by diag(R): Haar-distributed).

    Parameters
    ----------
    gain : float or scalar tensor, optional
        Default 1. As in Keras, gain <= 0 is taken: the matrix of gain 1 times gain (zeros for 0).
    <seed>
    <stream>

    Raises
    ------
    <seed raises>
    """

    _EXAMPLE = (
        "Orthogonal(gain=2.0, seed=0)",
        "bool(np.allclose(w.T @ w, 4 * np.eye(128), atol=1e-4))",
        "True",
    )

    def __init__(self, gain: Any = 1.0, seed: Any = None, *, stream: StreamLike = 0) -> None:
        self.gain = gain = from_config(gain)
        self._gain = check_real("Orthogonal", "gain", gain)
        super().__init__(seed, stream=stream)

    def _draw(self, shape: tuple[int, ...], dt: np.dtype) -> np.ndarray:
        if len(shape) < 2:
            raise ValueError(f"Orthogonal: the shape must be at least 2-D; got shape={shape}")
        if math.prod(shape) == 0:
            return np.zeros(shape, dt)
        g = self._gain
        q = orthogonal_(aligned_empty((math.prod(shape[:-1]), shape[-1]), dt), g if g > 0 else 1.0,
                        **self._placement())  # fmt: skip
        if g <= 0:
            q *= np.asarray(g, dt)  # as Keras: gain times the matrix (zeros for 0)
        return q.reshape(shape)

    def get_config(self) -> dict[str, Any]:
        """Keras's config (gain, seed) plus stream.

        <config>
        >>> fk.Orthogonal(gain=2.0, seed=0).get_config()
        {'seed': 0, 'stream': 0, 'gain': 2.0}
        """
        return {**super().get_config(), "gain": self.gain}


@public
class Identity(Adapter, keras.initializers.Identity):  # type: ignore[misc]
    """keras.initializers.Identity with fastinit: gain * I for a 2-D shape (rectangular allowed).

    Float tensors are made by fastinit.eye; integer and bool dtypes by Keras's code (which gives
    float32 for a float gain, as Keras).

    Parameters
    ----------
    gain : float or scalar tensor, optional
        Default 1.

    Raises
    ------
    TypeError
        gain is not a real number.
    ValueError
        gain is not finite; a shape that is not 2-D (when called).

    Examples
    --------
    >>> import keras, fastinit.keras as fk
    >>> keras.ops.convert_to_numpy(fk.Identity(2.0)((2, 3)))
    array([[2., 0., 0.],
           [0., 2., 0.]], dtype=float32)
    """

    def __init__(self, gain: Any = 1.0) -> None:
        self.gain = gain = from_config(gain)
        self._gain = check_real("Identity", "gain", gain)

    _KERAS_FOR_OTHER_DTYPES = True

    def _draw(self, shape: tuple[int, ...], dt: np.dtype) -> np.ndarray:
        if len(shape) != 2:
            raise ValueError(f"Identity: the shape must be 2-D; got shape={shape} of rank {len(shape)}")
        arr = _functional.eye(shape, dtype=dt)
        if self._gain != 1.0:
            arr = (arr.astype(np.float64) * self._gain).astype(dt)
        return arr

    def get_config(self) -> dict[str, Any]:
        """{"gain": gain}: Keras's Identity has an empty config, so a saved model reloads it
        with gain 1; fastinit's keeps the gain.

        <config>
        >>> fk.Identity(gain=2.0).get_config()
        {'gain': 2.0}
        """
        return {"gain": self.gain}


@public
class STFT(keras.initializers.STFT):  # type: ignore[misc]
    """keras.initializers.STFT (alias STFTInitializer) under fastinit's name: the real or
    imaginary part of the short-time Fourier transform's kernel, shape (frame_length, 1,
    fft_length // 2 + 1), windowed by a scipy.signal window and normalized.

    A deterministic kernel, with nothing to draw: the values are made by Keras's own code, so they
    are Keras's exactly. The class is fastinit's so that fastinit.keras.get("STFT") and a
    serialized model name fastinit ("fastinit>STFT").

    Parameters
    ----------
    side : {"real", "imag"}, optional
        Which part of the transform the kernel computes (default "real").
    window : str, array_like or None, optional
        A scipy.signal.windows name, the window's values, or None (default "hann").
    scaling : {"density", "spectrum"} or None, optional
        L2 ("density", default) or L1 ("spectrum") normalization of the window, or none.
    periodic : bool, optional
        A periodic window (default False).

    Raises
    ------
    ValueError
        An unknown side, window or scaling; when called, a shape that is not 3-D or a window
        whose length is not frame_length.

    Examples
    --------
    >>> import numpy as np, keras, fastinit.keras as fk
    >>> w = keras.ops.convert_to_numpy(fk.STFT("real", None)((4, 1, 3)))
    >>> w.shape, bool(np.allclose(w[:, 0, 0], 1.0))
    ((4, 1, 3), True)
    """

    def __init__(
        self, side: str = "real", window: Any = "hann", scaling: Any = "density", periodic: bool = False
    ):
        super().__init__(side, window, scaling, periodic)
