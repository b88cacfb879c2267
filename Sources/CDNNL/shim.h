#ifndef TL_CDNNL_SHIM_H
#define TL_CDNNL_SHIM_H
// oneDNN's C API (Debian libdnnl-dev 2.6: /usr/include/oneapi/dnnl/dnnl.h; no pkg-config file, so the module map
// links libdnnl by name). Its CPU runtime is OpenMP (dnnl_config.h: DNNL_CPU_THREADING_RUNTIME DNNL_RUNTIME_OMP).
#include <oneapi/dnnl/dnnl.h>
#endif
