/// Authentication: the static token file, ServiceAccount JWTs, and a real apiserver refusing
/// requests without valid credentials.
import Crypto
import Foundation
import SkiffAPI
@testable import SkiffAPIServer
import SkiffBus
import SkiffClient
import SkiffTestSupport
import SkiffWire
import Testing

@Suite struct StaticTokenFileTests {
    @Test func linesBecomeUsersWithTheirGroups() throws {
        let tokens = try StaticTokens.parse("""
            # comment
            0123456789abcdef0123,admin,u-1,"system:masters,team-a"

            fedcba9876543210fedc,system:kube-scheduler,u-2
            """)
        #expect(tokens.count == 2)
        #expect(tokens.user(for: "0123456789abcdef0123") == UserInfo(name: "admin", uid: "u-1",
                                                                  groups: ["system:masters", "team-a", "system:authenticated"]))
        #expect(tokens.user(for: "fedcba9876543210fedc")?.groups == ["system:authenticated"])
        #expect(tokens.user(for: "0123456789abcdef012") == nil)
    }

    @Test(arguments: [
        ("short,admin,u", "token file:1: the token must be at least 16 characters"),
        ("0123456789abcdef0123,admin", "token file:1: want token,user,uid"),
        ("0123456789abcdef0123,,u", "token file:1: the user name is empty"),
        ("0123456789abcdef0123,a,u,\"g1,g2", "token file:1: unbalanced quotes"),
        ("0123456789abcdef0123,a,u\n0123456789abcdef0123,b,u", "token file:2: this token is already given to user \"a\""),
    ])
    func aMalformedFileIsRefusedNamingTheLine(text: String, problem: String) {
        #expect { try StaticTokens.parse(text) } throws: { "\($0)".hasPrefix(problem) }
    }
}

@Suite struct ServiceAccountTokenTests {
    static let signer = ServiceAccountTokens(key: P256.Signing.PrivateKey())
    static let now: Int64 = 1_800_000_000

    static func claims(exp: Int64 = now + 600, aud: [String] = [ServiceAccountTokens.defaultAudience],
                       sub: String = "system:serviceaccount:team-a:builder") -> ServiceAccountClaims {
        ServiceAccountClaims(iss: ServiceAccountTokens.issuer, sub: sub, aud: aud, exp: exp, iat: now, nbf: now,
                             kubernetes: .init(namespace: "team-a", serviceaccount: .init(name: "builder", uid: "uid-1")))
    }

    @Test func aSignedTokenVerifiesToItsClaims() throws {
        let token = try Self.signer.sign(Self.claims())
        #expect(token.split(separator: ".").count == 3 && token.hasPrefix("eyJ"))
        #expect(try Self.signer.verify(token, now: Self.now) == Self.claims())
    }

    @Test func alteredForeignExpiredOrMisaddressedTokensAreRefused() throws {
        let token = try Self.signer.sign(Self.claims())
        let parts = token.split(separator: ".").map(String.init)
        // The payload swapped for another account's: the signature no longer matches.
        var other = Self.claims(sub: "system:serviceaccount:team-a:admin")
        other.kubernetes.serviceaccount.name = "admin"
        let otherPayload = try Self.signer.sign(other).split(separator: ".")[1]
        #expect(throws: ServiceAccountTokens.TokenError.self) {
            try Self.signer.verify([parts[0], String(otherPayload), parts[2]].joined(separator: "."), now: Self.now)
        }
        // "alg": "none" with no signature.
        let none = ServiceAccountTokens.base64URL(Data(#"{"alg":"none"}"#.utf8))
        #expect(throws: ServiceAccountTokens.TokenError.self) { try Self.signer.verify("\(none).\(parts[1]).", now: Self.now) }
        // Signed by another cluster's key.
        let foreign = try ServiceAccountTokens(key: P256.Signing.PrivateKey()).sign(Self.claims())
        #expect(throws: ServiceAccountTokens.TokenError.self) { try Self.signer.verify(foreign, now: Self.now) }
        // Expired, for another audience, or claiming a subject that is not the account.
        #expect(throws: ServiceAccountTokens.TokenError.self) { try Self.signer.verify(token, now: Self.now + 600) }
        let elsewhere = try Self.signer.sign(Self.claims(aud: ["vault"]))
        #expect(throws: ServiceAccountTokens.TokenError.self) { try Self.signer.verify(elsewhere, now: Self.now) }
        let mismatched = try Self.signer.sign(Self.claims(sub: "admin"))
        #expect(throws: ServiceAccountTokens.TokenError.self) { try Self.signer.verify(mismatched, now: Self.now) }
        #expect(throws: ServiceAccountTokens.TokenError.self) { try Self.signer.verify("garbage", now: Self.now) }
    }
}

@Suite struct AuthenticationEndToEndTests {
    /// One request with exactly this token (nil: none), straight over the bus.
    static func call(_ plane: ControlPlane, token: String?, _ request: Request) async throws -> Response {
        let client = try APIClient(ClientConfig(runDirectory: plane.runDirectory, token: "unused", component: "probe"))
        let url = client.serverURL
        await client.close()
        let raw = try RequestClient(connectingTo: url, component: "probe", options: RequestClient.Options(token: token))
        defer { Task { await raw.close() } }
        return try await raw.call(request, replyType: Response.self, timeout: .seconds(10))
    }

    @Test func requestsWithoutValidCredentialsGet401AndNothingElse() async throws {
        try await withPlane { plane, admin in
            _ = try await admin.create(Secret(metadata: ObjectMeta(name: "s", namespace: "default"), data: ["k": Array("v".utf8)]))
            let get = Request(verb: "get", version: "v1", resource: "secrets", namespace: "default", name: "s")
            let forged = try ServiceAccountTokens(key: P256.Signing.PrivateKey()).sign(ServiceAccountTokenTests.claims(exp: 4_000_000_000))
            for token in [nil, "", "not-a-token-of-this-cluster", forged] {
                let reply = try await Self.call(plane, token: token, get)
                #expect(reply.code == 401, "token \(token ?? "nil")")
                #expect(reply.status?.reason == "Unauthorized" && reply.status?.message == "Unauthorized")
                #expect(reply.object == nil && reply.items.isEmpty)
            }
            // The admin's own token works, over the same path.
            #expect(try await Self.call(plane, token: TestCredentials.adminToken, get).code == 200)
        }
    }

    @Test func aServiceAccountTokenStopsWorkingWhenTheAccountIsDeleted() async throws {
        try await withPlane { plane, admin in
            _ = try await admin.create(ServiceAccount(metadata: ObjectMeta(name: "builder", namespace: "default")))
            let issued = try await admin.createToken(serviceAccount: "builder", namespace: "default")
            let token = try #require(issued.status?.token)
            #expect(issued.spec?.expirationSeconds == 3600)
            let review = Request(verb: "create", group: "authorization.k8s.io", version: "v1", resource: "selfsubjectaccessreviews",
                                 body: try SelfSubjectAccessReview(spec: SelfSubjectAccessReviewSpec(
                                    resourceAttributes: ResourceAttributes(namespace: "default", verb: "get", resource: "pods"))).serializedBytes(),
                                 bodyType: SelfSubjectAccessReview.protoName)
            // Authenticated (a review answers), though not allowed to read pods.
            let answered = try await Self.call(plane, token: token, review)
            #expect(answered.code == 201)
            #expect(try SelfSubjectAccessReview(serializedBytes: answered.object ?? []).status?.allowed == false)
            _ = try await admin.delete(ServiceAccount.self, name: "builder", namespace: "default")
            #expect(try await Self.call(plane, token: token, review).code == 401)
            // A new account of the same name is another uid: the old token stays dead.
            _ = try await admin.create(ServiceAccount(metadata: ObjectMeta(name: "builder", namespace: "default")))
            #expect(try await Self.call(plane, token: token, review).code == 401)
        }
    }

    @Test func tokenRequestsAreRefusedForMissingAccountsAndShortLifetimes() async throws {
        try await withPlane { _, admin in
            await #expect { _ = try await admin.createToken(serviceAccount: "nobody", namespace: "default") } throws: {
                ($0 as? APIError)?.code == 404
            }
            await #expect { _ = try await admin.createToken(serviceAccount: "default", namespace: "default",
                                                            TokenRequestSpec(expirationSeconds: 60)) } throws: {
                ($0 as? APIError)?.code == 422
            }
        }
    }

    @Test func podsRunAsTheirAccountWithItsTokenMounted() async throws {
        try await withPlane { _, admin in
            let pod = Pod(metadata: ObjectMeta(name: "p", namespace: "default"),
                          spec: PodSpec(containers: [Container(name: "c", image: "busybox")]))
            let created = try await admin.create(pod)
            #expect(created.spec?.serviceAccountName == "default")
            #expect(created.spec?.volumes.first?.secret?.secretName == "default-token")
            #expect(created.spec?.containers.first?.volumeMounts.first?.mountPath == ServiceAccountAdmission.mountPath)
            var stranger = pod
            stranger.metadata?.name = "q"
            stranger.spec?.serviceAccountName = "nobody"
            await #expect { _ = try await admin.create(stranger) } throws: {
                "\($0)".contains("error looking up service account default/nobody: serviceaccount \"nobody\" not found")
            }
            // A new namespace has its default account at once.
            _ = try await admin.create(Namespace(metadata: ObjectMeta(name: "fresh")))
            var there = pod
            there.metadata?.namespace = "fresh"
            #expect(try await admin.create(there).spec?.serviceAccountName == "default")
        }
    }
}
