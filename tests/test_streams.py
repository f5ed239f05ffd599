"""Seeds, streams and generators: seed= is a pure function; Generator calls are independent and
reproducible; spawn children differ; named streams are stable across processes (pinned values
catch any accidental change of the stream)."""

from __future__ import annotations

import numpy as np
import pytest

import fastinit
from conftest import run_python


def test_seed_alone_is_a_pure_function():
    a = fastinit.normal_(np.empty((64, 33), np.float32), seed=123)
    b = fastinit.normal_(np.empty((64, 33), np.float32), seed=123)
    assert a.tobytes() == b.tobytes()


def test_streams_and_seeds_differ():
    base = fastinit.uniform_(np.empty(1000), seed=1, stream=0)
    assert not np.array_equal(base, fastinit.uniform_(np.empty(1000), seed=1, stream=1))
    assert not np.array_equal(base, fastinit.uniform_(np.empty(1000), seed=2, stream=0))


def test_generator_takes_a_new_stream_per_call():
    g = fastinit.Generator(7)
    first = fastinit.normal_(np.empty(100, np.float32), generator=g)
    second = fastinit.normal_(np.empty(100, np.float32), generator=g)
    assert g.next_stream == 2
    assert first.tobytes() == fastinit.normal_(np.empty(100, np.float32), seed=7, stream=0).tobytes()
    assert second.tobytes() == fastinit.normal_(np.empty(100, np.float32), seed=7, stream=1).tobytes()


def test_generator_calls_do_not_depend_on_sizes():
    g1, g2 = fastinit.Generator(3), fastinit.Generator(3)
    fastinit.uniform_(np.empty(10), generator=g1)
    fastinit.uniform_(np.empty(100_000), generator=g2)
    assert (
        fastinit.uniform_(np.empty(50), generator=g1).tobytes()
        == fastinit.uniform_(np.empty(50), generator=g2).tobytes()
    )


def test_spawn_takes_ints_and_says_what_else_is_wrong():
    g = fastinit.Generator(11)
    assert [c.seed for c in g.spawn(np.int64(2))] == [c.seed for c in fastinit.Generator(11).spawn(2)]
    for bad, error in (("2", TypeError), (2.0, TypeError), (True, TypeError), (-1, ValueError)):
        with pytest.raises(error, match="spawn: n must be an int >= 0"):
            g.spawn(bad)


def test_spawn_children_are_reproducible_and_distinct():
    children = fastinit.Generator(11).spawn(3)
    again = fastinit.Generator(11).spawn(3)
    assert [c.seed for c in children] == [c.seed for c in again]
    assert len({c.seed for c in children} | {11}) == 4
    parent = fastinit.Generator(11)
    parent.spawn(2)
    assert parent.spawn(1)[0].seed == children[2].seed  # children are counted across calls


def test_a_generator_spawns_at_most_2_to_the_56_children():
    """Child 2**56 had child 0's seed (k is OR-ed into the block's low 56 bits); spawn(2**63)
    built a list until memory ran out; a pickled state's count went unchecked."""
    import pickle

    g = fastinit.Generator(11)
    state = g.__getstate__()
    with pytest.raises(ValueError, match=r"more children than this generator has left: 72057594037927936"):
        g.spawn(2**56 + 1)
    g.__setstate__({**state, "spawned": 2**56 - 1})
    assert g.spawn(1)[0].seed == fastinit.engine.streams.spawned_seed(11, 2**56 - 1)
    with pytest.raises(ValueError, match=r"has left: 0 of its 2\*\*56"):
        g.spawn(1)
    assert g.spawn(0) == []
    for bad in (-1, 2**56 + 1):
        with pytest.raises(ValueError, match="spawned must be an int in"):
            pickle.loads(pickle.dumps(g)).__setstate__({**state, "spawned": bad})


def test_seed_none_draws_entropy():
    assert fastinit.Generator().seed != fastinit.Generator().seed


def test_manual_seed_makes_default_calls_reproducible():
    fastinit.manual_seed(5)
    a = fastinit.normal_(np.empty(10))
    b = fastinit.normal_(np.empty(10))
    fastinit.manual_seed(5)
    assert fastinit.normal_(np.empty(10)).tobytes() == a.tobytes()
    assert fastinit.normal_(np.empty(10)).tobytes() == b.tobytes()


def test_named_stream_is_blake2b_of_the_name():
    import hashlib

    name = "layers.3.mlp.up.weight"
    expected = int.from_bytes(hashlib.blake2b(name.encode(), digest_size=8).digest(), "little")
    assert fastinit.stream_id(name) == expected
    a = fastinit.normal_(np.empty(8), seed=1, stream=name)
    assert a.tobytes() == fastinit.normal_(np.empty(8), seed=1, stream=expected).tobytes()


# Pinned values: any change to the stream (version 1) breaks these. Bump the stream version and
# update them together, never one without the other.
PINNED_WORDS = [0x6627E8D5, 0xE169C58D, 0xBC57AC4C, 0x9B00DBD8]  # Random123's KAT for zeros


def test_pinned_values_of_stream_version_1():
    from fastinit import _core

    assert _core.words(0, 0, 0, 4).tolist() == PINNED_WORDS
    for version in (1, 2):  # uniforms take version 1's words in every version
        u = fastinit.uniform_(np.empty(3, np.float32), seed=0, stream_version=version)
        assert u.tolist() == [(w >> 8) * 2.0**-24 for w in PINNED_WORDS[:3]]
    named = fastinit.normal_(np.empty(2, np.float64), seed=42, stream="embed.weight", stream_version=1)
    assert named.tolist() == pytest.approx(PINNED_NAMED, abs=1e-15)


PINNED_NAMED = [-0.4790117203808319, -0.014903533541866406]


def test_named_streams_are_stable_across_processes():
    code = "import numpy as np, fastinit; print(fastinit.normal_(np.empty(4), seed=42, stream='embed.weight').tobytes().hex())"
    result = run_python(code, PYTHONHASHSEED="123")
    assert result.returncode == 0, result.stderr
    here = fastinit.normal_(np.empty(4), seed=42, stream="embed.weight").tobytes().hex()
    assert result.stdout.strip() == here


def test_fastinit_seed_seeds_the_process_wide_generator():
    code = "import numpy as np, fastinit; print(fastinit.normal_(np.empty(3)).tobytes().hex())"
    first = run_python(code, FASTINIT_SEED="1234")
    second = run_python(code, FASTINIT_SEED="1234")
    assert first.returncode == 0, first.stderr
    assert first.stdout == second.stdout
    expected = fastinit.normal_(np.empty(3), seed=1234, stream=0).tobytes().hex()
    assert first.stdout.strip() == expected
    bad = run_python("import fastinit", FASTINIT_SEED="abc")
    assert bad.returncode != 0 and "FASTINIT_SEED='abc'" in bad.stderr


def test_taking_stream_ids_is_thread_safe():
    import threading

    g = fastinit.Generator(0)
    taken: list[int] = []
    lock = threading.Lock()

    def take() -> None:
        mine = [g.take_stream() for _ in range(2000)]
        with lock:
            taken.extend(mine)

    threads = [threading.Thread(target=take) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(taken) == list(range(16000))


class _DLPackOnly:
    """An object that exports only DLPack (no buffer protocol, not an ndarray)."""

    def __init__(self, a):
        self._a = a

    def __dlpack__(self, **kwargs):
        return self._a.__dlpack__(**kwargs)

    def __dlpack_device__(self):
        return self._a.__dlpack_device__()


def test_fills_objects_exporting_dlpack():
    base = np.zeros((3, 5), np.float32)
    fastinit.normal_(_DLPackOnly(base), seed=2)
    assert base.tobytes() == fastinit.normal_(np.empty((3, 5), np.float32), seed=2).tobytes()


@pytest.mark.parametrize(
    "keywords", [{"stream": True}, {"offset": True}, {"stream_version": True}, {"stream": 1.0}]
)
def test_a_remembered_seed_key_never_admits_an_argument_of_another_type(keywords):
    a = np.empty(4, np.float32)
    placed = {"stream": 1, "offset": 1, "stream_version": 1}
    fastinit.uniform_(a, seed=1, **placed)  # remembered: seed=, no shard
    with pytest.raises(TypeError):
        fastinit.uniform_(a, seed=1, **{**placed, **keywords})


@pytest.mark.parametrize(
    "call",
    [
        lambda g: fastinit.sparse_(np.zeros((4, 4), np.float16), 0.5, std=1e6, generator=g),
        lambda g: fastinit.sparse_(np.zeros((4, 4), np.float32), 0.5, offset=2**58 - 4, generator=g),
        lambda g: fastinit.orthogonal_(np.zeros((4, 4), np.float32), offset=2**58 - 4, generator=g),
        lambda g: fastinit.dask.normal((10,), std=-1, generator=g),
        lambda g: fastinit.dask.kaiming_normal((10,), generator=g),
    ],
)
def test_a_failed_composite_call_takes_no_stream(call):
    """As a single fill: "each call a fresh stream, taken only if the call succeeds". sparse_
    and orthogonal_ took theirs before their inner normal_ checked the arguments (whose error
    then named normal_), fastinit.dask's functions before their dry run: every later draw of
    the generator moved to another stream."""
    pytest.importorskip("dask")
    import fastinit.dask

    g = fastinit.Generator(5)
    with pytest.raises(ValueError) as error:
        call(g)
    assert g.next_stream == 0 and not str(error.value).startswith("normal_")


def test_a_dask_call_refused_for_its_chunks_takes_no_stream():
    """dask checks chunks= when the array is made; the stream was taken before that."""
    pytest.importorskip("dask")
    import fastinit.dask

    g = fastinit.Generator(5)
    with pytest.raises(ValueError, match=r"fastinit\.dask\.normal"):
        fastinit.dask.normal((4, 6), chunks=(2, 2, 2), generator=g)
    assert g.next_stream == 0


def test_a_generator_pickles_and_copies_with_its_position():
    import copy
    import pickle

    g = fastinit.Generator(5, stream_version=2)
    fastinit.normal_(np.empty(3), generator=g)
    g.spawn(2)
    third_child = fastinit.Generator(5).spawn(3)[2].seed
    next_draw = fastinit.normal_(np.empty(3), seed=5, stream=1, stream_version=2)
    for other in (pickle.loads(pickle.dumps(g)), copy.deepcopy(g), copy.copy(g)):
        assert (other.seed, other.stream_version, other.next_stream) == (5, 2, 1)
        assert other.spawn(1)[0].seed == third_child
        assert np.array_equal(fastinit.normal_(np.empty(3), generator=other), next_draw)
    assert g.next_stream == 1  # the copies moved on, not g
