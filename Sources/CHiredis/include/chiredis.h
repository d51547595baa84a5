#ifndef LLMR_CHIREDIS_H
#define LLMR_CHIREDIS_H

/* hiredis (libhiredis-dev) for the state shared across machines. */
#include <hiredis/hiredis.h>

/* The context's error text, or "" when there is none. */
const char *llmr_redis_error(const redisContext *c);

/* Sends one command of argc arguments with their lengths and waits for its
   reply (NULL on an I/O error or timeout: see llmr_redis_error). */
redisReply *llmr_redis_command(redisContext *c, int argc, const char **argv, const size_t *lengths);

#endif
