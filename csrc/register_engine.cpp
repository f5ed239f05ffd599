// Bindings of the fill engine: arguments arrive validated by fastinit._engine (Python), are
// converted here while the GIL is held, and the GIL is released for the work itself.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "dispatch.h"
#include "fill.h"
#include "params.h"
#include "thread_pool.h"

namespace py = pybind11;
using namespace fastinit;

namespace {

const Kernels& kernels_named(const std::string& isa) { return isa.empty() ? active_kernels() : kernels_for(isa); }

DistParams make_params(int dist, const std::vector<double>& v, DType dtype) {
  auto need = [&](size_t n, const char* name) {
    if (v.size() != n) throw std::invalid_argument(std::string(name) + " takes " + std::to_string(n) + " parameters");
  };
  switch (dist) {
    case 0: need(2, "uniform"); return uniform_params(v[0], v[1], dtype);
    case 1: need(2, "normal"); return normal_params(v[0], v[1], dtype);
    case 2: need(4, "trunc_normal"); return trunc_normal_params(v[0], v[1], v[2], v[3], dtype);
    default: throw std::invalid_argument("unknown distribution code " + std::to_string(dist));
  }
}

// Checks the index range, prepares the parameters and fills t, releasing the GIL for large fills
// and checking for Ctrl-C between rounds.
void fill_checked(int dist, const std::vector<double>& values, const Target& t, uint64_t seed, uint64_t stream,
                  const std::string& isa) {
  uint64_t count = 1;
  for (int64_t n : t.shape) {
    if (n < 0) throw std::invalid_argument("negative extent in shape");
    count *= static_cast<uint64_t>(n);
  }
  if (count == 0) return;
  const uint64_t limit = logical_index_limit(t.dtype);
  if (t.logical_offset >= limit || logical_end(t) > limit)
    throw std::overflow_error(
        "the element indices reach past " + std::to_string(limit) +
        ", the end of the stream for this element size (offset=" + std::to_string(t.logical_offset) + ")");
  const DistParams params = make_params(dist, values, t.dtype);
  const Kernels& kernels = kernels_named(isa);
  const StreamId id{seed, stream};
  auto check_signals = [] {
    py::gil_scoped_acquire acquire;
    if (PyErr_CheckSignals() != 0) throw py::error_already_set();
  };
  if (count < kParallelThreshold) {
    fill_target(kernels, params, id, t, check_signals);
    return;
  }
  py::gil_scoped_release release;
  fill_target(kernels, params, id, t, check_signals);
}

DType dtype_from_code(int code) {
  if (code < 0 || code > 3) throw std::invalid_argument("unknown dtype code " + std::to_string(code));
  return static_cast<DType>(code);
}

std::vector<int64_t> logical_strides_or_c_order(const std::optional<std::vector<int64_t>>& logical,
                                                const std::vector<int64_t>& shape) {
  if (logical) {
    if (logical->size() != shape.size())
      throw std::invalid_argument("logical_strides must have one entry per dimension");
    return *logical;
  }
  std::vector<int64_t> strides(shape.size());
  int64_t step = 1;
  for (size_t d = shape.size(); d-- > 0;) {
    strides[d] = step;
    step *= shape[d];
  }
  return strides;
}

// Fills the elements of arr (an ndarray the caller validated: writable, dtype matching
// dtype_code) with distribution `dist`. Element i takes logical index offset + its C-order index,
// or offset + sum(i_k * logical_strides[k]) when logical_strides is given (a shard).
void fill(int dist, const std::vector<double>& values, int dtype_code, const py::array& arr,
          const std::optional<std::vector<int64_t>>& logical_strides, uint64_t offset, uint64_t seed, uint64_t stream,
          const std::string& isa) {
  Target t;
  t.dtype = dtype_from_code(dtype_code);
  if (static_cast<size_t>(arr.itemsize()) != dtype_size(t.dtype))
    throw std::invalid_argument("dtype code does not match the array");
  if (!arr.writeable()) throw std::invalid_argument("array is read-only");
  const size_t ndim = static_cast<size_t>(arr.ndim());
  t.data = static_cast<char*>(const_cast<void*>(arr.data()));
  t.aligned = (arr.flags() & py::detail::npy_api::NPY_ARRAY_ALIGNED_) != 0;
  t.shape.assign(arr.shape(), arr.shape() + ndim);
  t.byte_strides.assign(arr.strides(), arr.strides() + ndim);
  t.logical_strides = logical_strides_or_c_order(logical_strides, t.shape);
  t.logical_offset = offset;
  fill_checked(dist, values, t, seed, stream, isa);
}

// The same for memory described by a raw address (a torch tensor's data_ptr): the caller keeps
// the owner alive and guarantees shape and byte strides address its own, non-overlapping elements.
void fill_raw(int dist, const std::vector<double>& values, int dtype_code, uintptr_t data,
              const std::vector<int64_t>& shape, const std::vector<int64_t>& byte_strides,
              const std::optional<std::vector<int64_t>>& logical_strides, uint64_t offset, uint64_t seed,
              uint64_t stream, const std::string& isa) {
  if (shape.size() != byte_strides.size()) throw std::invalid_argument("shape and byte_strides differ in length");
  Target t;
  t.dtype = dtype_from_code(dtype_code);
  t.data = reinterpret_cast<char*>(data);
  const int64_t item = static_cast<int64_t>(dtype_size(t.dtype));
  t.aligned = data % static_cast<uintptr_t>(item) == 0;
  for (int64_t s : byte_strides) t.aligned = t.aligned && s % item == 0;
  t.shape = shape;
  t.byte_strides = byte_strides;
  t.logical_strides = logical_strides_or_c_order(logical_strides, t.shape);
  t.logical_offset = offset;
  fill_checked(dist, values, t, seed, stream, isa);
}

// The raw 32-bit words [first, first + n) of a stream (word i is word i mod 4 of block i // 4),
// from the blocks of purpose tag `tag` (0: element values; docs/stream.md lists the others).
py::array_t<uint32_t> words(uint64_t seed, uint64_t stream, uint64_t first, size_t n, const std::string& isa,
                            unsigned tag) {
  const uint64_t limit = logical_index_limit(DType::f32);
  if (tag >= 64) throw std::invalid_argument("tag must be < 64 here");
  if (first > limit || n > limit - first) throw std::overflow_error("word indices reach past 2**58");
  py::array_t<uint32_t> out(static_cast<py::ssize_t>(n));
  const Kernels& kernels = kernels_named(isa);
  uint32_t* o = out.mutable_data();
  py::gil_scoped_release release;
  kernels.words_u32(StreamId{seed, stream}, first + static_cast<uint64_t>(tag) * limit, n, o);
  return out;
}

}  // namespace

void register_engine(py::module_& m) {
  py::register_exception<std::domain_error>(m, "NoMassError", PyExc_ValueError);
  m.def(
      "check_params",
      [](int dist, const std::vector<double>& values, int dtype_code) {
        make_params(dist, values, dtype_from_code(dtype_code));
      },
      py::arg("dist"), py::arg("values"), py::arg("dtype_code"),
      "Prepare a distribution's parameters for a dtype without filling anything: raises NoMassError "
      "(or ValueError) exactly where fill would.");
  m.def("fill", &fill, py::arg("dist"), py::arg("values"), py::arg("dtype_code"), py::arg("arr"),
        py::arg("logical_strides"), py::arg("offset"), py::arg("seed"), py::arg("stream"), py::arg("isa") = "",
        "Fill an array in place (arguments validated by fastinit._fill).");
  m.def("fill_raw", &fill_raw, py::arg("dist"), py::arg("values"), py::arg("dtype_code"), py::arg("data"),
        py::arg("shape"), py::arg("byte_strides"), py::arg("logical_strides"), py::arg("offset"), py::arg("seed"),
        py::arg("stream"), py::arg("isa") = "", "Fill memory at a raw address (a torch tensor's data_ptr) in place.");
  m.def("words", &words, py::arg("seed"), py::arg("stream"), py::arg("first"), py::arg("n"), py::arg("isa") = "",
        py::arg("tag") = 0, "The raw 32-bit words [first, first + n) of a stream.");
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
  m.attr("stream_version") = 1;
}
