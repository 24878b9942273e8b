/* CHiredis: exposes the hiredis 0.14 C API (sync context, reader) to Swift. */
#ifndef CHIREDIS_SHIM_H
#define CHIREDIS_SHIM_H
#include <hiredis/hiredis.h>
#include <hiredis/sds.h>
#include <sys/eventfd.h>
#include <sys/prctl.h>

/* Bytes appended to the context's output buffer and not yet written to the socket. */
static inline size_t chiredis_pending_output(const redisContext *c) {
    return c->obuf ? sdslen(c->obuf) : 0;
}

/* Switches a connected context to non-blocking reads and writes (driven by poll). */
static inline void chiredis_clear_block_flag(redisContext *c) {
    c->flags &= ~REDIS_BLOCK;
}
/* An eventfd the connection thread polls so that callers can wake it. */
static inline int chiredis_make_wakeup_fd(void) {
    return eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
}
/* Names the calling thread (at most 15 bytes are kept) for top, perf and /proc/<pid>/task/<tid>/comm. */
static inline void chiredis_name_current_thread(const char *name) {
    prctl(PR_SET_NAME, name, 0, 0, 0);
}
#endif
