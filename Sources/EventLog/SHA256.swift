import Crypto

/// SHA-256 as the log uses it (snapshot content hashes, derived event ids),
/// from swift-crypto. `KnownAnswerTests` pins it to NIST's vectors, so a
/// change of library cannot silently change a derived id.
package enum SHA256 {
    package static func hash(_ bytes: [UInt8]) -> [UInt8] { Array(Crypto.SHA256.hash(data: bytes)) }
}
