// sd_notify(3) in-tree, without libsystemd: one AF_UNIX datagram to $NOTIFY_SOCKET (a path, or
// an abstract socket name written with a leading '@'). Messages: "READY=1", "STATUS=...",
// "WATCHDOG=1", "STOPPING=1" (docs/daemon.md "systemd").
// Control plane, any thread; never aborts.
#pragma once

#include <cstdint>
#include <string_view>

namespace incarne::control {

// Sends `state` (e.g. "READY=1\nSTATUS=idle"). Returns 0 when not under systemd
// ($NOTIFY_SOCKET unset or empty), 1 when sent, -errno on failure.
int SdNotify(std::string_view state);

// $WATCHDOG_USEC when it is set for this process ($WATCHDOG_PID unset or ours), else 0.
uint64_t SdWatchdogUsec();

}  // namespace incarne::control
