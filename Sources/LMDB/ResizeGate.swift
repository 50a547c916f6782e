#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Synchronization

/// Re-mapping the map (`mdb_env_set_mapsize`: to grow it, or to adopt the
/// size another process grew it to) is only allowed while no transaction of
/// this process is active: LMDB unmaps the old map, and every page a live
/// transaction borrowed goes with it. Every transaction holds the gate
/// shared; a remap holds it exclusively. glibc's rwlock prefers readers, so
/// a read nested in a read does not deadlock; a remap simply waits for the
/// readers to finish. A thread that holds the gate shared (a transaction
/// of its own is open) must not wait for it exclusively, which would wait
/// for itself: `isHeldByCurrentThread` tells.
final class ResizeGate: @unchecked Sendable {
    private let lock: UnsafeMutablePointer<pthread_rwlock_t>
    /// How many times the current thread holds the gate shared (nested
    /// transactions), as a thread-specific value.
    private var depthKey = pthread_key_t()

    init() {
        lock = .allocate(capacity: 1)
        pthread_rwlock_init(lock, nil)
        pthread_key_create(&depthKey, nil)
    }

    deinit {
        pthread_key_delete(depthKey)
        pthread_rwlock_destroy(lock)
        lock.deallocate()
    }

    /// How many times the current thread holds the gate shared.
    private(set) var depth: Int {
        get { Int(bitPattern: pthread_getspecific(depthKey)) }
        set { pthread_setspecific(depthKey, UnsafeRawPointer(bitPattern: newValue)) }
    }

    /// Whether the current thread holds the gate shared.
    var isHeldByCurrentThread: Bool { depth > 0 }

    func shared<T, E: Error>(_ body: () throws(E) -> T) throws(E) -> T {
        pthread_rwlock_rdlock(lock)
        depth += 1
        defer {
            depth -= 1
            pthread_rwlock_unlock(lock)
        }
        return try body()
    }

    func exclusive<T, E: Error>(_ body: () throws(E) -> T) throws(E) -> T {
        pthread_rwlock_wrlock(lock)
        defer { pthread_rwlock_unlock(lock) }
        return try body()
    }
}

/// A plain mutex for serialising write transactions inside one process, so a
/// waiting writer parks here rather than inside LMDB while holding the gate.
final class WriterLock: @unchecked Sendable {
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>
    /// The thread holding the lock (0: none), to refuse re-entry instead of
    /// deadlocking. Atomic: other threads read it while the holder writes
    /// it (ThreadSanitizer reported the plain variable it was). Relaxed is
    /// enough: a thread finds its own id there only if it stored it itself.
    private let owner = Atomic<UInt>(0)

    init() {
        mutex = .allocate(capacity: 1)
        pthread_mutex_init(mutex, nil)
    }

    deinit {
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
    }

    /// Whether the calling thread holds the lock (then locking again would deadlock).
    var isHeldByCurrentThread: Bool { owner.load(ordering: .relaxed) == Self.currentThread() }

    func withLock<T, E: Error>(_ body: () throws(E) -> T) throws(E) -> T {
        pthread_mutex_lock(mutex)
        owner.store(Self.currentThread(), ordering: .relaxed)
        defer {
            owner.store(0, ordering: .relaxed)
            pthread_mutex_unlock(mutex)
        }
        return try body()
    }

    /// The calling thread's id as a number (never 0).
    private static func currentThread() -> UInt {
        #if canImport(Darwin)
        UInt(bitPattern: pthread_self())
        #else
        UInt(pthread_self())
        #endif
    }
}
