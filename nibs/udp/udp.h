// The built-in udp nib: every hit sends its ammo record as one datagram on the instance's
// connected UDP socket, and the next datagram that socket receives is the reply (proto_code
// 0, size_in = its length). No keys. The engine does the rest: the whole-hit timeout
// (target.timeout → net_code 110, and the socket is replaced so a late reply cannot answer
// the next hit), ICMP port unreachable (net_code 111), one socket per instance.
// docs/udp.md has the ammo to use and the limits.
#pragma once

#include "incarne/nib.h"

namespace incarne {

// The descriptor (static storage; valid for the life of the process).
const incarne_nib* UdpNib();

}  // namespace incarne
