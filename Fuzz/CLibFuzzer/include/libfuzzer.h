/*
 * libfuzzer.h - libFuzzer's driver entry point (compiler-rt/lib/fuzzer/FuzzerInterface.h), declared for Swift.
 * Defined only when linking with -sanitize=fuzzer; the driver calls it only in that build (WORKBENCH_LIBFUZZER).
 */
#ifndef WORKBENCH_LIBFUZZER_H
#define WORKBENCH_LIBFUZZER_H

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerRunDriver(int *argc, char ***argv, int (*callback)(const uint8_t *data, size_t size));

#endif
