// Bindings of the fill engine. One way into the kernels: fill(target, law, key) — what to write,
// what to draw, which stream — validated here (the target's dtype and index range, the law's
// parameters against the dtype) before the key's stream is taken and anything is written. Python
// converts its users' objects into these three values; every rule about them is here.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <chrono>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "dispatch.h"
#include "fill.h"
#include "law.h"
#include "thread_pool.h"

namespace py = pybind11;
using namespace fastinit;

namespace {

// Whether Python is finalizing: a daemon thread that takes the GIL back then is ended by
// pthread_exit, whose unwinding through C++ frames aborts the process ("terminate called
// without an active exception", exit status 134, in most runs of a script that exits while
// daemon threads fill).
bool python_finalizing() {
#if PY_VERSION_HEX >= 0x030D0000
  return Py_IsFinalizing() != 0;
#else
  return _Py_IsFinalizing() != 0;
#endif
}

// Instead of taking the GIL back during finalization: wait for the process to end, as Python
// 3.14 makes such threads wait.
[[noreturn]] void wait_for_exit() {
  for (;;) std::this_thread::sleep_for(std::chrono::hours(1));
}

// Takes the GIL back after work done without it; during Python's finalization, waits for the
// process to end instead. Not a destructor: should finalization begin between the check and
// PyEval_RestoreThread, that call ends the thread by pthread_exit, whose unwinding must meet no
// noexcept frame (pybind11's dispatcher lets it pass), or the process aborts.
void restore_gil(PyThreadState* state) {
  if (python_finalizing()) wait_for_exit();
  PyEval_RestoreThread(state);
}

// Runs work() without the GIL (py::gil_scoped_release, with restore_gil to take it back).
template <class Work>
void without_gil(Work&& work) {
  PyThreadState* state = PyEval_SaveThread();
  try {
    work();
  } catch (...) {
    restore_gil(state);
    throw;
  }
  restore_gil(state);
}

// Which stream a fill draws from, and where its target sits in it. The element at multi-index i
// takes logical index offset + sum(i_k * logical_strides[k]); without logical_strides, the C-order
// strides of the target's own shape (a shard passes the global tensor's). A key made with
// `resolve` (a generator's next stream, a seed drawn from a torch generator) calls it for
// (seed, stream) only once the fill is known to be valid, so a rejected call consumes nothing.
struct Key {
  uint64_t seed = 0;
  uint64_t stream = 0;
  int version = 1;  // the stream version (docs/stream.md): 1 or 2
  uint64_t offset = 0;
  std::optional<std::vector<int64_t>> logical_strides;
  py::object resolve;
};

// The stream versions this build computes (docs/stream.md).
constexpr int kStreamVersions[] = {1, 2};

void check_version(int version) {
  if (version != 1 && version != 2)
    throw std::invalid_argument("stream_version must be 1 or 2; got " + std::to_string(version));
}

const Kernels& kernels_named(const std::string& isa) { return isa.empty() ? active_kernels() : kernels_for(isa); }

std::vector<int64_t> c_order_strides(const std::vector<int64_t>& shape) {
  std::vector<int64_t> strides(shape.size());
  int64_t step = 1;
  for (size_t d = shape.size(); d-- > 0;) {
    strides[d] = step;
    step *= shape[d];
  }
  return strides;
}

// The dtype of a numpy array's elements; TypeError naming what is allowed otherwise. bfloat16 is
// ml_dtypes' (a user-defined numpy type: known by name).
DType array_dtype(const py::array& arr) {
  const py::dtype dt = arr.dtype();
  const bool native = dt.byteorder() != '>';  // '=' native, '|' not applicable, '<' little-endian here
  std::optional<DType> found;
  if (dt.num() == 11) found = DType::f32;  // NPY_FLOAT
  if (dt.num() == 12) found = DType::f64;  // NPY_DOUBLE
  if (dt.num() == 23) found = DType::f16;  // NPY_HALF
  if (dt.itemsize() == 2 && py::str(dt.attr("name")).cast<std::string>() == "bfloat16") found = DType::bf16;
  if (!found || !native) {
    const std::string shown = native ? std::string(py::str(dt)) : dt.attr("str").cast<std::string>();
    throw py::type_error("arrays of " + std::string(native ? "" : "non-native byte order ") + "dtype " + shown +
                         " cannot be filled; allowed dtypes: float16, bfloat16 (ml_dtypes), float32, float64 in "
                         "native byte order");
  }
  return *found;
}

// A numpy array as a target (the adapter in Python has checked that its elements do not overlap).
Target array_target(const py::array& arr) {
  Target t;
  t.dtype = array_dtype(arr);
  if (!arr.writeable()) throw std::invalid_argument("arr is read-only; a fill needs a writable array");
  const size_t ndim = static_cast<size_t>(arr.ndim());
  t.data = static_cast<char*>(const_cast<void*>(arr.data()));
  t.aligned = (arr.flags() & py::detail::npy_api::NPY_ARRAY_ALIGNED_) != 0;
  t.shape.assign(arr.shape(), arr.shape() + ndim);
  t.byte_strides.assign(arr.strides(), arr.strides() + ndim);
  return t;
}

// Memory described by its address (a torch tensor's data_ptr, a DLPack capsule's): the caller
// keeps the owner alive and guarantees shape and byte strides address its own, non-overlapping
// elements.
Target raw_target(uintptr_t data, DType dtype, std::vector<int64_t> shape, std::vector<int64_t> byte_strides) {
  if (shape.size() != byte_strides.size()) throw std::invalid_argument("shape and byte_strides differ in length");
  for (int64_t n : shape)
    if (n < 0) throw std::invalid_argument("negative extent in shape");
  Target t;
  t.dtype = dtype;
  t.data = reinterpret_cast<char*>(data);
  const int64_t item = static_cast<int64_t>(dtype_size(dtype));
  t.aligned = data % static_cast<uintptr_t>(item) == 0;
  for (int64_t s : byte_strides) t.aligned = t.aligned && s % item == 0;
  t.shape = std::move(shape);
  t.byte_strides = std::move(byte_strides);
  return t;
}

// A sequence of Python ints as int64s, read through the C API (pybind11's vector caster costs a
// microsecond on a two-element shape, a fifth of a small fill). A tuple, or a subclass of one
// such as torch.Size, is read in place (PySequence_Fast would copy a subclass into a list).
// TypeError for anything else.
std::vector<int64_t> int64s(const py::handle& seq, const char* name) {
  py::object fast;
  if (PyTuple_Check(seq.ptr())) {
    fast = py::reinterpret_borrow<py::object>(seq);
  } else {
    fast = py::reinterpret_steal<py::object>(PySequence_Fast(seq.ptr(), name));
    if (!fast) throw py::error_already_set();
  }
  const Py_ssize_t n = PySequence_Fast_GET_SIZE(fast.ptr());
  PyObject** items = PySequence_Fast_ITEMS(fast.ptr());
  std::vector<int64_t> out(static_cast<size_t>(n));
  for (Py_ssize_t i = 0; i < n; ++i) {
    const long long v = PyLong_AsLongLong(items[i]);
    if (v == -1 && PyErr_Occurred()) throw py::error_already_set();
    out[static_cast<size_t>(i)] = v;
  }
  return out;
}

// raw_target with strides counted in elements (a torch tensor's stride()), not bytes.
Target element_target(uintptr_t data, DType dtype, const py::handle& shape, const py::handle& strides) {
  const int64_t item = static_cast<int64_t>(dtype_size(dtype));
  std::vector<int64_t> bytes = int64s(strides, "strides must be a sequence of ints");
  for (int64_t& s : bytes) {
    if (s > INT64_MAX / item || s < INT64_MIN / item) throw std::invalid_argument("a stride is too large");
    s *= item;
  }
  return raw_target(data, dtype, int64s(shape, "shape must be a sequence of ints"), std::move(bytes));
}

// A torch tensor's elements, read through its data_ptr(), shape and stride() (counted in
// elements). The caller (fastinit/engine/targets.py) has checked the tensor and names its dtype:
// CPU memory, or a meta tensor (has_storage false: address 0, checked and never written), of a
// float dtype, strided, its elements not overlapping.
// The names are interned once (and kept for the process), so the lookups hit the type's
// attribute cache: a name made afresh for each call costs a walk of torch.Tensor's classes.
Target tensor_target(const py::handle& tensor, DType dtype, bool has_storage) {
  static PyObject* const shape_name = PyUnicode_InternFromString("shape");
  static PyObject* const stride_name = PyUnicode_InternFromString("stride");
  static PyObject* const data_ptr_name = PyUnicode_InternFromString("data_ptr");
  const auto checked = [](PyObject* result) {
    if (result == nullptr) throw py::error_already_set();
    return py::reinterpret_steal<py::object>(result);
  };
  const py::object shape = checked(PyObject_GetAttr(tensor.ptr(), shape_name));
  const py::object strides = checked(PyObject_CallMethodNoArgs(tensor.ptr(), stride_name));
  const uintptr_t data =
      has_storage ? checked(PyObject_CallMethodNoArgs(tensor.ptr(), data_ptr_name)).cast<uintptr_t>() : 0;
  return element_target(data, dtype, shape, strides);
}

// What fill writes: a Target as it is, a NumPy array through array_target, or (with its dtype) a
// torch tensor through tensor_target, in the one call that fills it.
Target as_target(const py::object& target, const std::optional<DType>& tensor_dtype, bool write) {
  if (tensor_dtype) return tensor_target(target, *tensor_dtype, write);
  if (py::isinstance<py::array>(target)) return array_target(target.cast<py::array>());
  return target.cast<Target>();
}

// Places t in the key's stream; ValueError if an element's index would reach past the stream's
// end for the dtype (docs/stream.md). Returns false for an empty target (nothing to do).
bool place(Target& t, const Key& key) {
  if (key.logical_strides) {
    if (key.logical_strides->size() != t.shape.size())
      throw std::invalid_argument("the key's logical strides must have one entry per dimension of the target");
    t.logical_strides = *key.logical_strides;
  } else {
    t.logical_strides = c_order_strides(t.shape);
  }
  t.logical_offset = key.offset;
  for (int64_t n : t.shape)
    if (n == 0) return false;
  const uint64_t limit = logical_index_limit(t.dtype);
  const uint64_t end = logical_end(t);
  if (t.logical_offset >= limit || end > limit)
    throw std::invalid_argument("the element indices reach past " + std::to_string(limit) +
                                ", the end of the stream for this element size (offset=" +
                                std::to_string(t.logical_offset) + ", last index " + std::to_string(end - 1) + ")");
  return true;
}

// Writes the law's values into the target, releasing the GIL for large fills and checking for
// Ctrl-C between rounds. Everything that can reject the call is checked before the key is
// resolved. With write false, only that: the checks and the key (a meta tensor's fill, which
// takes its stream like any other so that the next calls draw what they would).
void fill(Target t, const Law& law, const Key& key, const std::string& isa, bool write) {
  const DistParams params = law.prepare(t.dtype);
  const bool any = place(t, key);
  const Kernels& kernels = kernels_named(isa);
  StreamId id{key.seed, key.stream, key.version};
  if (!key.resolve.is_none()) {
    const auto chosen = key.resolve().cast<std::pair<uint64_t, uint64_t>>();
    id = StreamId{chosen.first, chosen.second, key.version};
  }
  if (!any || !write) return;
  auto check_signals = [] {
    if (python_finalizing()) wait_for_exit();
    py::gil_scoped_acquire acquire;
    if (PyErr_CheckSignals() != 0) throw py::error_already_set();
  };
  uint64_t count = 1;
  for (int64_t n : t.shape) count *= static_cast<uint64_t>(n);
  if (count < kParallelThreshold) {
    fill_target(kernels, params, id, t, check_signals);
    return;
  }
  without_gil([&] { fill_target(kernels, params, id, t, check_signals); });
}

// The raw 32-bit words [first, first + n) of a stream (word i is word i mod 4 of block i // 4),
// from the blocks of purpose tag `tag` (0: element values; docs/stream.md lists the others).
py::array_t<uint32_t> words(uint64_t seed, uint64_t stream, uint64_t first, size_t n, const std::string& isa,
                            unsigned tag, int version) {
  check_version(version);
  const uint64_t limit = logical_index_limit(DType::f32);
  if (tag >= 64) throw std::invalid_argument("tag must be < 64 here");
  if (first > limit || n > limit - first) throw std::overflow_error("word indices reach past 2**58");
  py::array_t<uint32_t> out(static_cast<py::ssize_t>(n));
  const Kernels& kernels = kernels_named(isa);
  uint32_t* o = out.mutable_data();
  without_gil(
      [&] { kernels.words_u32(StreamId{seed, stream, version}, first + static_cast<uint64_t>(tag) * limit, n, o); });
  return out;
}

void register_values(py::module_& m) {
  py::enum_<DType>(m, "DType", "The element types a target may hold.")
      .value("float32", DType::f32)
      .value("float64", DType::f64)
      .value("float16", DType::f16)
      .value("bfloat16", DType::bf16)
      .def_property_readonly("largest", &largest_finite, "The largest finite value (float64: inf).");
  py::enum_<Distribution>(m, "Distribution", "The distributions a law may draw.")
      .value("uniform", Distribution::uniform)
      .value("normal", Distribution::normal)
      .value("trunc_normal", Distribution::trunc_normal);
  py::register_exception<NoMass>(m, "NoMassError", PyExc_ValueError);

  py::class_<Law>(m, "Law", "What a fill draws: a distribution with its parameters, checked when made.")
      .def_static("uniform", &Law::uniform, py::arg("a"), py::arg("b"))
      .def_static("normal", &Law::normal, py::arg("mean"), py::arg("std"))
      .def_static("trunc_normal", &Law::trunc_normal, py::arg("mean"), py::arg("std"), py::arg("a"), py::arg("b"))
      .def_property_readonly("distribution", &Law::distribution)
      .def_property_readonly("parameters", &Law::parameters)
      .def("__repr__", &Law::repr);

  py::class_<Key>(m, "Key", "Which stream a fill draws from, and where its target sits in it.")
      .def(py::init([](uint64_t seed, uint64_t stream, uint64_t offset,
                       std::optional<std::vector<int64_t>> logical_strides, py::object resolve, int version) {
             check_version(version);
             return Key{seed, stream, version, offset, std::move(logical_strides), std::move(resolve)};
           }),
           py::arg("seed") = 0, py::arg("stream") = 0, py::arg("offset") = 0, py::arg("logical_strides") = py::none(),
           py::arg("resolve") = py::none(), py::arg("version") = 1)
      .def_readonly("seed", &Key::seed)
      .def_readonly("stream", &Key::stream)
      .def_readonly("version", &Key::version)
      .def_readonly("offset", &Key::offset)
      .def_readonly("logical_strides", &Key::logical_strides);

  py::class_<Target>(m, "Target", "What a fill writes: memory described by address, dtype, shape and byte strides.")
      .def(py::init(&raw_target), py::arg("data"), py::arg("dtype"), py::arg("shape"), py::arg("byte_strides"))
      .def_static("of_elements", &element_target, py::arg("data"), py::arg("dtype"), py::arg("shape"),
                  py::arg("strides"),
                  "A Target whose strides are counted in elements (as torch counts them), not bytes.")
      .def_readonly("dtype", &Target::dtype)
      .def_readonly("shape", &Target::shape)
      .def_readonly("byte_strides", &Target::byte_strides);
}

}  // namespace

void register_engine(py::module_& m) {
  register_values(m);
  m.def(
      "fill",
      [](const py::object& target, const Law& law, const Key& key, const std::string& isa, bool write,
         const std::optional<DType>& tensor_dtype) {
        fill(as_target(target, tensor_dtype, write), law, key, isa, write);
      },
      py::arg("target"), py::arg("law"), py::arg("key"), py::arg("isa") = "", py::arg("write") = true,
      py::arg("tensor_dtype") = py::none(),
      "Fill a target in place with the law's values of the key's stream: a Target, a numpy array, or a torch\n"
      "tensor checked by the caller, with tensor_dtype its dtype (write false: a meta tensor, checked only).");
  m.def("words", &words, py::arg("seed"), py::arg("stream"), py::arg("first"), py::arg("n"), py::arg("isa") = "",
        py::arg("tag") = 0, py::arg("version") = 1,
        "The raw 32-bit words [first, first + n) of a stream (of its version's generator).");
  m.def("isa", [] { return std::string(active_kernels().name); }, "The instruction set in use.");
  m.def("available_isas", &available_isas, "Instruction sets this CPU can run, best first.");
  m.def("get_num_threads", &get_num_threads);
  m.def(
      "set_num_threads",
      [](size_t n) {
        if (n < 1) throw std::invalid_argument("num_threads must be >= 1");
        set_num_threads(n);
      },
      py::arg("n"));
  m.def("hardware_threads", [] { return std::thread::hardware_concurrency(); });
  m.attr("parallel_threshold") = kParallelThreshold;
  m.attr("stream_versions") = py::make_tuple(kStreamVersions[0], kStreamVersions[1]);  // docs/stream.md
}
