/* incarne nib ABI — the protocol tip of a hit, as a plain C interface (the plugin SDK).
 *
 * A nib turns an ammo record into bytes on the wire and decides when a reply is complete.
 * It never touches a socket: the engine's worker owns the io_uring, the sockets, the timers
 * and the buffers, and calls the nib "sans I/O" — it hands the nib the request bytes and every
 * received chunk, and the nib answers with the bytes to send next and a verdict. That is what
 * lets one shape serve plain HTTP (send the ammo bytes as they are, zero-copy from the mapped
 * ammo file), TLS (emit handshake bytes, consume cipher bytes, encrypt the request), UDP (one
 * datagram per hit) and the dummy nib (no network at all).
 *
 * Built-in nibs (dummy, http, https, udp) are compiled in and listed explicitly
 * (nibs/meson.build). External nibs are shared objects exporting
 *     const incarne_nib* incarne_nib_entry(void);          (INCARNE_NIB_ENTRY_SYMBOL)
 * and are loaded with dlopen by the engine, which checks abi_version and struct_size before
 * calling anything. docs/nibs.md is the guide for nib authors, with a complete example.
 *
 * Rules of the ABI (PipeWire SPA, nginx modules):
 *   - Versioned, append-only structs: every struct starts with or carries a size; new fields
 *     are only ever added at the end; a reader checks the size before reading a newer field
 *     (INCARNE_NIB_HAS). abi_version changes only for an incompatible change.
 *   - Caller-allocated state: per connection the engine allocates `state_size` bytes
 *     (64-byte aligned, zero-filled before every on_open) out of its preallocated per-worker
 *     arena. A nib must not allocate, lock, block or print on the data path.
 *   - Errors: control-plane functions return 0 or a negative errno and write a NUL-terminated
 *     message into `error`. Data-path functions return an incarne_nib_status (>= 0) or a
 *     negative errno, which becomes the hit's net_code (-EPROTO → 71 "bad reply").
 *   - Threads: create/destroy run on the control thread; worker_init, every data-path function
 *     and worker_fini run on one worker thread, never concurrently for the same worker_ctx.
 */
#ifndef INCARNE_NIB_H_
#define INCARNE_NIB_H_

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Bumped only for incompatible changes; the engine refuses any other value. */
#define INCARNE_NIB_ABI_VERSION 1u

/* The symbol an external nib exports: `const incarne_nib* incarne_nib_entry(void);` */
#define INCARNE_NIB_ENTRY_SYMBOL "incarne_nib_entry"

/* What the engine provides under the nib. */
enum incarne_nib_transport {
  INCARNE_NIB_TRANSPORT_NONE = 0, /* no network at all (dummy): on_start must return DONE */
  INCARNE_NIB_TRANSPORT_TCP = 1,  /* one TCP connection per instance; connect, send, recv */
  INCARNE_NIB_TRANSPORT_UDP = 2,  /* one connected UDP socket per instance; a chunk = a datagram */
};

/* Capability bits (incarne_nib.capabilities). */
#define INCARNE_NIB_CAP_TLS (1u << 0)           /* transforms bytes (handshake, records) */
#define INCARNE_NIB_CAP_AMMO_OPTIONAL (1u << 1) /* runs without ammo (empty requests) */

/* Data-path verdicts; a negative value is -errno and fails the hit (or the connection). */
enum incarne_nib_status {
  INCARNE_NIB_WANT_RECV = 0, /* send out->send if set, then wait for more received bytes */
  INCARNE_NIB_DONE = 1,      /* the hit is complete: out->proto_code, out->flags, out->delay_ns */
  INCARNE_NIB_READY = 2,     /* (on_open/on_recv before a hit) the connection can take a request */
};

/* out->flags */
#define INCARNE_NIB_OUT_CLOSE (1u << 0)   /* close the connection after this (no keep-alive) */
#define INCARNE_NIB_OUT_RESUMED (1u << 1) /* on READY: the TLS session was resumed */
/* on_start: the request tells the server it is the connection's last (the https nib's
 * "Connection: close", encrypted in): when the hit ends with CLOSE the engine lets the server
 * close first, as for an `insert` (waits for its FIN). Appended in ABI 1 (0 = not said). */
#define INCARNE_NIB_OUT_LAST_REQUEST (1u << 2)

/* What a data-path call asks of the engine. The engine zeroes it before every call. */
typedef struct incarne_nib_out {
  /* Bytes to send before anything else happens on this connection, or NULL. They must stay
   * valid and unchanged until the engine's next call on this connection state: point into
   * the request (zero-copy from the ammo mapping) or into the nib's state. The engine calls
   * on_sent once all of them were handed to the kernel. */
  const void* send;
  uint32_t send_len;
  uint16_t proto_code; /* DONE: protocol status (HTTP status), 0 if none */
  uint16_t flags;      /* INCARNE_NIB_OUT_* */
  /* DONE from on_start on TRANSPORT_NONE only: the reply completes this long after the hit
   * started (simulated latency, driven by the worker's timer — never a sleep). */
  uint64_t delay_ns;
  /* Bytes of reply payload the nib saw, when it is not simply the bytes received (TLS: the
   * decrypted size). 0 = let the engine count received bytes. A nib with INCARNE_NIB_CAP_TLS
   * is never counted by the engine: its hit's size_in is only what it reports here. */
  uint32_t size_in;
  /* INCARNE_NIB_CAP_TLS nibs only (ignored for the others, whose size_out is the bytes the
   * engine sent for the hit): the application bytes of the request, from on_start — the
   * plaintext, inserted bytes included; handshake and record overhead are not a hit's bytes
   * (phantom counts the request it wrote into its TLS stream). Was reserved0 (always 0). */
  uint32_t size_out;
  /* on_start only, optional: bytes the engine sends spliced into `send` at offset
   * insert_at (≤ send_len) — send[0, insert_at), insert, send[insert_at, send_len) — in one
   * SENDMSG, without copying either (the http nib's "Connection: close\r\n" on the last
   * request of a connection). Same lifetime rule as `send`; on_sent follows once all of them
   * were handed to the kernel. Never with sendfile(2). Appended in ABI 1 (zero = none). */
  const void* insert;
  uint32_t insert_len;
  uint32_t insert_at;
} incarne_nib_out;

/* One hit's request: an ammo record. `data` points into a read-only shared mapping; a nib
 * that sends it unchanged returns out->send = data, out->send_len = len (the engine then
 * sends straight from the page cache, or uses sendfile(2) for large records). */
typedef struct incarne_nib_request {
  const void* data;
  uint32_t len;
  uint16_t tag;   /* index into the ammo tag table */
  uint16_t flags; /* ammo record flags (docs/formats.md) */
  uint64_t index; /* global shot index (diagnostics only) */
} incarne_nib_request;

/* A configuration value, both strings NUL-terminated and valid during create(). */
typedef struct incarne_nib_kv {
  const char* key;
  const char* value;
} incarne_nib_kv;

/* Passed to create(). For built-in nibs `plan` points to the resolved C++ `incarne::Plan`
 * (typed config) and `params` holds their `[target.<name>]` keys; for external nibs `plan` is
 * NULL and the keys of the plan's `[target.params]` table arrive as strings in `params`, in
 * key order (numbers and booleans as TOML writes them, durations as written, e.g. "1ms"). */
typedef struct incarne_nib_config {
  uint32_t struct_size; /* sizeof(incarne_nib_config) as the engine knows it */
  uint32_t workers;     /* worker threads that will call worker_init */
  const char* address;  /* the target as written, "host:port" | "[v6]:port" ("" if none) */
  const char* host;     /* its host part (Host header, SNI) */
  const incarne_nib_kv* params;
  uint32_t param_count;
  uint32_t reserved0;
  const void* plan;   /* built-ins: const incarne::Plan*; external nibs: NULL */
  int64_t timeout_ns; /* the whole-hit budget (target.timeout) */
} incarne_nib_config;

/* The engine's receiver of decoded reply bytes (incarne_nib.tap_replies): `tap_ctx` as the
 * engine registered it, `state` the connection state the bytes belong to (the one on_recv
 * was called with), `data`/`len` the next piece of the reply payload, valid during the call
 * (the engine copies what it keeps). Never fails, never blocks, never allocates. */
typedef void (*incarne_nib_tap)(void* tap_ctx, void* state, const void* data, uint32_t len);

/* The descriptor. Function pointers marked optional may be NULL. */
typedef struct incarne_nib {
  uint32_t abi_version; /* INCARNE_NIB_ABI_VERSION */
  uint32_t struct_size; /* sizeof(incarne_nib) as the nib was compiled */
  const char* name;     /* "http"; what target.nib names */
  const char* description;
  uint32_t transport;    /* enum incarne_nib_transport */
  uint32_t capabilities; /* INCARNE_NIB_CAP_* */
  uint32_t state_size;   /* per-connection state bytes (may be 0) */
  uint32_t reserved0;

  /* ---- control plane ---- */

  /* optional. Validates the configuration and builds the nib's shared, read-only context
   * (*nib, passed back to worker_init/destroy). 0 or -errno with a message in error
   * (e.g. -EINVAL "latency: expected a duration"). Nothing is fired when it fails. */
  int (*create)(const incarne_nib_config* config, void** nib, char* error, size_t error_size);
  /* optional. After every worker_fini. */
  void (*destroy)(void* nib);
  /* optional. On worker `worker` before its first hit; `slots` is the number of connection
   * states it will use (preallocate per-connection resources here). Sets *worker_ctx. */
  int (*worker_init)(void* nib, uint32_t worker, uint32_t slots, void** worker_ctx, char* error,
                     size_t error_size);
  /* optional. After the worker's last call; every on_close has been called. */
  void (*worker_fini)(void* nib, void* worker_ctx);

  /* ---- data path (worker thread; no allocation, locks, blocking or printing) ---- */

  /* optional (NULL = READY). A connection was established (TCP connected; UDP socket
   * created; TRANSPORT_NONE: once per instance slot before its first hit); `state` is
   * zero-filled. READY, or WANT_RECV with out->send (a TLS ClientHello) to handshake first. */
  int (*on_open)(void* worker_ctx, void* state, incarne_nib_out* out);
  /* required. A hit starts on a READY connection: set out->send to the bytes to send.
   * WANT_RECV (then the reply arrives through on_recv), DONE (no reply expected; the only
   * choice on TRANSPORT_NONE, with out->delay_ns) or -errno. */
  int (*on_start)(void* worker_ctx, void* state, const incarne_nib_request* request,
                  incarne_nib_out* out);
  /* optional (NULL = WANT_RECV). Everything in the last out->send was handed to the kernel.
   * Set out->send to continue (the next TLS record of a large request), or return DONE for
   * fire-and-forget protocols. */
  int (*on_sent)(void* worker_ctx, void* state, incarne_nib_out* out);
  /* required unless TRANSPORT_NONE. Received bytes, valid only during the call (copy what
   * must be kept); len == 0 means the peer closed the connection (EOF). While a hit is in
   * flight: WANT_RECV, DONE or -errno (e.g. -EPROTO for a malformed reply). During a
   * handshake: WANT_RECV or READY. Between hits (unsolicited bytes, e.g. TLS session
   * tickets): WANT_RECV to absorb them or -errno to have the connection closed. */
  int (*on_recv)(void* worker_ctx, void* state, const void* data, uint32_t len,
                 incarne_nib_out* out);
  /* optional. The connection is going away (closed, reset, timed out, or the run ends);
   * release what on_open took. The state is not used again until the next on_open. */
  void (*on_close)(void* worker_ctx, void* state);

  /* ---- appended after ABI 1 shipped: read only when INCARNE_NIB_HAS(d, report) ---- */

  /* optional. Control thread, after every worker_fini and before destroy: writes a
   * NUL-terminated summary of the run for incarne.log into `text` (at most `size` bytes,
   * "" for nothing), one event per line — e.g. the reasons behind hits failed with EPROTO,
   * which the data path cannot print (the https nib: wolfSSL's TLS failure reasons with their
   * counts). The engine logs each line prefixed with the nib's name. */
  void (*report)(void* nib, char* text, size_t size);

  /* ---- appended after ABI 1 shipped: read only when INCARNE_NIB_HAS(d, <field>) ---- */

  /* optional; for nibs that transform bytes (TLS) and have a state (state_size > 0: the
   * state names the connection). Worker thread, after worker_init and before any data-path
   * call, and only when the engine wants reply bytes (the answ log is on); `worker_ctx` is
   * what worker_init set (NULL without worker_init). From then on, while a hit is in flight
   * on `state`, the nib calls tap(tap_ctx, state, data, len) during on_recv for each piece of
   * reply payload as it decodes it (TLS: the plaintext), in order, each byte it counts in
   * out->size_in exactly once. The engine ignores taps outside a hit (handshake, between
   * hits) and, once registered, captures no raw bytes for this nib. A nib without this hook
   * gets the bytes received from the socket captured as they are — right for every nib that
   * does not transform bytes. */
  void (*tap_replies)(void* worker_ctx, incarne_nib_tap tap, void* tap_ctx);
  /* optional. Worker thread, right after a data-path call on `worker_ctx` returned a
   * negative status: the reason behind it, one NUL-terminated line without a newline
   * ("handshake: certificate verify failed (wolfSSL error -188)"), or NULL when there is
   * nothing to add to the errno — or when the reply bytes themselves are the better evidence
   * (a malformed reply). Valid until the next data-path call on this worker_ctx. The engine
   * copies it into the answ log entry of the hit that failed (docs/results.md §10). */
  const char* (*last_error)(void* worker_ctx);
} incarne_nib;

/* True when descriptor `d` (as the nib compiled it) contains member `field`. */
#define INCARNE_NIB_HAS(d, field) \
  ((d)->struct_size >= offsetof(incarne_nib, field) + sizeof(((incarne_nib*)0)->field))

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* INCARNE_NIB_H_ */
