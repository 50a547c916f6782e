// CPU hints Swift has no spelling for. Header-only: static inline, so a
// call compiles to the one instruction.
#ifndef CAIRN_CPU_HINTS_H
#define CAIRN_CPU_HINTS_H

/// Asks the CPU to start loading the cache line at `address` (a hint: it
/// never faults, whatever the address).
static inline void cairn_prefetch(const void *address) { __builtin_prefetch(address, 0, 3); }

#endif
