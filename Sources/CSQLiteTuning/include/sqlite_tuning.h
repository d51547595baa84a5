#ifndef LLMR_SQLITE_TUNING_H
#define LLMR_SQLITE_TUNING_H

/* Connection settings that SQLite only offers through variadic or pointer-out
   calls. `db` is a `sqlite3 *`; each returns an SQLite result code. */

/* Keep the WAL file when the last connection closes, and skip the checkpoint
   that closing would do: the next process's autocheckpoint does that work. */
int llmr_sqlite_keep_wal_on_close(void *db);

#endif
