#pragma once
// What a pool call returns, the handle users hold for an element, and the report a caught
// misuse produces.
#include <cstdint>
#include <string>
#include <string_view>

namespace hcasim::msg_pool {

enum class Status : std::uint8_t {
  ok,            // done now (elements handed over, element returned, pool destroyed)
  pending,       // asynchronous get queued: its callback runs once, from the put that serves it
  no_resources,  // synchronous get: too few free elements, or an asynchronous request waits
  double_put,    // put of an element that is already back in the pool
  foreign,       // the handle names another pool, or no element of this one
  stale,         // the handle is from an earlier ownership of the element: use after put
  busy,          // destroy: elements are still out
  destroyed,     // the pool was destroyed
  invalid,       // a count of 0, more than the pool holds, or an incomplete request
};
std::string_view to_string(Status s);

// Names one ownership of one element. Users hold it from get to put; the pool checks the
// generation on every use, so a handle kept after its put is caught (stale), not silently
// aliased to the element's next owner.
struct Handle {
  std::uint32_t pool = 0;  // the pool's id; 0 names no pool
  std::uint32_t index = 0;
  std::uint32_t generation = 0;  // bumped by every successful put of the element
  friend bool operator==(const Handle& a, const Handle& b) {
    return a.pool == b.pool && a.index == b.index && a.generation == b.generation;
  }
  friend bool operator!=(const Handle& a, const Handle& b) { return !(a == b); }
};

// A caught misuse (double_put, foreign, stale, invalid), as a pool hands it to its reporter.
struct MisuseReport {
  Status kind = Status::ok;
  std::string_view operation;  // "put", "descriptor", "buffer", "get_sync", ...
  Handle handle;               // the handle used (zero for a bad count)
  std::uint32_t count = 0;     // the count asked for (invalid requests)
  std::string_view pool;       // the pool's name
};
// One line naming the pool, the operation, the element and what was wrong, e.g.
// "msg pool 'rx': put of element 3 (generation 7): double put (the element is already free)".
std::string describe(const MisuseReport& r);

}  // namespace hcasim::msg_pool
