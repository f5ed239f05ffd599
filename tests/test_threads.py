"""Thread count never changes a value; the pool survives fork and concurrent callers; the
default respects FASTINIT_NUM_THREADS and the CPU affinity."""

from __future__ import annotations

import multiprocessing as mp
import threading

import numpy as np
import pytest

import fastinit
from conftest import run_python


def _big_fills() -> list[np.ndarray]:
    n = 3_000_017  # many work items, uneven split
    return [
        fastinit.uniform_(np.empty(n, np.float32), seed=1, stream=2, offset=1),
        fastinit.normal_(np.empty((1733, 1731), np.float64), seed=1, stream=3),
        fastinit.trunc_normal_(np.empty(n, np.float32)[::-1], seed=1, stream=4, a=-1, b=2),
        fastinit.normal_(np.empty((2000, 3001), np.float16)[:, ::3], seed=1, stream=5),
    ]


@pytest.mark.usefixtures("restore_threads")
def test_values_do_not_depend_on_thread_count():
    fastinit.set_num_threads(1)
    expected = _big_fills()
    for threads in (2, 3, 8):
        fastinit.set_num_threads(threads)
        for got, want in zip(_big_fills(), expected):
            assert got.tobytes() == want.tobytes()


@pytest.mark.usefixtures("restore_threads")
def test_set_and_get_num_threads():
    fastinit.set_num_threads(3)
    assert fastinit.get_num_threads() == 3
    assert fastinit.info()["threads"] == 3
    with pytest.raises(ValueError, match="n must be between 1 and 1024; got 0"):
        fastinit.set_num_threads(0)
    with pytest.raises(TypeError, match="n must be an int"):
        fastinit.set_num_threads(2.0)  # type: ignore[arg-type]
    assert fastinit.get_num_threads() == 3
    fastinit.set_num_threads(np.int64(2))  # a NumPy integer is an int
    assert fastinit.get_num_threads() == 2


@pytest.mark.usefixtures("restore_threads")
def test_concurrent_callers_get_correct_values():
    fastinit.set_num_threads(2)
    expected = fastinit.normal_(np.empty(1_000_000, np.float32), seed=9, stream=0)
    results: dict[int, bytes] = {}

    def work(k: int) -> None:
        for _ in range(5):
            results[k] = fastinit.normal_(np.empty(1_000_000, np.float32), seed=9, stream=0).tobytes()

    threads = [threading.Thread(target=work, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(v == expected.tobytes() for v in results.values()) and len(results) == 4


def _child_fill(queue) -> None:  # runs in a forked child
    a = fastinit.uniform_(np.empty(2_000_000, np.float32), seed=4, stream=4)
    queue.put(float(a.astype(np.float64).sum()))


# JAX, when an earlier test imported it, warns at every fork that it is multithreaded; the child
# here only uses fastinit, whose pool restarts lazily after fork.
@pytest.mark.filterwarnings("ignore:os.fork\\(\\) was called:RuntimeWarning")
@pytest.mark.usefixtures("restore_threads")
def test_pool_works_in_a_forked_child():
    fastinit.set_num_threads(2)
    expected = fastinit.uniform_(np.empty(2_000_000, np.float32), seed=4, stream=4)  # pool running
    ctx = mp.get_context("fork")
    queue = ctx.Queue()
    child = ctx.Process(target=_child_fill, args=(queue,))
    child.start()
    child.join(timeout=60)
    assert child.exitcode == 0
    assert queue.get(timeout=5) == float(expected.astype(np.float64).sum())


def test_environment_variable_sets_the_default():
    result = run_python("import fastinit; print(fastinit.get_num_threads())", FASTINIT_NUM_THREADS="3")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "3"


def test_bad_environment_variable_is_a_clear_error():
    result = run_python("import fastinit", FASTINIT_NUM_THREADS="many")
    assert result.returncode != 0
    assert "FASTINIT_NUM_THREADS='many'" in result.stderr


def test_default_respects_cpu_affinity():
    code = "import os; os.sched_setaffinity(0, {0}); import fastinit; print(fastinit.get_num_threads())"
    result = run_python(code, FASTINIT_NUM_THREADS="")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "1"


@pytest.mark.parametrize(
    ("files", "expected"),
    [
        ({"cpu.max": "150000 100000\n"}, 1.5),
        ({"cpu.max": "max 100000\n"}, None),
        ({"cpu/cpu.cfs_quota_us": "50000\n", "cpu/cpu.cfs_period_us": "100000\n"}, 0.5),
        ({"cpu/cpu.cfs_quota_us": "-1\n", "cpu/cpu.cfs_period_us": "100000\n"}, None),
        ({}, None),
    ],
    ids=["v2-quota", "v2-max", "v1-quota", "v1-none", "no-cgroup"],
)
def test_cgroup_quota_parsing(tmp_path, files, expected):
    from fastinit.engine.threads import cgroup_cpu_quota

    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    assert cgroup_cpu_quota(tmp_path, tmp_path / "missing") == expected


def test_cgroup_v2_uses_this_process_group(tmp_path):
    from fastinit.engine.threads import cgroup_cpu_quota

    (tmp_path / "job").mkdir()
    (tmp_path / "job" / "cpu.max").write_text("300000 100000\n")
    (tmp_path / "cpu.max").write_text("max 100000\n")
    proc = tmp_path / "proc_cgroup"
    proc.write_text("0::/job\n")
    assert cgroup_cpu_quota(tmp_path, proc) == 3.0


@pytest.mark.usefixtures("restore_threads")
def test_eight_python_threads_into_different_and_the_same_array():
    fastinit.set_num_threads(2)
    shared = np.zeros(3_000_000, np.float32)
    expected = fastinit.normal_(np.empty(3_000_000, np.float32), seed=5, stream=1)
    own = [np.zeros(500_000, np.float32) for _ in range(8)]
    errors: list[BaseException] = []

    def work(k: int) -> None:
        try:
            for _ in range(3):
                fastinit.normal_(shared, seed=5, stream=1)
                fastinit.uniform_(own[k], seed=k, stream=2)
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(k,)) for k in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert shared.tobytes() == expected.tobytes()
    for k, a in enumerate(own):
        assert a.tobytes() == fastinit.uniform_(np.empty(500_000, np.float32), seed=k, stream=2).tobytes()


@pytest.mark.parametrize("value", ["-1", "100001", "1e3", "fast", " 5"])
def test_bad_spin_environment_variable_is_a_clear_error(value):
    result = run_python("import fastinit", FASTINIT_SPIN_US=value)
    assert result.returncode != 0
    assert f"FASTINIT_SPIN_US={value!r}" in result.stderr
    assert "from 0 to 100000" in result.stderr


def test_spin_setting_changes_no_value():
    # Back-to-back parallel fills of several sizes, with idle workers sleeping at once, watching
    # for the default 100 us, or for the longest allowed time: the values must be the same.
    code = (
        "import hashlib, numpy as np, fastinit; fastinit.set_num_threads(2); h = hashlib.sha256()\n"
        "for n in (1 << 16, 3 << 16, 1 << 20, 3_000_017):\n"
        "    for k in range(3): h.update(fastinit.normal_(np.empty(n, np.float32), seed=n, stream=k).tobytes())\n"
        "print(h.hexdigest())"
    )
    digests = set()
    for value in ("0", None, "100000"):
        env = {} if value is None else {"FASTINIT_SPIN_US": value}
        result = run_python(code, **env)
        assert result.returncode == 0, result.stderr
        digests.add(result.stdout.strip())
    assert len(digests) == 1


def test_changing_the_thread_count_does_not_wait_out_the_spin():
    # With the longest spin (0.1 s), each resize stops workers that are watching for the next
    # fill; stopping must end the watch at once (a worker that waited it out made these 10
    # resizes take at least 1 s; they take a few milliseconds).
    code = (
        "import time, numpy as np, fastinit\n"
        "a = np.empty(1 << 20, np.float32)\n"
        "t0 = time.perf_counter()\n"
        "for k in range(10):\n"
        "    fastinit.set_num_threads(2 + k % 2); fastinit.normal_(a, seed=k)\n"
        "print(time.perf_counter() - t0)"
    )
    result = run_python(code, FASTINIT_SPIN_US="100000")
    assert result.returncode == 0, result.stderr
    assert float(result.stdout) < 0.5
