/// AuthHarnesses: the decoders of credentials. The static token file is read at every apiserver
/// start; a bearer token arrives with every request from anyone who can reach the bus, and the
/// ServiceAccount token verifier parses it (base64url, JSON header and claims, the signature)
/// before it knows whether it signed it; a kubeconfig is read by every client.
///
/// Concurrency: pure; the signing key is a constant. Must never: use a real key (these are fixed
/// bytes, so a crash reproduces).
import Crypto
import Foundation
import SkiffAPIServer
import SkiffClient

enum AuthHarnesses {
    static let tokenFile = FuzzHarness("token-file", "static token file (token,user,uid,\"groups\"); every user read has a name and a token of 16+ characters",
                                       seeds: { [Array("0123456789abcdef0123,admin,admin,\"system:masters,team-a\"\n# c\nfedcba9876543210fedc,bob,u-2\n".utf8)] }) { bytes in
        guard let tokens = try? StaticTokens.parse(String(decoding: bytes, as: UTF8.self)) else { return false }
        FuzzInvariant.check(tokens.tokens.allSatisfy { $0.count >= 16 && tokens.user(for: $0)?.name.isEmpty == false },
                            "token-file", "a user without a name or with a short token")
        return true
    }

    /// A fixed P-256 scalar: the harness's "cluster".
    static let signer = ServiceAccountTokens(key: try! P256.Signing.PrivateKey(rawRepresentation: Array(repeating: 0x42, count: 32)))
    static let now: Int64 = 1_800_000_000

    static let serviceAccountToken = FuzzHarness("serviceaccount-token", "ServiceAccount JWT verification; an accepted token names its account in its subject",
                                                 seeds: { seeds }) { bytes in
        guard let claims = try? signer.verify(String(decoding: bytes, as: UTF8.self), now: now) else { return false }
        FuzzInvariant.check(claims.sub == "system:serviceaccount:\(claims.kubernetes.namespace):\(claims.kubernetes.serviceaccount.name)",
                            "serviceaccount-token", "an accepted token whose subject is not its account")
        return true
    }

    static var seeds: [[UInt8]] {
        let claims = ServiceAccountClaims(iss: ServiceAccountTokens.issuer, sub: "system:serviceaccount:default:builder",
                                          aud: [ServiceAccountTokens.defaultAudience], exp: now + 3600, iat: now, nbf: now,
                                          kubernetes: .init(namespace: "default", serviceaccount: .init(name: "builder", uid: "uid-1")))
        return [Array(try! signer.sign(claims).utf8)]
    }

    static let kubeconfig = FuzzHarness("kubeconfig", "kubeconfig YAML: the current context's server, events and token",
                                        seeds: { [Array(kubeconfigSeed.utf8)] }) { bytes in
        let text = String(decoding: bytes, as: UTF8.self)
        // A harness reads no files: a tokenFile entry would make the fuzzer read the disk.
        guard !text.contains("tokenFile") else { return false }
        return (try? Kubeconfig.parse(text)) != nil
    }

    static let kubeconfigSeed = """
        apiVersion: v1
        kind: Config
        current-context: skiff
        clusters:
        - name: skiff
          cluster:
            server: "ipc:///var/run/apiserver.sock"
            extensions:
            - name: skiff.events
              extension: {server: "ipc:///var/run/apiserver-events.sock"}
        contexts:
        - name: skiff
          context: {cluster: skiff, user: admin}
        users:
        - name: admin
          user: {token: "0123456789abcdef"}
        """
}
