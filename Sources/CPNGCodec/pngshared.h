/*
 * pngshared.h - helpers shared by pngdecode.c and pngencode.c (private to the CPNGCodec target).
 *
 * libpng reports errors by calling the error function and then longjmp-ing to png_jmpbuf(png).
 * Each public function keeps all of its state (libpng structs, our buffers) in a context struct
 * that lives in the caller's frame, runs the libpng calls in a helper that calls setjmp first,
 * and frees everything in the caller whichever way the helper returned. on_error copies libpng's
 * message into the caller's buffer before jumping, so nothing is printed to stderr.
 */
#ifndef TL_PNGSHARED_H
#define TL_PNGSHARED_H

#include "pngcodec.h"

#include <png.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static inline int is_little_endian(void) {
    const uint16_t probe = 1;
    return *(const uint8_t *)&probe == 1;
}

static inline void set_message(char *message, const char *text) {
    snprintf(message, TL_PNG_MESSAGE_CAPACITY, "%s", text);
}

/* libpng error callback: copy the message out, then jump back to the active setjmp. */
static inline void on_error(png_structp png, png_const_charp text) {
    char *message = (char *)png_get_error_ptr(png);
    set_message(message, text);
    png_longjmp(png, 1);
}

/* libpng warning callback: warnings (e.g. a discarded ancillary chunk) are not errors. */
static inline void on_warning(png_structp png, png_const_charp text) {
    (void)png;
    (void)text;
}

#endif
