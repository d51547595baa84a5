#ifndef LLMR_CSQLITE_H
#define LLMR_CSQLITE_H

/* SQLite's C API for the state store, plus the few calls Swift cannot make
   directly: variadic configuration and the SQLITE_TRANSIENT destructor. */
#include <sqlite3.h>

/* Keep the WAL file when the last connection closes, and skip the checkpoint
   that closing would do: a request folds the WAL in once it is long. */
int llmr_sqlite_keep_wal_on_close(sqlite3 *db);

/* Binds text or a blob that SQLite copies before the call returns. */
int llmr_sqlite_bind_text(sqlite3_stmt *statement, int index, const char *text, int bytes);

#endif
