"""calculate_gain: torch.nn.init's table of recommended gains."""

from __future__ import annotations

import math

__all__ = ["calculate_gain"]

_UNIT_GAIN = {
    "linear", "conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d",
    "conv_transpose3d", "sigmoid",
}  # fmt: skip


def calculate_gain(nonlinearity: str, param: float | None = None) -> float:
    """The recommended gain for a nonlinearity, as torch.nn.init.calculate_gain:
    linear, conv*, conv_transpose*, sigmoid -> 1; tanh -> 5/3; relu -> sqrt(2);
    leaky_relu -> sqrt(2 / (1 + slope**2)) with slope = param (0.01 when None); selu -> 3/4.

    Parameters
    ----------
    nonlinearity : str
        One of "linear", "conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d",
        "conv_transpose3d", "sigmoid", "tanh", "relu", "leaky_relu", "selu".
    param : float, optional
        The negative slope of "leaky_relu" (default 0.01); ignored for the others.

    Returns
    -------
    float
        The gain.

    Raises
    ------
    ValueError
        An unknown nonlinearity, or a leaky_relu slope that is not a finite number.

    Examples
    --------
    >>> import fastinit
    >>> fastinit.calculate_gain("relu") == 2**0.5
    True
    >>> round(fastinit.calculate_gain("leaky_relu", 0.2), 6)
    1.38675
    """
    if not isinstance(nonlinearity, str):  # (torch's ValueError below; an array is unhashable)
        nonlinearity = repr(nonlinearity)
    if nonlinearity in _UNIT_GAIN:
        return 1.0
    if nonlinearity == "tanh":
        return 5.0 / 3
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        if param is None:
            slope = 0.01
        elif isinstance(param, bool) or not isinstance(param, (int, float)) or not math.isfinite(param):
            raise ValueError(f"calculate_gain: negative_slope param={param!r} is not a valid number")
        else:
            slope = float(param)
        return math.sqrt(2.0 / (1 + slope**2))
    if nonlinearity == "selu":
        return 3.0 / 4
    allowed = sorted(_UNIT_GAIN | {"tanh", "relu", "leaky_relu", "selu"})
    raise ValueError(
        f"calculate_gain: unsupported nonlinearity {nonlinearity!r}; allowed: {', '.join(allowed)}"
    )
