#ifndef TL_CPNG_SHIM_H
#define TL_CPNG_SHIM_H
#include <png.h>
#endif
