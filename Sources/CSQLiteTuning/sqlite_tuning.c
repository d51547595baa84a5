#include <sqlite3.h>
#include "sqlite_tuning.h"

int llmr_sqlite_keep_wal_on_close(void *db) {
    sqlite3 *handle = (sqlite3 *)db;
    int on = 1;
    int rc = sqlite3_db_config(handle, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, (int *)0);
    if (rc != SQLITE_OK) return rc;
    return sqlite3_file_control(handle, "main", SQLITE_FCNTL_PERSIST_WAL, &on);
}
