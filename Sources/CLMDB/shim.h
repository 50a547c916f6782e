// The one C header Cairn uses: Debian's liblmdb (`apt-get install liblmdb-dev`).
// Only the `LMDB` Swift module imports this; everything else goes through it.
// Besides LMDB, one compiler builtin Swift has no spelling for.
#ifndef CAIRN_CLMDB_SHIM_H
#define CAIRN_CLMDB_SHIM_H
#include <lmdb.h>

/// Asks the CPU to start loading `address` into cache (a hint, no fault).
static inline void cairn_prefetch(const void *address) { __builtin_prefetch(address, 0, 3); }
#endif
