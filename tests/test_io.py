"""fastinit.io: initialized checkpoints written window by window — equal to the in-memory
values, readable by the safetensors package and numpy, with peak memory independent of size."""

from __future__ import annotations

import io
import json
import re
import sys

import numpy as np
import pytest

import fastinit
import fastinit.io as fio
from conftest import run_python

ml_dtypes = pytest.importorskip("ml_dtypes")

SPECS = {
    "embed.weight": ((1000, 64), "float32", ("normal", {"std": 0.02})),
    "layers.0.up.weight": ((256, 64), "bfloat16", "kaiming_uniform"),
    "layers.0.up.bias": ((256,), "float32", "zeros"),
    "layers.0.norm.weight": ((64,), "float16", "ones"),
    "layers.0.rec.weight": ((64, 64), "float64", "orthogonal"),
    "conv.weight": ((8, 4, 3, 3), "float32", "dirac"),
    "head.weight": ((64, 1000), "float32", ("trunc_normal", {"std": 0.02, "a": -0.04, "b": 0.04})),
}


def _expected(name, shape, dtype, scheme):
    key, kwargs = (scheme, {}) if isinstance(scheme, str) else scheme
    extra = {} if key in ("zeros", "ones", "dirac", "eye", "constant") else {"seed": 5, "stream": name}
    return getattr(fastinit, key)(shape, dtype=dtype, **kwargs, **extra)


def test_safetensors_equals_in_memory_and_is_readable(tmp_path):
    safetensors_numpy = pytest.importorskip("safetensors.numpy")
    path = tmp_path / "model.safetensors"
    fio.write_safetensors(path, SPECS, seed=5, metadata={"format": "pt"}, window_bytes=4096)
    loaded = safetensors_numpy.load_file(str(path))
    assert loaded.keys() == SPECS.keys()
    for name, spec in SPECS.items():
        expected = _expected(name, *spec)
        assert loaded[name].shape == expected.shape
        assert loaded[name].tobytes() == expected.tobytes(), name
    header_len = int.from_bytes(path.read_bytes()[:8], "little")
    assert header_len % 8 == 0
    assert json.loads(path.read_bytes()[8 : 8 + header_len])["__metadata__"] == {"format": "pt"}


def test_npy_equals_in_memory(tmp_path):
    path = tmp_path / "w.npy"
    fio.write_npy(path, (300, 17), "float32", "xavier_uniform", seed=2, stream="w", window_bytes=100)
    np.testing.assert_array_equal(np.load(path), fastinit.xavier_uniform((300, 17), seed=2, stream="w"))


def test_bad_scheme_writes_nothing(tmp_path):
    path = tmp_path / "x.safetensors"
    with pytest.raises(ValueError, match="scheme='gaussian'"):
        fio.write_safetensors(path, {"w": ((4, 4), "float32", "gaussian")}, seed=0)
    assert not path.exists()


PEAK = """
import resource, sys, fastinit.io as fio
rows = int(sys.argv[1])
fio.write_safetensors(sys.argv[2], {"w": ((rows, 4096), "float32", "kaiming_normal"),
                                    "b": ((rows, 2048), "bfloat16", ("normal", {"std": 0.02}))}, seed=1)
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""


def test_peak_memory_does_not_grow_with_file_size(tmp_path):
    small = run_python(
        PEAK.replace("sys.argv[1]", "'2048'").replace("sys.argv[2]", repr(str(tmp_path / "s.st")))
    )
    large = run_python(
        PEAK.replace("sys.argv[1]", "'32768'").replace("sys.argv[2]", repr(str(tmp_path / "l.st")))
    )
    assert small.returncode == 0 and large.returncode == 0, large.stderr
    assert (tmp_path / "l.st").stat().st_size > 600 * 2**20  # 16x the small file
    growth_kib = int(large.stdout.strip()) - int(small.stdout.strip())
    assert growth_kib < 24 * 1024  # a window is 16 MiB; the file is 640 MiB


def test_progress_bar(tmp_path, capsys):
    pytest.importorskip("tqdm")
    fio.write_npy(tmp_path / "p.npy", (64, 64), "float32", "normal", seed=0, progress=True)
    assert "p.npy" in capsys.readouterr().err


def test_a_failed_write_leaves_an_existing_file_untouched(tmp_path):
    good = tmp_path / "ck.safetensors"
    fio.write_safetensors(good, {"w": ((8, 4), "float32", "normal")}, seed=1)
    before = good.read_bytes()
    for bad in (("normal", {"std": -1}), ("normal", {"sdt": 1})):  # wrong value, misspelt keyword
        with pytest.raises((ValueError, TypeError)):
            fio.write_safetensors(good, {"w": ((8, 4), "float32", bad)}, seed=1)
        with pytest.raises((ValueError, TypeError)):
            fio.write_npy(tmp_path / "x.npy", (8, 4), "float32", bad, seed=1)
    assert good.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ck.safetensors"]  # no partial files


def test_a_state_dicts_shapes_and_torch_dtypes(tmp_path):
    """A torch state dict's (v.shape, v.dtype) go in as they are: torch dtypes map to NumPy's."""
    torch = pytest.importorskip("torch")
    pytest.importorskip("safetensors")
    from safetensors.numpy import load_file

    state = {
        "w": torch.empty(8, 4, dtype=torch.bfloat16),
        "b": torch.empty(8),
        "h": torch.empty(3, dtype=torch.half),
    }
    path = tmp_path / "sd.safetensors"
    fio.write_safetensors(path, {k: (v.shape, v.dtype, "normal") for k, v in state.items()}, seed=2)
    loaded = load_file(path)
    for k, v in state.items():
        want = fastinit.normal(tuple(v.shape), dtype=v.dtype, seed=2, stream=k)
        assert loaded[k].dtype == want.dtype and loaded[k].tobytes() == want.tobytes()
    fio.write_npy(tmp_path / "w.npy", state["w"].shape, torch.float64, "zeros", seed=0)
    assert np.load(tmp_path / "w.npy").dtype == np.float64


@pytest.mark.parametrize(
    ("spec", "error", "message"),
    [
        (((8, 4), "int8", "normal"), TypeError, "int8"),
        (((8, 4), "float32", "gaussian"), ValueError, "scheme='gaussian'"),
        (((8, -4), "float32", "normal"), ValueError, "non-negative"),
        ((("a", 4), "float32", "normal"), TypeError, "shape"),
        (((8, 2.5), "float32", "normal"), TypeError, "shape must be an int or a sequence of ints"),
        (((8, 4), "float32"), TypeError, "(shape, dtype, scheme)"),
        (((8, 4), "float32", ("normal", {"std": -1})), ValueError, "std must be >= 0"),  # at write time
        (((8, 4), "float32", ("normal", {"sdt": 1})), TypeError, "sdt"),
    ],
)
def test_errors_name_the_tensor(tmp_path, spec, error, message):
    path = tmp_path / "x.safetensors"
    tensors = {"ok": ((2, 2), "float32", "zeros"), "layers.3.w": spec}
    with pytest.raises(error, match=rf"^write_safetensors: tensor 'layers\.3\.w': .*{re.escape(message)}"):
        fio.write_safetensors(path, tensors, seed=0)
    assert not path.exists()


def test_npy_shape_follows_the_one_shape_rule(tmp_path):
    """A float extent is an error (never truncated), an integer array a shape."""
    path = tmp_path / "w.npy"
    for shape in ((3, 2.5), (3.0, 2)):
        with pytest.raises(TypeError, match=r"^write_npy: shape must be an int or a sequence of ints"):
            fio.write_npy(path, shape, "float32", "normal", seed=0)
        assert not path.exists()
    fio.write_npy(path, np.array([3, 2]), "float32", "normal", seed=0)
    assert np.array_equal(np.load(path), fastinit.normal((3, 2), seed=0, stream=""))


@pytest.mark.parametrize(
    ("name", "error", "message"),
    [
        ("__metadata__", ValueError, "'__metadata__' is not allowed"),
        (1, TypeError, "must be a str; got the int 1"),
    ],
)
def test_tensor_names_must_be_str_and_not_metadata(tmp_path, name, error, message):
    """ "__metadata__" would be read back as the file's metadata (a corrupt file) and a non-str
    name is stored as its str but drawn from another stream: both fail before anything is written."""
    path = tmp_path / "x.safetensors"
    with pytest.raises(error, match=rf"^write_safetensors: tensors: .*{re.escape(message)}"):
        fio.write_safetensors(
            path, {"ok": ((2,), "float32", "zeros"), name: ((2,), "float32", "ones")}, seed=0
        )
    assert not path.exists()


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_bar_only_on_a_terminal(monkeypatch):
    """A 1 GiB file shows a bar on a terminal, none on a piped or captured stderr (pytest's)."""
    pytest.importorskip("tqdm")
    assert fio._progress(2**30, None, "big")[1] is None
    terminal = _Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    assert fio._progress(2**20, None, "small")[1] is None  # under 1 GiB: never
    update, bar = fio._progress(2**30, None, "big")
    assert bar is not None
    update(2**29)
    bar.close()
    assert "big" in terminal.getvalue()


def test_benchmark_progress_only_on_a_terminal(monkeypatch, capsys):
    from fastinit.tools.benchmark.runner import Progress

    quiet = Progress(3)
    quiet.step("one")
    quiet.close()
    assert capsys.readouterr().err == ""
    terminal = _Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    shown = Progress(3)
    shown.step("one")
    shown.close()
    assert "fastinit bench" in terminal.getvalue() or "[1/3] one" in terminal.getvalue()


def test_dtype_none_is_the_default_float32(tmp_path):
    """dtype=None went to NumPy's np.dtype(None), float64, where the documented default and
    torch's and JAX's reading of None are float32 (a checkpoint got F64 tensors)."""
    assert fastinit.normal((2,), seed=0, dtype=None).dtype == np.float32
    path = tmp_path / "w.npy"
    fastinit.io.write_npy(path, (2,), None, "normal", seed=0)
    assert np.load(path).dtype == np.float32


@pytest.mark.parametrize(
    "scheme, error, match",
    [
        (("normal",), TypeError, "a scheme is a name or"),
        (("normal", 0.02), TypeError, "a scheme is a name or"),
        (("normal", {"offset": 3}), ValueError, "cannot set offset"),
        (("orthogonal", {"stream": 3}), ValueError, "cannot set stream"),
    ],
)
def test_a_malformed_scheme_entry_is_named(tmp_path, scheme, error, match):
    """A scheme without keywords raised a bare IndexError, keywords that are not a mapping
    "'float' object is not iterable", and offset= was refused as if index= had been given
    (and taken silently by orthogonal)."""
    path = tmp_path / "w.safetensors"
    with pytest.raises(error, match=f"write_safetensors: tensor 'w': .*{match}"):
        fio.write_safetensors(path, {"w": ((4, 3), "float32", scheme)}, seed=0)
    assert not path.exists()


@pytest.mark.parametrize(
    ("window", "error"),
    [
        (0, ValueError),
        (-5, ValueError),
        (True, TypeError),
        (1000.5, TypeError),
        ("64", TypeError),
        (None, TypeError),
    ],
)
def test_window_bytes_is_checked_before_anything_is_written(tmp_path, window, error):
    path = tmp_path / "w.safetensors"
    with pytest.raises(error, match=r"write_safetensors: window_bytes must be an int >= 1"):
        fio.write_safetensors(path, {"w": ((4, 4), "float32", "normal")}, seed=0, window_bytes=window)
    with pytest.raises(error, match=r"write_npy: window_bytes must be an int >= 1"):
        fio.write_npy(tmp_path / "w.npy", (4, 4), "float32", "normal", seed=0, window_bytes=window)
    assert not list(tmp_path.iterdir())


def test_metadata_must_map_str_to_str_and_errors_name_the_writer(tmp_path):
    with pytest.raises(TypeError, match=r"metadata must map str to str; got the entry 'step': 3"):
        fio.write_safetensors(
            tmp_path / "w.safetensors", {"w": ((2,), "float32", "normal")}, seed=0, metadata={"step": 3}
        )
    with pytest.raises(ValueError, match=r"^write_npy: std must be >= 0"):
        fio.write_npy(tmp_path / "w.npy", (4, 4), "float32", ("normal", {"std": -1}), seed=0)
    assert not list(tmp_path.iterdir())


def test_a_directory_path_is_refused_before_anything_is_generated(tmp_path, monkeypatch):
    """The whole file was generated beside the directory before os.replace refused it."""
    generated = []
    monkeypatch.setattr(fastinit.io, "_write_tensor", lambda *args: generated.append(args))
    with pytest.raises(IsADirectoryError):
        fastinit.io.write_safetensors(tmp_path, {"w": ((4, 4), "float32", "normal")}, seed=0)
    with pytest.raises(IsADirectoryError):
        fastinit.io.write_npy(tmp_path, (4, 4), "float32", "normal", seed=0)
    assert not generated and list(tmp_path.parent.glob("*.partial")) == []


def test_tensors_must_be_a_mapping(tmp_path):
    with pytest.raises(TypeError, match=r"^write_safetensors: tensors must be a mapping .* got list"):
        fastinit.io.write_safetensors(tmp_path / "w.safetensors", [("w", ((4,), "float32", "zeros"))], seed=0)


def test_a_symbolic_link_is_written_through(tmp_path):
    """The link was replaced by a new regular file; open() writes through it, and so does io."""
    real = tmp_path / "real" / "init.npy"
    real.parent.mkdir()
    real.write_bytes(b"old")
    link = tmp_path / "link.npy"
    link.symlink_to(real)
    fastinit.io.write_npy(link, (3,), "float32", "ones", seed=0)
    assert link.is_symlink() and np.array_equal(np.load(real), np.ones(3, np.float32))
