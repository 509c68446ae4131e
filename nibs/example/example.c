/* An external nib for a line protocol over TCP: the example of docs/nibs.md.
 *
 * Every hit sends its ammo record as one line (a '\n' is appended when the record does not
 * end with one) and the reply is complete at the first '\n' it contains (proto_code 0; the
 * engine counts the reply bytes). Keys ([target.params] in the plan):
 *   max_line = N   a reply longer than N bytes without a '\n' fails the hit with net_code
 *                  71 (EPROTO); default 65536.
 * EOF before the newline: 104 (ECONNRESET) when nothing came back, 71 otherwise.
 *
 * Build it on its own (no incarne sources needed, only include/incarne/nib.h):
 *   cc -std=c11 -O2 -Wall -fPIC -shared -fvisibility=hidden -I include \
 *      -o libnib_example.so nibs/example/example.c
 * and load it with  target.nib = "./libnib_example.so"  (relative to the current directory).
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "incarne/nib.h"

#ifndef EXAMPLE_ABI_VERSION
#define EXAMPLE_ABI_VERSION INCARNE_NIB_ABI_VERSION /* -DEXAMPLE_ABI_VERSION=999: a "wrong" one */
#endif

#define EXPORT __attribute__((visibility("default")))

/* Run-wide configuration, built by create() on the control thread; read-only afterwards. */
struct example_config {
  uint32_t max_line;
};

/* Per connection, in memory the engine owns (zero-filled before every on_open). */
struct conn {
  uint32_t line_len;    /* reply bytes of this hit so far */
  uint8_t need_newline; /* the record does not end with '\n': send one after it */
  uint8_t in_hit;       /* a hit is waiting for its reply line */
};

static int example_create(const incarne_nib_config* config, void** nib, char* error,
                          size_t error_size) {
  struct example_config c = {.max_line = 65536};
  for (uint32_t i = 0; i < config->param_count; ++i) {
    const char* key = config->params[i].key;
    const char* value = config->params[i].value;
    if (strcmp(key, "max_line") == 0) {
      char* end = NULL;
      errno = 0;
      unsigned long v = strtoul(value, &end, 10);
      if (errno != 0 || end == value || *end != '\0' || v == 0 || v > UINT32_MAX) {
        snprintf(error, error_size,
                 "target.params.max_line: expected a positive integer, got \"%s\"", value);
        return -EINVAL;
      }
      c.max_line = (uint32_t)v;
    } else {
      snprintf(error, error_size, "target.params: unknown key '%s' (expected: max_line)", key);
      return -EINVAL;
    }
  }
  struct example_config* p = malloc(sizeof(*p));
  if (p == NULL) {
    snprintf(error, error_size, "out of memory");
    return -ENOMEM;
  }
  *p = c;
  *nib = p;
  return 0;
}

static void example_destroy(void* nib) { free(nib); }

/* Every worker shares the read-only configuration. */
static int example_worker_init(void* nib, uint32_t worker, uint32_t slots, void** worker_ctx,
                               char* error, size_t error_size) {
  (void)worker;
  (void)slots;
  (void)error;
  (void)error_size;
  *worker_ctx = nib;
  return 0;
}

static int example_start(void* worker_ctx, void* state, const incarne_nib_request* request,
                         incarne_nib_out* out) {
  (void)worker_ctx;
  struct conn* c = state;
  c->line_len = 0;
  c->in_hit = 1;
  c->need_newline = request->len == 0 || ((const char*)request->data)[request->len - 1] != '\n';
  if (request->len == 0) {
    out->send = "\n";
    out->send_len = 1;
    c->need_newline = 0;
    return INCARNE_NIB_WANT_RECV;
  }
  out->send = request->data; /* zero-copy from the ammo mapping */
  out->send_len = request->len;
  return INCARNE_NIB_WANT_RECV;
}

/* The record went out: the line's end, if it still needs one, then wait for the reply. */
static int example_sent(void* worker_ctx, void* state, incarne_nib_out* out) {
  (void)worker_ctx;
  struct conn* c = state;
  if (c->need_newline) {
    c->need_newline = 0;
    out->send = "\n"; /* static storage: valid until the next call */
    out->send_len = 1;
  }
  return INCARNE_NIB_WANT_RECV;
}

static int example_recv(void* worker_ctx, void* state, const void* data, uint32_t len,
                        incarne_nib_out* out) {
  const struct example_config* cfg = worker_ctx;
  struct conn* c = state;
  if (!c->in_hit) {
    return len == 0 ? -ECONNRESET : INCARNE_NIB_WANT_RECV; /* between hits: ignore */
  }
  if (len == 0) {
    return c->line_len == 0 ? -ECONNRESET : -EPROTO; /* closed before the line's end */
  }
  const char* nl = memchr(data, '\n', len);
  const uint32_t upto = nl != NULL ? (uint32_t)(nl - (const char*)data) + 1 : len;
  if (c->line_len + upto > cfg->max_line + (nl != NULL ? 1u : 0u)) {
    return -EPROTO; /* longer than max_line: a malformed reply (71) */
  }
  c->line_len += upto;
  if (nl == NULL) {
    return INCARNE_NIB_WANT_RECV;
  }
  c->in_hit = 0;
  out->proto_code = 0;
  return INCARNE_NIB_DONE;
}

static const incarne_nib kExampleNib = {
    .abi_version = EXAMPLE_ABI_VERSION,
    .struct_size = sizeof(incarne_nib),
    .name = "example",
    .description = "line protocol over TCP: one line out, one line back",
    .transport = INCARNE_NIB_TRANSPORT_TCP,
    .capabilities = 0,
    .state_size = sizeof(struct conn),
    .create = example_create,
    .destroy = example_destroy,
    .worker_init = example_worker_init,
    .worker_fini = NULL,
    .on_open = NULL,
    .on_start = example_start,
    .on_sent = example_sent,
    .on_recv = example_recv,
    .on_close = NULL,
};

EXPORT const incarne_nib* incarne_nib_entry(void) { return &kExampleNib; }
