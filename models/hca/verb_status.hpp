#pragma once
// What a control or post operation on the adapter's software interface returns: success or the
// reason nothing was done, with the errno verbs would give.
#include <cstdint>

namespace hcasim {

enum class VerbStatus : std::uint8_t {
  kOk = 0,
  kQueueFull,          // ENOMEM: the work queue has no free slot
  kTooManySges,        // EINVAL: more SGEs than a WQE holds
  kInlineTooLarge,     // EINVAL: inline data longer than max_inline
  kWrongState,         // EINVAL: the QP's state does not allow this post
  kInvalidTransition,  // EINVAL: modify_qp to a state not reachable from the current one
  kInvalidArgument,    // EINVAL: e.g. a CQ resized below the entries it still holds
  kNoSuchObject,       // EINVAL: the QP or CQ does not exist (or was destroyed)
};

constexpr const char* to_string(VerbStatus s) {
  switch (s) {
    case VerbStatus::kOk:
      return "ok";
    case VerbStatus::kQueueFull:
      return "queue_full";
    case VerbStatus::kTooManySges:
      return "too_many_sges";
    case VerbStatus::kInlineTooLarge:
      return "inline_too_large";
    case VerbStatus::kWrongState:
      return "wrong_state";
    case VerbStatus::kInvalidTransition:
      return "invalid_transition";
    case VerbStatus::kInvalidArgument:
      return "invalid_argument";
    case VerbStatus::kNoSuchObject:
      return "no_such_object";
  }
  return "unknown";
}

}  // namespace hcasim
