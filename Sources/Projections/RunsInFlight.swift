import EventLog
import Encoding

/// What the cursor projections must remember of a run while it is going
/// (its workflow; its workflow and trigger), and only then: a step
/// completes or a run ends only while the run is going (the log refuses
/// events for a final run), so the entry goes when the run ends. A run that
/// starts and ends in one batch, as nearly all do in a rebuild, never
/// reaches the table; the table holds just the runs in flight, not one
/// entry per run ever.
///
/// What is remembered is the run's key in the projection, one part or two
/// (`started(_:_:then:_:)`); the table stores the parts joined by the key
/// separator, so a stored value is appended to a key as it is.
struct RunsInFlight {
    let table: Int
    /// The batch's runs, in `context.scratch` under this name; an empty
    /// value marks a run that has nothing to remember (no trigger).
    let scratchKey: String

    enum Value {
        /// Started in this batch: the parts, slices of its `run:created`.
        case inBatch(Parts)
        /// Read back from the table: the parts joined by a 0.
        case stored([UInt8])
    }

    /// One key part, or two (`second` empty: one).
    struct Parts {
        var first: ByteSlice
        var second: ByteSlice
        static let none = Parts(first: .empty, second: .empty)
    }

    final class BatchRuns {
        // Mutated at every run event, never from two places at once: no
        // run-time exclusivity checks.
        // Small at first, doubling as it fills (see `RunsProjector.Touched`).
        @exclusivity(unchecked) var values = SliceTable<Parts>(capacity: 64)
    }

    private func batch(_ context: ProjectionContext) -> BatchRuns { context.scratch.object(scratchKey, BatchRuns.init) }

    /// A run started in this batch, with what to remember of it (`nil`:
    /// nothing): `value`, then `second` if given.
    func started(_ runId: ByteSlice, _ value: ByteSlice?, then second: ByteSlice? = nil, _ context: ProjectionContext) {
        batch(context).values[runId] = value.map { Parts(first: $0, second: second ?? .empty) } ?? Parts.none
    }

    func value(of runId: ByteSlice, _ context: ProjectionContext) throws -> Value? {
        if let parts = batch(context).values[runId] { return parts.first.isEmpty ? nil : .inBatch(parts) }
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
        guard let runs = context.scratch.values[scratchKey] as? BatchRuns else { return }
        runs.values.forEach { runId, parts in
            guard !parts.first.isEmpty else { return }
            context.putAtEndOfBatch(table, key: { $0.append(runId) }, value: {
                $0.append(parts.first)
                if !parts.second.isEmpty {
                    $0.appendByte(0)
                    $0.append(parts.second)
                }
            })
        }
        runs.values.removeAll()
    }
}

extension ByteSlice {
    static let empty = ByteSlice(UnsafeRawBufferPointer(start: nil, count: 0))
}

extension KeySink {
    /// A remembered value as key parts (each followed by the 0 separator).
    mutating func appendPart(_ value: RunsInFlight.Value) {
        switch value {
        case .inBatch(let parts):
            appendPart(parts.first)
            if !parts.second.isEmpty { appendPart(parts.second) }
        case .stored(let bytes):
            append(bytes: bytes)
            appendByte(0)
        }
    }
}
