#ifndef TL_CMALLOC_SHIM_H
#define TL_CMALLOC_SHIM_H
// glibc's allocator tuning (mallopt), which the Glibc Swift module does not export.
#include <malloc.h>
#endif
