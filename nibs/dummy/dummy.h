// The built-in dummy nib: no network. on_start completes the hit at once, or after
// target.dummy.latency, which the worker simulates with its own timer (never a sleep), so
// the engine's schedule, slots, records and collector can be measured without a target.
#pragma once

#include "incarne/nib.h"

namespace incarne {

// The descriptor (static storage; valid for the life of the process).
const incarne_nib* DummyNib();

}  // namespace incarne
