"""Values follow logical C-order positions, never memory: views of any strides (negative too),
Fortran order and transposes; offset= pieces assemble the whole; nothing outside the target's
own elements is written."""

from __future__ import annotations

import numpy as np
import pytest

import fastinit

ml_dtypes = pytest.importorskip("ml_dtypes")

FILLS = {
    "uniform_": lambda x, **k: fastinit.uniform_(x, -1.0, 3.0, **k),
    "normal_": lambda x, **k: fastinit.normal_(x, 0.5, 2.0, **k),
    "trunc_normal_": lambda x, **k: fastinit.trunc_normal_(x, 0.0, 1.0, -1.5, 0.5, **k),
}
DTYPES = [np.float32, np.float64, np.float16, ml_dtypes.bfloat16]


def _c_order_values(fill, shape, dtype, **kw) -> np.ndarray:
    return fill(np.empty(shape, dtype), **kw)


VIEWS = {
    "transpose": lambda base: base.T,
    "fortran": lambda base: np.asfortranarray(base),
    "reversed": lambda base: base[::-1, ::-1],
    "step": lambda base: base[1::3, ::2],
    "mixed": lambda base: base[::-2, 3:17:5],
    "column": lambda base: base[:, 5],
    "row": lambda base: base[4],
}


@pytest.mark.parametrize("fill_name", FILLS)
@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize("view_name", VIEWS)
def test_views_get_their_logical_positions_values(fill_name, dtype, view_name):
    fill = FILLS[fill_name]
    sentinel = np.array(7.0, dtype=dtype)
    base = np.full((37, 29), sentinel, dtype=dtype)
    view = VIEWS[view_name](base)
    if view_name == "fortran":
        base = view  # a Fortran-ordered array is filled itself
    before = base.copy()
    fill(view, seed=3, stream=8)
    expected = _c_order_values(fill, view.shape, dtype, seed=3, stream=8)
    assert view.tobytes() == np.ascontiguousarray(expected).tobytes()
    # every element outside the view is unchanged
    if view_name != "fortran":
        mask = np.zeros(base.shape, bool)
        VIEWS[view_name](mask)[...] = True
        assert base[~mask].tobytes() == before[~mask].tobytes()


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
def test_strided_views_of_a_larger_buffer_touch_nothing_else(dtype):
    rng = np.random.default_rng(1)
    raw = rng.integers(0, 256, size=64 * 1024, dtype=np.uint8)
    original = raw.copy()
    base = raw.view(dtype)
    base3 = base[: (base.size // 60) * 60].reshape(-1, 6, 10)
    view = base3[::3, 1:5, ::-2]
    fastinit.normal_(view, seed=1)
    mask = np.zeros(base3.shape, bool)
    mask[::3, 1:5, ::-2] = True
    changed = base3.view(np.uint8).reshape(*base3.shape, -1) != original.view(dtype)[: base3.size].reshape(
        base3.shape
    ).view(np.uint8).reshape(*base3.shape, -1)
    assert not changed[~mask].any()
    assert raw[base3.nbytes :].tobytes() == original[base3.nbytes :].tobytes()


@pytest.mark.parametrize("fill_name", FILLS)
@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
def test_offset_pieces_assemble_the_whole(fill_name, dtype):
    fill = FILLS[fill_name]
    whole = fill(np.empty(100_003, dtype), seed=12, stream=1)
    pieces = np.empty_like(whole)
    cuts = [0, 1, 2, 7, 4096, 4097, 50_001, 99_999, 100_003]
    for lo, hi in zip(cuts, cuts[1:]):
        fill(pieces[lo:hi], seed=12, stream=1, offset=lo)
    assert pieces.tobytes() == whole.tobytes()


def test_large_parallel_fill_of_a_strided_view_matches():
    base = np.zeros((1500, 1500), np.float32)
    view = base[::-1, 1::2]
    fastinit.normal_(view, seed=2)
    assert view.tobytes() == fastinit.normal_(np.empty(view.shape, np.float32), seed=2).tobytes()
    assert not base[:, 0::2].any()


@pytest.mark.parametrize("fill_name", FILLS)
def test_zero_size_is_a_no_op(fill_name):
    empty = np.empty((0, 5), np.float32)
    assert FILLS[fill_name](empty, seed=1) is empty


def test_unaligned_array():
    raw = np.zeros(4 * 1000 + 1, np.uint8)
    unaligned = raw[1:].view(np.float32)
    assert not unaligned.flags.aligned
    fastinit.normal_(unaligned, seed=5)
    assert unaligned.tobytes() == fastinit.normal_(np.empty(1000, np.float32), seed=5).tobytes()
    assert raw[0] == 0


def test_returns_the_same_object_and_fills_buffer_protocol_objects():
    a = np.zeros(10, np.float32)
    assert fastinit.uniform_(a, seed=0) is a
    buf = bytearray(40)
    fastinit.uniform_(buf_view := memoryview(buf).cast("f"), seed=0)
    assert np.frombuffer(buf, np.float32).tobytes() == a.tobytes()
    assert buf_view.nbytes == 40


def test_global_shape_and_index_give_the_block_of_the_whole():
    whole = fastinit.normal_(np.empty((40, 30, 7), np.float32), seed=4)
    block = np.empty((13, 9, 7), np.float32)
    index = (slice(5, 18), slice(20, 29), slice(None))
    fastinit.normal_(block, seed=4, global_shape=(40, 30, 7), index=index)
    assert block.tobytes() == np.ascontiguousarray(whole[index]).tobytes()


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
def test_fill_into_never_touched_pages_writes_only_the_target(dtype):
    # A fresh anonymous mapping: no page is mapped yet, so the fill takes the path that maps
    # each work item's pages before writing (Linux). The target starts and ends mid-page.
    import mmap

    size = 8 << 20
    memory = mmap.mmap(-1, size)
    raw = np.frombuffer(memory, np.uint8)
    lo, hi = 4096 + 40, size - 4096 - 24
    target = raw[lo:hi].view(dtype)
    fastinit.normal_(target, seed=9)
    assert target.tobytes() == fastinit.normal_(np.ones(target.shape, dtype), seed=9).tobytes()
    assert not raw[:lo].any() and not raw[hi:].any()
    del raw, target
    memory.close()


def test_ndarray_subclasses_fill_their_own_memory(tmp_path):
    want = fastinit.normal_(np.empty((300, 200), np.float32), seed=4)
    mapped = np.memmap(tmp_path / "w.bin", dtype=np.float32, mode="w+", shape=(300, 200))
    assert fastinit.normal_(mapped, seed=4) is mapped
    mapped.flush()
    assert np.fromfile(tmp_path / "w.bin", np.float32).tobytes() == want.tobytes()
    masked = np.ma.masked_array(np.zeros((300, 200), np.float32), mask=False)
    fastinit.normal_(masked, seed=4)
    assert masked.data.tobytes() == want.tobytes()
    readonly = np.memmap(tmp_path / "w.bin", dtype=np.float32, mode="r", shape=(300, 200))
    with pytest.raises(ValueError, match="read-only"):
        fastinit.normal_(readonly, seed=4)
