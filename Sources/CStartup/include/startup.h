#ifndef LLMR_STARTUP_H
#define LLMR_STARTUP_H

/// Which of the standard descriptors were closed when the process started:
/// bit 0 stdin, bit 1 stdout, bit 2 stderr. Each was reopened on /dev/null
/// before anything else ran.
int llmr_closed_standard_fds(void);

/// The width in columns of the terminal on `fd`, or 0 when it is none or says none.
int llmr_terminal_columns(int fd);

#endif
