import Foundation
import NIOSSL

/// Reads the PEM files of a tls directory, naming the file in every error
/// (NIOSSL's own errors do not say which file was at fault).
enum PEMFiles {
    static func readBytes(_ path: String) throws -> [UInt8] {
        guard FileManager.default.fileExists(atPath: path) else {
            throw WireError.missingFile(path: path)
        }
        do {
            return Array(try Data(contentsOf: URL(fileURLWithPath: path)))
        } catch {
            throw WireError.fileAccess(path: path, reason: "cannot read: \(error.localizedDescription)")
        }
    }

    static func certificates(_ path: String) throws -> [NIOSSLCertificate] {
        let bytes = try readBytes(path)
        let certificates: [NIOSSLCertificate]
        do {
            certificates = try NIOSSLCertificate.fromPEMBytes(bytes)
        } catch {
            throw WireError.invalidPEM(path: path, reason: "\(error)")
        }
        guard !certificates.isEmpty else {
            throw WireError.invalidPEM(path: path, reason: "no certificate in it")
        }
        return certificates
    }

    static func privateKey(_ path: String) throws -> NIOSSLPrivateKey {
        let bytes = try readBytes(path)
        do {
            return try NIOSSLPrivateKey(bytes: bytes, format: .pem)
        } catch {
            throw WireError.invalidPEM(path: path, reason: "not a private key")
        }
    }
}
