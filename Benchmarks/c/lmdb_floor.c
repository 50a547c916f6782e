/* The C floor for tools/bench-lmdb: the same work as bench-lmdb/main.swift
 * (N appends of 8-byte big-endian keys and 200-byte values, 1,000 per durable
 * transaction, then a full cursor scan) straight against liblmdb.
 *
 * With INDEXES > 0 (tools/bench-eventlog), every record also goes into that
 * many indexes keyed by random 16-byte ids (as an event log's event-id index
 * is, since workers choose the ids): what such an index costs even in C. */
#include <lmdb.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>

#define CHECK(expr) do { int rc_ = (expr); if (rc_) { fprintf(stderr, "%s: %s\n", #expr, mdb_strerror(rc_)); exit(1); } } while (0)

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv) {
    if (argc < 2) { fprintf(stderr, "usage: lmdb_floor DIR [RECORDS [VALUE_BYTES [INDEXES]]]\n"); return 2; }
    long records = argc > 2 ? atol(argv[2]) : 1000000;
    const int per_txn = 1000;
    int value_size = argc > 3 ? atoi(argv[3]) : 200;
    if (value_size < 1 || value_size > 4096) { fprintf(stderr, "VALUE_BYTES must be 1..4096\n"); return 2; }
    int indexes = argc > 4 ? atoi(argv[4]) : 0;
    if (indexes < 0 || indexes > 8) { fprintf(stderr, "INDEXES must be 0..8\n"); return 2; }
    mkdir(argv[1], 0755);
    MDB_env *env; MDB_txn *txn; MDB_dbi dbi, index_dbi[8]; MDB_cursor *cur;
    CHECK(mdb_env_create(&env));
    CHECK(mdb_env_set_maxdbs(env, 64));
    CHECK(mdb_env_set_mapsize(env, (size_t)2 << 30));
    CHECK(mdb_env_open(env, argv[1], MDB_NOTLS, 0644));
    CHECK(mdb_txn_begin(env, NULL, 0, &txn));
    CHECK(mdb_dbi_open(txn, "bench", MDB_CREATE, &dbi));
    for (int x = 0; x < indexes; x++) {
        char name[16];
        snprintf(name, sizeof name, "index%d", x);
        CHECK(mdb_dbi_open(txn, name, MDB_CREATE, &index_dbi[x]));
    }
    CHECK(mdb_txn_commit(txn));
    uint64_t rng = 0x9E3779B97F4A7C15ull;  /* splitmix64: random ids, fixed seed */

    unsigned char value[4096];
    for (int i = 0; i < value_size; i++) value[i] = (unsigned char)(i * 31);
    uint64_t key = 0;
    double t0 = now();
    for (long t = 0; t < records / per_txn; t++) {
        CHECK(mdb_txn_begin(env, NULL, 0, &txn));
        for (int i = 0; i < per_txn; i++) {
            uint64_t be = __builtin_bswap64(key++);
            MDB_val k = {8, &be}, v = {value_size, value};
            CHECK(mdb_put(txn, dbi, &k, &v, MDB_APPEND));
            for (int x = 0; x < indexes; x++) {
                uint64_t id[2];
                for (int h = 0; h < 2; h++) {
                    uint64_t z = (rng += 0x9E3779B97F4A7C15ull);
                    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
                    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
                    id[h] = z ^ (z >> 31);
                }
                MDB_val ik = {16, id}, iv = {8, &be};
                CHECK(mdb_put(txn, index_dbi[x], &ik, &iv, MDB_NOOVERWRITE));
            }
        }
        CHECK(mdb_txn_commit(txn));
    }
    double append_s = now() - t0;

    t0 = now();
    long count = 0; uint64_t checksum = 0;
    MDB_val k, v;
    CHECK(mdb_txn_begin(env, NULL, MDB_RDONLY, &txn));
    CHECK(mdb_cursor_open(txn, dbi, &cur));
    int rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST);
    while (rc == 0) {
        count++;
        checksum += ((unsigned char *)k.mv_data)[7] + ((unsigned char *)v.mv_data)[0] + v.mv_size;
        rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT);
    }
    mdb_cursor_close(cur);
    mdb_txn_abort(txn);
    double scan_s = now() - t0;
    if (count != records) { fprintf(stderr, "scanned %ld of %ld\n", count, records); return 1; }
    printf("append_seconds=%f scan_seconds=%f records=%ld checksum=%llu\n", append_s, scan_s, count, (unsigned long long)checksum);
    mdb_env_close(env);
    return 0;
}
