// Bindings of the bare Philox4x32 and ARS4x32 bijections, for tests and for anyone reproducing
// the streams.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <cstdint>
#include <stdexcept>
#include <string>

#include "ars_round.h"
#include "philox_round.h"

namespace py = pybind11;

namespace {

using U32Array = py::array_t<uint32_t, py::array::c_style | py::array::forcecast>;

// Checks that counters is (n, 4) and key has key_words words, then applies bijection(x, key)
// to each counter row x (four words, in place) without the GIL; returns the (n, 4) results.
template <class Bijection>
py::array_t<uint32_t> map_rows(const U32Array& counters, const U32Array& key, py::ssize_t key_words,
                               Bijection bijection) {
  if (counters.ndim() != 2 || counters.shape(1) != 4) throw std::invalid_argument("counters must have shape (n, 4)");
  if (key.ndim() != 1 || key.shape(0) != key_words)
    throw std::invalid_argument("key must have shape (" + std::to_string(key_words) + ",)");
  const py::ssize_t n = counters.shape(0);
  py::array_t<uint32_t> out({n, py::ssize_t{4}});
  const uint32_t* in = counters.data();
  uint32_t* o = out.mutable_data();
  uint32_t k[4] = {};
  for (py::ssize_t w = 0; w < key_words; ++w) k[w] = key.at(w);
  py::gil_scoped_release release;
  for (py::ssize_t i = 0; i < n; ++i) {
    uint32_t x[4] = {in[4 * i], in[4 * i + 1], in[4 * i + 2], in[4 * i + 3]};
    bijection(x, k);
    for (int w = 0; w < 4; ++w) o[4 * i + w] = x[w];
  }
  return out;
}

// Philox4x32 with `rounds` rounds on each row of counters (n, 4) under key (2,): the round and
// key schedule of philox_round.h, the very ones the kernels run.
py::array_t<uint32_t> philox4x32(const U32Array& counters, const U32Array& key, int rounds) {
  if (rounds < 0) throw std::invalid_argument("rounds must be >= 0");
  return map_rows(counters, key, 2, [rounds](uint32_t* x, const uint32_t* k) {
    fastinit::philox_key_schedule(
        k[0], k[1], rounds, [&](uint32_t k0, uint32_t k1) { fastinit::philox_round(x[0], x[1], x[2], x[3], k0, k1); });
  });
}

// ARS4x32 with `rounds` rounds on each row of counters (n, 4) under key (4,): the rounds and key
// schedule of ars_round.h, the portable code of the kernels' scalar path.
py::array_t<uint32_t> ars4x32(const U32Array& counters, const U32Array& key, int rounds) {
  if (rounds < 1) throw std::invalid_argument("rounds must be >= 1");
  return map_rows(counters, key, 4, [rounds](uint32_t* x, const uint32_t* k) { fastinit::ars_block(x, k, rounds); });
}

}  // namespace

void register_philox(py::module_& m) {
  m.def("philox4x32", &philox4x32, py::arg("counters"), py::arg("key"), py::arg("rounds") = 10,
        "Philox4x32 with the given number of rounds applied to each row of counters (n, 4).");
  m.def("ars4x32", &ars4x32, py::arg("counters"), py::arg("key"), py::arg("rounds") = fastinit::kArsRounds,
        "ARS4x32 with the given number of rounds applied to each row of counters (n, 4).");
}
