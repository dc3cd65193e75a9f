/// ServiceAccountTokens: the signed tokens of ServiceAccounts, as Kubernetes' bound tokens are
/// made: a JWT (compact JWS, ES256 over P-256) whose claims name the account and its uid, the
/// issuer, audiences and lifetime, and optionally the Pod or Secret it is bound to. A token
/// proves only that this cluster signed it; the authenticator also checks that the account
/// (and bound object) still exist with those uids, so deleting the account revokes it.
///
/// One algorithm, fixed by the key, so the header's `alg` is checked, never trusted; the
/// handful of lines of JWS this needs are written here over swift-crypto rather than adding a
/// JWT library and its certificate stack to every build.
///
/// Concurrency: an immutable value. Must never: accept a token whose header names another
/// algorithm, or one past its expiry.
import Crypto
import Foundation

public struct ServiceAccountClaims: Codable, Sendable, Equatable {
    public struct Reference: Codable, Sendable, Equatable {
        public var name: String
        public var uid: String

        public init(name: String, uid: String) {
            self.name = name
            self.uid = uid
        }
    }

    /// The `kubernetes.io` claim: which account, in which namespace, bound to what.
    public struct Binding: Codable, Sendable, Equatable {
        public var namespace: String
        public var serviceaccount: Reference
        public var pod: Reference?
        public var secret: Reference?

        public init(namespace: String, serviceaccount: Reference, pod: Reference? = nil, secret: Reference? = nil) {
            self.namespace = namespace
            self.serviceaccount = serviceaccount
            self.pod = pod
            self.secret = secret
        }
    }

    public var iss: String
    public var sub: String
    public var aud: [String]
    public var exp: Int64
    public var iat: Int64
    public var nbf: Int64
    public var kubernetes: Binding

    public init(iss: String, sub: String, aud: [String], exp: Int64, iat: Int64, nbf: Int64, kubernetes: Binding) {
        (self.iss, self.sub, self.aud, self.exp, self.iat, self.nbf, self.kubernetes) = (iss, sub, aud, exp, iat, nbf, kubernetes)
    }

    enum CodingKeys: String, CodingKey {
        case iss, sub, aud, exp, iat, nbf
        case kubernetes = "kubernetes.io"
    }
}

public struct ServiceAccountTokens: Sendable {
    public static let issuer = "https://kubernetes.default.svc.cluster.local"
    public static let defaultAudience = issuer

    public struct TokenError: Error, CustomStringConvertible, Equatable {
        public var description: String
    }

    /// The key's raw scalar (swift-crypto's key type is not Sendable; it is rebuilt per use).
    private let keyBytes: Data
    /// Names the key in the header, so a rotation could tell keys apart.
    let keyID: String

    private var key: P256.Signing.PrivateKey { try! P256.Signing.PrivateKey(rawRepresentation: keyBytes) }

    public init(key: P256.Signing.PrivateKey) {
        keyBytes = key.rawRepresentation
        keyID = Self.base64URL(Data(SHA256.hash(data: key.publicKey.derRepresentation)).prefix(16))
    }

    /// A PEM file holding the P-256 private key (`skiff-apiserver --new-service-account-key`).
    init(keyFile path: String) throws(TokenError) {
        guard let data = FileManager.default.contents(atPath: path), let pem = String(data: data, encoding: .utf8) else {
            throw TokenError(description: "\(path): cannot read the file")
        }
        do { self.init(key: try P256.Signing.PrivateKey(pemRepresentation: pem)) } catch {
            throw TokenError(description: "\(path): not a PEM P-256 private key (\(error))")
        }
    }

    static func newKeyFile() -> String { P256.Signing.PrivateKey().pemRepresentation + "\n" }

    public func sign(_ claims: ServiceAccountClaims) throws -> String {
        let header = #"{"alg":"ES256","kid":"\#(keyID)","typ":"JWT"}"#
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        let signingInput = Self.base64URL(Data(header.utf8)) + "." + Self.base64URL(try encoder.encode(claims))
        let signature = try key.signature(for: Data(signingInput.utf8))
        return signingInput + "." + Self.base64URL(signature.rawRepresentation)
    }

    /// The claims of a token this key signed, if it is well formed, in date, and meant for
    /// `audience`; why not otherwise.
    public func verify(_ token: String, now: Int64, audience: String = defaultAudience) throws(TokenError) -> ServiceAccountClaims {
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, let headerData = Self.decodeBase64URL(parts[0]),
              let payload = Self.decodeBase64URL(parts[1]), let signatureData = Self.decodeBase64URL(parts[2]) else {
            throw TokenError(description: "not a JWT")
        }
        guard let header = try? JSONSerialization.jsonObject(with: headerData) as? [String: Any],
              header["alg"] as? String == "ES256" else {
            throw TokenError(description: "unexpected signing algorithm")
        }
        guard let signature = try? P256.Signing.ECDSASignature(rawRepresentation: signatureData),
              key.publicKey.isValidSignature(signature, for: Data("\(parts[0]).\(parts[1])".utf8)) else {
            throw TokenError(description: "invalid signature")
        }
        guard let claims = try? JSONDecoder().decode(ServiceAccountClaims.self, from: payload) else {
            throw TokenError(description: "malformed claims")
        }
        guard claims.iss == Self.issuer else { throw TokenError(description: "unknown issuer") }
        guard claims.aud.contains(audience) else { throw TokenError(description: "token audiences do not include \(audience)") }
        guard now < claims.exp else { throw TokenError(description: "token has expired") }
        guard now >= claims.nbf - 60 else { throw TokenError(description: "token is not valid yet") }
        let expected = "system:serviceaccount:\(claims.kubernetes.namespace):\(claims.kubernetes.serviceaccount.name)"
        guard claims.sub == expected else { throw TokenError(description: "subject does not match the account") }
        return claims
    }

    static func base64URL(_ data: some DataProtocol) -> String {
        Data(data).base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    static func decodeBase64URL(_ text: Substring) -> Data? {
        guard text.allSatisfy({ $0.isLetter && $0.isASCII || $0.isNumber && $0.isASCII || $0 == "-" || $0 == "_" }) else { return nil }
        var base64 = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        base64 += String(repeating: "=", count: (4 - base64.count % 4) % 4)
        return Data(base64Encoded: base64)
    }
}
