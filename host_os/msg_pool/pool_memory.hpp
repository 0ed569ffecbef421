#pragma once
// The memory a pool is built in and registered with: its "registrar". The pool calls it only at
// creation and destroy, never per message. A Memory M is a class with:
//
//   std::uint64_t allocate(std::uint64_t bytes, std::uint64_t align);
//       // A block for the pool's buffers; its (host or simulated) address. Throws if it cannot.
//   void release(std::uint64_t addr, std::uint64_t bytes);
//       // Gives the block back (a bump allocator may ignore it).
//   std::uint32_t register_memory(std::uint64_t addr, std::uint64_t len, std::uint32_t access);
//       // Registers [addr, addr+len) with the adapter; returns the key the adapter checks.
//   void deregister(std::uint32_t key);
//
// In the simulation, allocate is HostMemory::allocate and register_memory the adapter's
// (AdapterContext::register_memory): registration is a firmware command that takes effect at
// once, so no caller context is needed.
#include <cstdint>
#include <type_traits>
#include <utility>

namespace hcasim::msg_pool {

namespace detail {
template <class M, class = void>
struct IsPoolMemory : std::false_type {};
template <class M>
struct IsPoolMemory<
    M, std::void_t<decltype(std::declval<M&>().allocate(std::uint64_t{}, std::uint64_t{})),
                   decltype(std::declval<M&>().release(std::uint64_t{}, std::uint64_t{})),
                   decltype(std::declval<M&>().register_memory(std::uint64_t{}, std::uint64_t{},
                                                               std::uint32_t{})),
                   decltype(std::declval<M&>().deregister(std::uint32_t{}))>>
    : std::bool_constant<
          std::is_same_v<decltype(std::declval<M&>().allocate(std::uint64_t{}, std::uint64_t{})),
                         std::uint64_t> &&
          std::is_same_v<decltype(std::declval<M&>().register_memory(
                             std::uint64_t{}, std::uint64_t{}, std::uint32_t{})),
                         std::uint32_t>> {};
}  // namespace detail

// True when M models the Memory concept described above; MessagePool static_asserts it.
template <class M>
inline constexpr bool is_pool_memory_v = detail::IsPoolMemory<M>::value;

}  // namespace hcasim::msg_pool
