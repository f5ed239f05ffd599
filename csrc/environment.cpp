#include "environment.h"

#include <cstdlib>

namespace fastinit::environment {

namespace {

// The variable's value, or "" when it is unset.
std::string read(const char* name) {
  const char* value = std::getenv(name);
  return value == nullptr ? std::string() : std::string(value);
}

}  // namespace

std::string isa() { return read("FASTINIT_ISA"); }

long spin_microseconds() {
  const std::string env = read("FASTINIT_SPIN_US");
  if (env.empty()) return 100;
  char* end = nullptr;
  const long value = std::strtol(env.c_str(), &end, 10);
  if (*end != '\0' || value < 0 || value > 100000) return 100;
  return value;
}

bool populate() { return read("FASTINIT_POPULATE").rfind('0', 0) != 0; }

bool huge_pages() { return read("FASTINIT_HUGEPAGES").rfind('1', 0) == 0; }

}  // namespace fastinit::environment
