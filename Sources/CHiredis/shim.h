/* CHiredis: exposes hiredis 0.14's protocol layer (command formatting, the reply reader) to Swift. */
#ifndef CHIREDIS_SHIM_H
#define CHIREDIS_SHIM_H
#include <hiredis/hiredis.h>
#include <hiredis/read.h>

/* A reader's reply functions with a cap on the elements an array reply may announce. hiredis 0.14 allocates
   8 bytes per announced element before any element arrives, so `*777777770` would cost 6 GB; with the cap, such an
   announcement is a reader error instead. The table is the reader's `privdata` (hiredis hands it to every task). */
typedef struct chiredis_capped_functions {
    redisReplyObjectFunctions functions;
    void *(*createArray)(const redisReadTask *, int);
    int maximumElements;
    /* Elements announced so far by the arrays of the reply being read (the cap holds for the whole reply too). */
    long long announced;
} chiredis_capped_functions;

static inline void *chiredis_capped_create_array(const redisReadTask *task, int elements) {
    chiredis_capped_functions *capped = (chiredis_capped_functions *)task->privdata;
    if (task->parent == NULL) capped->announced = 0;
    if (elements < 0 || elements > capped->maximumElements) return NULL;
    capped->announced += elements;
    if (capped->announced > capped->maximumElements) return NULL;
    return capped->createArray(task, elements);
}

/* Points `reader` at `capped`: hiredis's own functions, except that arrays are capped at `maximumElements`. */
static inline void chiredis_cap_arrays(redisReader *reader, chiredis_capped_functions *capped, int maximumElements) {
    capped->functions = *reader->fn;
    capped->createArray = reader->fn->createArray;
    capped->functions.createArray = chiredis_capped_create_array;
    capped->maximumElements = maximumElements;
    capped->announced = 0;
    reader->fn = &capped->functions;
    reader->privdata = capped;
}
#endif
