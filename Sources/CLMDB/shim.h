// The one C header Cairn uses: Debian's liblmdb (`apt-get install liblmdb-dev`).
// Only the `LMDB` Swift module imports this; everything else goes through it.
#ifndef CAIRN_CLMDB_SHIM_H
#define CAIRN_CLMDB_SHIM_H
#include <lmdb.h>
#endif
