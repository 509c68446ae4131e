// The 64-bit io_uring user_data of every engine operation: {op, generation, slot}, never a
// heap token (docs/design.md §9; liburing examples/proxy.h). The generation is the slot's
// connection generation at submission: a CQE whose generation no longer matches belongs to
// a connection that was already closed, and is only cleaned up after (its buffer returned).
//
//   bits 63..56  op (UserOp)
//   bits 55..32  generation (24 bits, wraps)
//   bits 31..0   slot index
#pragma once

#include <cstdint>

namespace incarne {

enum class UserOp : uint8_t {
  kNone = 0,  // CQEs the engine does not track (never posted: the op is not used)
  kConnect = 1,
  kSend = 2,
  kRecv = 3,
  kPollOut = 4,  // sendfile(2) hit EAGAIN: wait for the socket to drain
  kCancel = 5,
  kAccept = 6,  // the sink
  kWake = 7,    // unused by workers; reserved for cross-ring wake-ups
  // A worker's closed connection waiting for the server's FIN before close(2) (the "slot"
  // bits hold the fd); kLingerTimeout is its linked timeout, whose CQE is ignored.
  kLinger = 8,
  kLingerTimeout = 9,
};

inline constexpr uint32_t kGenerationMask = (1u << 24) - 1;

inline constexpr uint64_t PackUserData(UserOp op, uint32_t generation, uint32_t slot) {
  return (uint64_t{static_cast<uint8_t>(op)} << 56) |
         (uint64_t{generation & kGenerationMask} << 32) | slot;
}
inline constexpr UserOp UserDataOp(uint64_t ud) { return static_cast<UserOp>(ud >> 56); }
inline constexpr uint32_t UserDataGeneration(uint64_t ud) {
  return static_cast<uint32_t>(ud >> 32) & kGenerationMask;
}
inline constexpr uint32_t UserDataSlot(uint64_t ud) { return static_cast<uint32_t>(ud); }

}  // namespace incarne
