"""get, serialize and deserialize with keras.initializers' names, resolving to fastinit's
classes: "HeNormal", "he_normal", Keras's compatibility aliases ("normal", "uniform", "one",
"zero", "IdentityInitializer", "OrthogonalInitializer", "STFTInitializer") and fastinit's
registered names ("fastinit>HeNormal"). Anything else (None, a callable, a tensor or array, a
class) is handled as keras.initializers.get handles it."""

from __future__ import annotations

import inspect
import re
from typing import Any

import keras

from . import _constant, _matrix, _random, _variance  # noqa: F401  (they define the classes)
from ._adapter import PUBLIC


def snake_case(name: str) -> str:
    """Keras's function-style name of a class: "GlorotUniform" -> "glorot_uniform", "STFT" -> "stft"."""
    return re.sub("([a-z])([A-Z])", r"\1_\2", re.sub("(.)([A-Z][a-z]+)", r"\1_\2", name)).lower()


_KERAS_GET = keras.initializers.get  # Keras's own, kept should keras.initializers.get be replaced by get
_BY_NAME = {cls.__name__: cls for cls in PUBLIC}
# keras.initializers' own table (its ALL_OBJECTS_DICT: names, snake_case names, aliases kept for
# compatibility), with fastinit's classes
OBJECTS: dict[str, Any] = {
    "Initializer": keras.initializers.Initializer,
    "initializer": keras.initializers.Initializer,
    **_BY_NAME,
    **{snake_case(name): cls for name, cls in _BY_NAME.items()},
    **{alias: _BY_NAME[name] for alias, name in (
        ("IdentityInitializer", "Identity"), ("normal", "RandomNormal"), ("one", "Ones"),
        ("STFTInitializer", "STFT"), ("OrthogonalInitializer", "Orthogonal"), ("uniform", "RandomUniform"),
        ("zero", "Zeros"),
    )},
}  # fmt: skip


def serialize(initializer: Any) -> dict[str, Any]:
    """keras.initializers.serialize: the initializer's config as a dict (a fastinit class's holds
    its registered name, "fastinit>ClassName", so any Keras deserializer returns fastinit's class).

    Parameters
    ----------
    initializer : keras.initializers.Initializer
        A fastinit or Keras initializer.

    Returns
    -------
    dict
        {"module", "class_name", "config", "registered_name"}.

    Raises
    ------
    TypeError, ValueError
        What keras.saving.serialize_keras_object raises for an object it cannot serialize.

    Examples
    --------
    >>> import fastinit.keras as fk
    >>> cfg = fk.serialize(fk.HeNormal(seed=0))
    >>> cfg["registered_name"], cfg["config"]["seed"]
    ('fastinit>HeNormal', 0)
    """
    out: dict[str, Any] = keras.saving.serialize_keras_object(initializer)
    return out


def deserialize(config: Any, custom_objects: dict[str, Any] | None = None) -> Any:
    """keras.initializers.deserialize with fastinit's classes: a config of serialize (fastinit's or
    Keras's) or a name; Keras's names give fastinit's classes.

    Parameters
    ----------
    config : dict or str
        A serialized initializer ({"class_name": ..., "config": ...}), or a name.
    custom_objects : dict, optional
        More names to resolve, as in Keras.

    Returns
    -------
    Initializer
        For a name alone (a str), the name itself when it is unknown, as Keras.

    Raises
    ------
    TypeError, ValueError
        A config Keras cannot deserialize.

    Examples
    --------
    >>> import fastinit.keras as fk
    >>> type(fk.deserialize({"class_name": "he_normal", "config": {"seed": 1}})).__module__
    'fastinit.keras._variance'
    """
    return keras.saving.deserialize_keras_object(
        config, module_objects=OBJECTS, custom_objects=custom_objects
    )


def get(identifier: Any) -> Any:
    """keras.initializers.get with fastinit's classes: a name ("he_normal", "HeNormal",
    "fastinit>HeNormal", ...) or a config dict gives a fastinit initializer; None, a callable, a
    class, a tensor or an array are handled as Keras handles them.

    Parameters
    ----------
    identifier : str, dict, callable, class, tensor, array or None

    Returns
    -------
    Initializer, callable or None

    Raises
    ------
    ValueError
        An identifier that names no initializer, as Keras.

    Examples
    --------
    >>> import fastinit.keras as fk
    >>> type(fk.get("glorot_uniform")) is fk.GlorotUniform
    True
    >>> fk.get(None) is None
    True
    """
    if isinstance(identifier, dict):
        obj = deserialize(identifier)
    elif isinstance(identifier, str):
        obj = deserialize({"class_name": identifier, "config": {}})
    else:
        return _KERAS_GET(identifier)
    if not callable(obj):
        raise ValueError(f"Could not interpret initializer identifier: {identifier}")
    return obj() if inspect.isclass(obj) else obj
