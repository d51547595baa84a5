#include "chiredis.h"

const char *llmr_redis_error(const redisContext *c) {
    if (c == NULL) return "no connection";
    return c->err ? c->errstr : "";
}

redisReply *llmr_redis_command(redisContext *c, int argc, const char **argv, const size_t *lengths) {
    return (redisReply *)redisCommandArgv(c, argc, argv, lengths);
}
