/* The declaration in include/libfuzzer.h is all this target provides; libFuzzer itself defines the function. */
#include "libfuzzer.h"
