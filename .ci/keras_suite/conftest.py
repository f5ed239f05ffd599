"""Keras's initializer tests, unmodified from the installed keras, run against fastinit.keras.

Loaded as a plugin (`-p conftest`, this folder on PYTHONPATH; .ci/run shows the command), before
the test files are imported, it

* replaces every name of keras.initializers (the public module and keras.src.initializers, which
  the test files and Keras's layers import) that fastinit.keras has, by fastinit's: the classes,
  their lowercase names and aliases, get, serialize and deserialize; and compute_fans in
  keras.src.initializers.random_initializers, which a test file imports by name. So
  `initializers.RandomNormal(...)` in a test, and `MultiHeadAttention(kernel_initializer=
  "lecun_normal")`, make fastinit's objects. `Initializer` (the base class) stays Keras's;
* stands in for the conftest.py of Keras's repository, which the wheel does not ship and the test
  files import (`from conftest import skip_if_backend`): its markers and its skipping of
  multi-device tests on a machine with one device.

The run fails at its start if keras.initializers.get does not give fastinit's objects, and at
its end if a replaced name was put back.
"""

from __future__ import annotations

import keras
import pytest
from keras.src import initializers as src_initializers
from keras.src.backend import backend
from keras.src.initializers import random_initializers

import fastinit.keras as fk

REPLACED = sorted(n for n in dir(keras.initializers) if not n.startswith("_") and n != "Initializer")
for _name in REPLACED:
    for _module in (keras.initializers, src_initializers):
        setattr(_module, _name, getattr(fk, _name))
random_initializers.compute_fans = fk.compute_fans


def skip_if_backend(given_backend: str, reason: str) -> pytest.MarkDecorator:
    """Keras's conftest.py helper: skip a test on the given backend."""
    return pytest.mark.skipif(backend() == given_backend, reason=reason)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "requires_trainable_backend: mark test for trainable backend only")
    config.addinivalue_line("markers", "multi_device: mark test for running with multiple devices only")
    if not isinstance(keras.initializers.get("lecun_normal"), fk.LecunNormal):
        raise pytest.UsageError("keras.initializers.get does not give fastinit's initializers")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    import jax

    if backend() != "jax":
        raise pytest.UsageError("run Keras's initializer tests with KERAS_BACKEND=jax")
    for item in items:
        if "multi_device" in item.keywords and jax.device_count() < 2:
            item.add_marker(pytest.mark.skip(reason="Requires multiple devices (as Keras's conftest.py)"))


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    for name in REPLACED:
        if getattr(src_initializers, name) is not getattr(fk, name):
            raise RuntimeError(f"keras.src.initializers.{name} is no longer fastinit's")
