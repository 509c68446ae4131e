// The built-in http nib: HTTP/1.0 and HTTP/1.1 over the engine's TCP connections, with
// phantom's proto_http semantics (docs/http.md):
//   - the request is the ammo record, sent unchanged straight from the ammo mapping;
//   - the reply is parsed incrementally (http_parser.h); keep-alive is decided by the reply;
//   - a malformed reply or one over the [target.http] limits fails the hit with EPROTO (71);
//   - max_requests_per_connection closes a connection after that many replies.
// The engine owns sockets, timeouts and the stale-connection retry; the nib only sees bytes.
#pragma once

#include "incarne/nib.h"

namespace incarne {

// The descriptor (static storage; valid for the life of the process).
const incarne_nib* HttpNib();

}  // namespace incarne
