#pragma once
// Enums traced as named values. An enum that a trace signal carries defines its labels where
// it is defined, as a table of {enumerator, label} in value order, and names that table by a
// `trace_labels` overload next to it:
//
//   enum class PacketOp : std::uint8_t { kIdle, kSend };
//   inline constexpr EnumLabel<PacketOp> kPacketOpLabels[] = {
//       {PacketOp::kIdle, "idle"}, {PacketOp::kSend, "send"}};
//   constexpr const auto& trace_labels(PacketOp) { return kPacketOpLabels; }
//
// The signal declares its value names from that table (label_list) and is set from the enum
// itself, so a value and its name cannot drift apart; labels_in_value_order checks at compile
// time that entry i names value i.
#include <cstddef>
#include <string>
#include <vector>

namespace hcasim {

template <class E>
struct EnumLabel {
  E value;
  const char* label;
};

template <class E, std::size_t N>
constexpr bool labels_in_value_order(const EnumLabel<E> (&table)[N]) {
  for (std::size_t i = 0; i < N; ++i)
    if (static_cast<std::size_t>(table[i].value) != i) return false;
  return true;
}

// The labels of enum E, by value: what a trace sink declares for a signal carrying E.
template <class E>
std::vector<std::string> label_list() {
  constexpr const auto& table = trace_labels(E{});
  static_assert(labels_in_value_order(table), "an enum's trace labels must be in value order");
  std::vector<std::string> out;
  for (const auto& entry : table) out.emplace_back(entry.label);
  return out;
}

}  // namespace hcasim
