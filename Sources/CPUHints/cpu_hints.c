// Everything is in include/cpu_hints.h; SwiftPM wants one source file per C target.
#include "cpu_hints.h"
