import Foundation

/// A one-line progress report on stderr, redrawn at most every half second,
/// shown only when stderr is a terminal (scripts and CI see nothing).
struct Progress {
    let label: String
    let total: Int?
    private var done = 0
    private let started = Date()
    private var lastDraw = Date.distantPast
    private let enabled = isatty(STDERR_FILENO) == 1

    init(label: String, total: Int?) {
        self.label = label
        self.total = total
    }

    mutating func advance(by count: Int) {
        done += count
        guard enabled, Date().timeIntervalSince(lastDraw) >= 0.5 else { return }
        lastDraw = Date()
        draw()
    }

    private func draw() {
        let elapsed = max(Date().timeIntervalSince(started), 0.001)
        let rate = Double(done) / elapsed
        var text = "\r\(label): \(done)"
        if let total, total > 0 {
            let remaining = rate > 0 ? Double(total - done) / rate : 0
            text += "/\(total) (\(Int(Double(done) * 100 / Double(total)))%), ETA \(Int(remaining))s"
        }
        text += ", \(Int(rate))/s   "
        FileHandle.standardError.write(Data(text.utf8))
    }

    mutating func finish() {
        guard enabled, done > 0 else { return }
        draw()
        FileHandle.standardError.write(Data("\n".utf8))
    }
}
