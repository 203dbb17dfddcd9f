import Crypto
import NIOCore
import OCI

/// Incrementally hashes a byte stream with the algorithm of an expected digest.
struct DigestHasher {
    private var sha256: SHA256?
    private var sha512: SHA512?

    init(_ algorithm: OCI.Digest.Algorithm) {
        switch algorithm {
        case .sha256: sha256 = SHA256()
        case .sha512: sha512 = SHA512()
        }
    }

    mutating func update(_ buffer: ByteBuffer) {
        buffer.withUnsafeReadableBytes { bytes in
            if sha256 != nil { sha256!.update(bufferPointer: bytes) }
            if sha512 != nil { sha512!.update(bufferPointer: bytes) }
        }
    }

    func finalize() -> OCI.Digest {
        if let sha512 { return OCI.Digest(algorithm: .sha512, bytes: sha512.finalize()) }
        return OCI.Digest(algorithm: .sha256, bytes: sha256!.finalize())
    }

    /// The digest of a complete byte array.
    static func digest(of bytes: [UInt8], algorithm: OCI.Digest.Algorithm = .sha256) -> OCI.Digest {
        switch algorithm {
        case .sha256: OCI.Digest(algorithm: .sha256, bytes: SHA256.hash(data: bytes))
        case .sha512: OCI.Digest(algorithm: .sha512, bytes: SHA512.hash(data: bytes))
        }
    }
}
