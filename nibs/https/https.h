// The built-in https nib: the http nib's reply parser (nibs/http/http_parser.h) over wolfSSL,
// driven by the engine's io_uring completions (docs/https.md):
//   - wolfSSL never touches the socket: custom I/O callbacks serve wolfSSL's reads straight
//     from the chunk the engine delivers (one large provided-buffer read, however many 5-byte
//     header reads wolfSSL makes) and collect its writes in the connection's cipher-out buffer,
//     bounded by a high-water mark;
//   - the handshake is a state machine re-entered on each received chunk; it is part of the
//     hit's connect phase, and a resumed session is reported with INCARNE_NIB_OUT_RESUMED;
//   - one WOLFSSL_CTX and one session store per worker (never wolfSSL's global cache);
//   - TLS failures fail the hit with EPROTO (71); wolfSSL's reasons are counted per worker
//     and reported to incarne.log at the end of the run (incarne_nib.report).
#pragma once

#include "incarne/nib.h"

namespace incarne {

// The descriptor (static storage; valid for the life of the process).
const incarne_nib* HttpsNib();

}  // namespace incarne
