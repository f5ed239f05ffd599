// fastinit._core: the private compiled module. Thin by design: each register_* adds one
// concept's bindings; the logic lives in headers and sources that know nothing of Python.
#include <pybind11/pybind11.h>

namespace py = pybind11;

void register_engine(py::module_& m);
void register_philox(py::module_& m);

PYBIND11_MODULE(_core, m, py::mod_gil_not_used()) {
  m.doc() = "fastinit's compiled core (private; use the fastinit package)";
  m.attr("__version__") = FASTINIT_VERSION;
  register_engine(m);
  register_philox(m);
}
