public import EventLog

/// The runs projection's record reader and writer, for the stored-record
/// fuzz target (Fuzz/README.md, `fuzz-stored-records`): a record read back
/// from a data folder may be anything a damaged disk or another version
/// wrote, and the writer writes through a raw pointer into the room
/// `RunRecord.bound` reserves.
@_spi(Fuzz) public enum RunRecordCoding {
    /// The run a stored record holds.
    public static func decode(_ bytes: [UInt8]) throws -> RunAggregate { try RunRecord.decode(bytes) }

    /// Reads `bytes` as the projection reads a record, then writes what it
    /// read as the projection writes one, into exactly the room `bound`
    /// gives it (so a writer that overran its bound would write past the
    /// allocation, which AddressSanitizer reports), and returns those bytes.
    public static func reencode(_ bytes: [UInt8]) throws -> [UInt8] {
        try bytes.withUnsafeBytes { raw in
            let draft = try RunRecord.draft(raw)
            let bound = RunRecord.bound(draft)
            let out = UnsafeMutableRawBufferPointer.allocate(byteCount: max(bound, 1), alignment: 1)
            defer { out.deallocate() }
            let written = RunRecord.encode(draft, to: out.baseAddress!)
            precondition(written <= bound, "RunRecord.encode wrote \(written) bytes where bound allowed \(bound)")
            return Array(UnsafeRawBufferPointer(rebasing: out[..<written]))
        }
    }
}
