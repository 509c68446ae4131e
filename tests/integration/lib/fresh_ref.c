/* The reference client of the fresh-connection tests (lib/fresh_conn.sh fresh_reference):
 * connect + send + read to the close with blocking sockets, kCount times after kWarm
 * warm-ups, one exchange every EVERY_US µs (0: back to back). Prints "<median whole> <median
 * connect>" in µs (the connect including the socket's creation, as incarne's connect phase
 * does). Built with -DFRESH_REF_TLS (and -lwolfssl): over TLS 1.3 with wolfSSL — the library
 * incarne's https nib uses, so that the difference is the engine's, not the library's — a
 * full handshake each time (no verification, no resumption; the connect phase ends with it),
 * read to the reply's last Content-Length byte (where incarne's hit is done).
 *   fresh_ref PORT REQUEST EVERY_US   (REQUEST with \r and \n as escapes) */
#define _GNU_SOURCE /* strcasestr */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#ifdef FRESH_REF_TLS
#include <wolfssl/options.h>
#include <wolfssl/ssl.h>
#endif

#ifdef FRESH_REF_TLS
enum { kWarm = 10, kCount = 100 };
#else
enum { kWarm = 100, kCount = 1000 };
#endif

static long long now_ns(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1000000000LL + t.tv_nsec;
}

static int cmp(const void* a, const void* b) {
  long long x = *(const long long*)a, y = *(const long long*)b;
  return x < y ? -1 : x > y;
}

int main(int argc, char** argv) {
  if (argc != 4) {
    fprintf(stderr, "usage: fresh_ref PORT REQUEST EVERY_US\n");
    return 2;
  }
  char req[1024];
  size_t len = 0;
  for (const char* p = argv[2]; *p != '\0' && len < sizeof(req); ++p) {
    if (p[0] == '\\' && (p[1] == 'r' || p[1] == 'n')) {
      req[len++] = p[1] == 'r' ? '\r' : '\n';
      ++p;
    } else {
      req[len++] = *p;
    }
  }
  struct sockaddr_in a;
  memset(&a, 0, sizeof(a));
  a.sin_family = AF_INET;
  a.sin_port = htons((unsigned short)atoi(argv[1]));
  inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
  const long long every = atoll(argv[3]) * 1000;
  static long long whole[kCount], conn[kCount];
#ifdef FRESH_REF_TLS
  wolfSSL_Init();
  WOLFSSL_CTX* ctx = wolfSSL_CTX_new(wolfTLSv1_3_client_method());
  if (ctx == NULL) {
    fprintf(stderr, "fresh_ref: wolfSSL_CTX_new failed\n");
    return 1;
  }
  wolfSSL_CTX_set_verify(ctx, WOLFSSL_VERIFY_NONE, NULL);
#else
  char buf[4096];
#endif
  long long tick = now_ns();
  for (int i = 0; i < kWarm + kCount; ++i) {
    if (every != 0) {
      tick += every;
      struct timespec ts = {tick / 1000000000LL, tick % 1000000000LL};
      clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL);
    }
    long long t0 = now_ns();
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    if (fd < 0 || connect(fd, (struct sockaddr*)&a, sizeof(a)) != 0) {
      perror("fresh_ref: connect");
      return 1;
    }
#ifdef FRESH_REF_TLS
    WOLFSSL* ssl = wolfSSL_new(ctx);
    if (ssl == NULL || wolfSSL_set_fd(ssl, fd) != WOLFSSL_SUCCESS ||
        wolfSSL_connect(ssl) != WOLFSSL_SUCCESS) {
      fprintf(stderr, "fresh_ref: TLS handshake failed\n");
      return 1;
    }
    long long t1 = now_ns();
    if (wolfSSL_write(ssl, req, (int)len) != (int)len) {
      fprintf(stderr, "fresh_ref: TLS write failed\n");
      return 1;
    }
    /* The reply: headers, then Content-Length bytes. */
    static char reply[65536];
    size_t have = 0, want = 0;
    while (want == 0 || have < want) {
      int n = wolfSSL_read(ssl, reply + have, (int)(sizeof(reply) - 1 - have));
      if (n <= 0) {
        break;
      }
      have += (size_t)n;
      reply[have] = '\0';
      const char* end = strstr(reply, "\r\n\r\n");
      if (want == 0 && end != NULL) {
        const char* cl = strcasestr(reply, "content-length:");
        want =
            (size_t)(end - reply) + 4 + (cl != NULL && cl < end ? strtoul(cl + 15, NULL, 10) : 0);
      }
    }
    long long t2 = now_ns();
    wolfSSL_free(ssl);
    close(fd);
    if (have < 12 || memcmp(reply, "HTTP/1.1 200", 12) != 0) {
      fprintf(stderr, "fresh_ref: unexpected reply\n");
      return 1;
    }
#else
    long long t1 = now_ns();
    if (send(fd, req, len, 0) != (ssize_t)len) {
      perror("fresh_ref: send");
      return 1;
    }
    char head[12];
    size_t have = 0;
    ssize_t n;
    while ((n = recv(fd, buf, sizeof(buf), 0)) > 0) {
      size_t k = sizeof(head) - have < (size_t)n ? sizeof(head) - have : (size_t)n;
      memcpy(head + have, buf, k);
      have += k;
    }
    long long t2 = now_ns();
    close(fd);
    if (have < sizeof(head) || memcmp(head, "HTTP/1.1 200", sizeof(head)) != 0) {
      fprintf(stderr, "fresh_ref: unexpected reply\n");
      return 1;
    }
#endif
    if (i >= kWarm) {
      whole[i - kWarm] = t2 - t0;
      conn[i - kWarm] = t1 - t0;
    }
  }
  qsort(whole, kCount, sizeof(whole[0]), cmp);
  qsort(conn, kCount, sizeof(conn[0]), cmp);
  printf("%lld %lld\n", (whole[kCount / 2] + 500) / 1000, (conn[kCount / 2] + 500) / 1000);
  return 0;
}
