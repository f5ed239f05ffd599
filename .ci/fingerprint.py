"""Prints the instruction set fastinit chose and a hash of many fills (every distribution,
dtype, odd offsets, strided views; both stream versions). .ci/portable.sh runs it natively and under qemu-x86_64 with
old CPU models; the hashes must be equal."""

import hashlib
import json

import numpy as np

import fastinit

h = hashlib.sha256()
for dtype in ("float32", "float64", "float16", "bfloat16"):
    for fill, args in (("uniform", (-1.0, 3.0)), ("normal", (0.5, 2.0)), ("trunc_normal", (0.0, 1.0, -0.7, 2.2)),
                       ("kaiming_normal", ()), ("xavier_uniform", ()), ("lecun_normal", ())):  # fmt: skip
        a = getattr(fastinit, fill)((301, 257), *args, dtype=dtype, seed=11, stream=fill, offset=0)
        h.update(a.tobytes())
        b = np.zeros((40, 60), a.dtype)[::-1, 1::2]
        getattr(fastinit, fill + "_")(b, *args, seed=11, stream=fill, offset=7)
        h.update(np.ascontiguousarray(b).tobytes())
for dtype in ("float32", "float64", "float16", "bfloat16"):  # stream version 2's normal family
    for fill, args in (("normal", (0.5, 2.0)), ("trunc_normal", (0.0, 1.0, -0.7, 2.2))):
        a = getattr(fastinit, fill)((301, 257), *args, dtype=dtype, seed=11, stream="v2", stream_version=2)
        h.update(a.tobytes())
        b = np.zeros((40, 60), dtype)[::-1, 1::2]
        getattr(fastinit, fill + "_")(b, *args, seed=11, stream="v2", offset=7, stream_version=2)
        h.update(np.ascontiguousarray(b).tobytes())
h.update(fastinit._core.words(11, 3, 2**40 + 1, 4099, "", 0, 2).tobytes())
print(json.dumps({"isa": fastinit.info()["isa"], "sha256": h.hexdigest()}))
