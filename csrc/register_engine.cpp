// Bindings of the fill engine: arguments arrive validated by fastinit._engine (Python), are
// converted here while the GIL is held, and the GIL is released for the work itself.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <cstdint>
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

const Kernels& kernels_named(const std::string& isa) {
  return isa.empty() ? active_kernels() : kernels_for(isa);
}

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

// Fills the elements described by (data, shape, strides) with distribution `dist`.
void fill(int dist, const std::vector<double>& values, int dtype, uintptr_t data,
          const std::vector<int64_t>& shape, const std::vector<int64_t>& byte_strides,
          const std::vector<int64_t>& logical_strides, uint64_t offset, uint64_t seed,
          uint64_t stream, bool aligned, const std::string& isa) {
  if (dtype < 0 || dtype > 3) throw std::invalid_argument("unknown dtype code " + std::to_string(dtype));
  if (shape.size() != byte_strides.size() || shape.size() != logical_strides.size())
    throw std::invalid_argument("shape and strides differ in length");
  Target t;
  t.data = reinterpret_cast<char*>(data);
  t.dtype = static_cast<DType>(dtype);
  t.aligned = aligned;
  t.shape = shape;
  t.byte_strides = byte_strides;
  t.logical_strides = logical_strides;
  t.logical_offset = offset;
  uint64_t count = 1;
  for (int64_t n : shape) {
    if (n < 0) throw std::invalid_argument("negative extent in shape");
    count *= static_cast<uint64_t>(n);
  }
  if (count == 0) return;
  const uint64_t limit = logical_index_limit(t.dtype);
  if (offset >= limit || logical_end(t) > limit)
    throw std::overflow_error("the element indices reach past " + std::to_string(limit) +
                              ", the end of the stream for this element size (offset=" +
                              std::to_string(offset) + ")");
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

// The raw 32-bit words of logical indices [first, first + n) (word i of the stream).
py::array_t<uint32_t> words(uint64_t seed, uint64_t stream, uint64_t first, size_t n, const std::string& isa) {
  if (first > logical_index_limit(DType::f32) || n > logical_index_limit(DType::f32) - first)
    throw std::overflow_error("word indices reach past 2**58");
  py::array_t<uint32_t> out(static_cast<py::ssize_t>(n));
  const Kernels& kernels = kernels_named(isa);
  uint32_t* o = out.mutable_data();
  py::gil_scoped_release release;
  kernels.words_u32(StreamId{seed, stream}, first, n, o);
  return out;
}

}  // namespace

void register_engine(py::module_& m) {
  py::register_exception<std::domain_error>(m, "NoMassError", PyExc_ValueError);
  m.def("fill", &fill, py::arg("dist"), py::arg("values"), py::arg("dtype"), py::arg("data"),
        py::arg("shape"), py::arg("byte_strides"), py::arg("logical_strides"), py::arg("offset"),
        py::arg("seed"), py::arg("stream"), py::arg("aligned"), py::arg("isa") = "",
        "Fill a strided buffer in place (arguments validated by fastinit._engine).");
  m.def("words", &words, py::arg("seed"), py::arg("stream"), py::arg("first"), py::arg("n"),
        py::arg("isa") = "", "The raw 32-bit words [first, first + n) of a stream.");
  m.def("isa", [] { return std::string(active_kernels().name); }, "The instruction set in use.");
  m.def("available_isas", &available_isas, "Instruction sets this CPU can run, best first.");
  m.def("get_num_threads", &get_num_threads);
  m.def("set_num_threads", [](size_t n) {
    if (n < 1) throw std::invalid_argument("num_threads must be >= 1");
    set_num_threads(n);
  }, py::arg("n"));
  m.def("hardware_threads", [] { return std::thread::hardware_concurrency(); });
  m.attr("parallel_threshold") = kParallelThreshold;
  m.attr("stream_version") = 1;
}
