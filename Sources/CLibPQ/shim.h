#ifndef UPSHIFT_CLIBPQ_SHIM_H
#define UPSHIFT_CLIBPQ_SHIM_H

#include <libpq-fe.h>
#include <spawn.h>

// PG_DIAG_* are character-literal macros, which Swift does not import.
static inline int upshift_pg_diag_sqlstate(void) { return PG_DIAG_SQLSTATE; }
static inline int upshift_pg_diag_message_primary(void) { return PG_DIAG_MESSAGE_PRIMARY; }
static inline int upshift_pg_diag_message_detail(void) { return PG_DIAG_MESSAGE_DETAIL; }
static inline int upshift_pg_diag_message_hint(void) { return PG_DIAG_MESSAGE_HINT; }
static inline int upshift_pg_diag_context(void) { return PG_DIAG_CONTEXT; }

// The program runners spawn PostgreSQL's tools next to libpq. glibc (2.29+/2.34+) declares these
// (and pipe2) only under _GNU_SOURCE, so Swift's Glibc module hides them; redeclaring prototypes is valid C.
extern int pipe2(int fds[2], int flags);
extern int posix_spawn_file_actions_addchdir_np(posix_spawn_file_actions_t *actions, const char *path);
extern int posix_spawn_file_actions_addclosefrom_np(posix_spawn_file_actions_t *actions, int from);

#endif
