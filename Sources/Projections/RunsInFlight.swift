import EventLog
import Encoding

/// What the cursor projections must remember of a run while it is going
/// (its workflow, its trigger), and only then: a step completes or a run
/// ends only while the run is going (the log refuses events for a final
/// run), so the entry goes when the run ends. A run that starts and ends
/// in one batch, as nearly all do in a rebuild, never reaches the table;
/// the table holds just the runs in flight, not one entry per run ever.
struct RunsInFlight {
    let table: Int
    /// The batch's runs, in `context.scratch` under this name; an empty
    /// value marks a run that has nothing to remember (no trigger).
    let scratchKey: String

    enum Value {
        case inBatch(ByteSlice)
        case stored([UInt8])
    }

    private func batch(_ context: ProjectionContext) -> BatchMap { context.scratch.object(scratchKey, BatchMap.init) }

    /// A run started in this batch, with what to remember of it (`nil`: nothing).
    func started(_ runId: ByteSlice, _ value: ByteSlice?, _ context: ProjectionContext) {
        batch(context).values[runId] = value ?? ByteSlice(UnsafeRawBufferPointer(start: nil, count: 0))
    }

    func value(of runId: ByteSlice, _ context: ProjectionContext) throws -> Value? {
        if let value = batch(context).values[runId] { return value.isEmpty ? nil : .inBatch(value) }
        return try context.get(table, runId.bytes).map(Value.stored)
    }

    /// The run ended: forgotten, and removed from the table if an earlier batch wrote it.
    func ended(_ runId: ByteSlice, _ context: ProjectionContext) {
        let runs = batch(context)
        if runs.values[runId] != nil {
            runs.values[runId] = nil
        } else {
            context.deleteAtEndOfBatch(table) { $0.append(runId) }
        }
    }

    /// Writes the batch's runs still going.
    func flush(_ context: ProjectionContext) {
        guard let runs = context.scratch.values[scratchKey] as? BatchMap else { return }
        runs.values.forEach { runId, value in
            if !value.isEmpty { context.putAtEndOfBatch(table, key: { $0.append(runId) }, value: { $0.append(value) }) }
        }
        runs.values.removeAll()
    }
}

extension KeySink {
    /// A remembered value as a key part (then the 0 separator).
    mutating func appendPart(_ value: RunsInFlight.Value) {
        switch value {
        case .inBatch(let slice): appendPart(slice)
        case .stored(let bytes):
            append(bytes: bytes)
            appendByte(0)
        }
    }
}
