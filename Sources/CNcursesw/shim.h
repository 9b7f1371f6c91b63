#ifndef PALMTOP_NCURSES_SHIM_H
#define PALMTOP_NCURSES_SHIM_H
#define _XOPEN_SOURCE_EXTENDED 1
#define NCURSES_WIDECHAR 1
#include <locale.h>
#include <ncurses.h>

// Macros Swift cannot import, as functions.
static inline int pt_color_pair(int n) { return COLOR_PAIR(n); }
static inline attr_t pt_a_bold(void) { return A_BOLD; }
static inline attr_t pt_a_reverse(void) { return A_REVERSE; }
static inline attr_t pt_a_underline(void) { return A_UNDERLINE; }
static inline attr_t pt_a_dim(void) { return A_DIM; }
static inline attr_t pt_a_normal(void) { return A_NORMAL; }
#endif
