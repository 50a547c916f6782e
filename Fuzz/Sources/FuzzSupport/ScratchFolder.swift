import Foundation

/// A folder of this process's for the stores a target opens, named
/// `<prefix><pid>` in /dev/shm (memory: no disk writes) or, without it, the
/// temporary folder. libFuzzer's exits skip `atexit`, so each run first
/// removes the folders of runs no longer alive.
public func scratchFolder(_ prefix: String, inMemory: Bool) -> String {
    let base = inMemory && FileManager.default.fileExists(atPath: "/dev/shm") ? "/dev/shm" : NSTemporaryDirectory()
    for name in (try? FileManager.default.contentsOfDirectory(atPath: base)) ?? [] where name.hasPrefix(prefix) {
        if let pid = pid_t(name.dropFirst(prefix.count)), kill(pid, 0) != 0, errno == ESRCH {
            try? FileManager.default.removeItem(atPath: "\(base)/\(name)")
        }
    }
    return "\(base)/\(prefix)\(getpid())"
}
