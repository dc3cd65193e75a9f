/// Authentication: who a request's bearer token belongs to. Tokens are either a static token
/// file's users (people and components) or ServiceAccount JWTs this apiserver's key signed; a
/// JWT only counts while its account (and the Pod or Secret it is bound to) still exists with
/// the uid the token names, so deleting the account revokes every token it had.
///
/// Every failure is the same 401 "Unauthorized", as Kubernetes answers: the reason goes to the
/// apiserver's log, never to the caller.
///
/// Concurrency: Sendable; lookups go to the store. Must never: return a user for an empty,
/// unknown, forged, expired or revoked token.
import Logging
import SkiffAPI
import SkiffWire

struct Authentication: Sendable {
    static let authenticatedGroup = "system:authenticated"
    static let serviceAccountsGroup = "system:serviceaccounts"
    static let mastersGroup = "system:masters"

    /// The apiserver's own identity for the requests it makes itself (system namespaces,
    /// bootstrap policy): never reachable by a token.
    static let apiserverUser = UserInfo(name: "system:apiserver", uid: "", groups: [mastersGroup, authenticatedGroup])

    let tokens: StaticTokens
    let serviceAccounts: ServiceAccountTokens?
    /// Seconds since the Unix epoch.
    let now: @Sendable () -> Int64
    /// The uid of the object at a key, nil when there is none.
    let uidAt: @Sendable (StorageKey) async throws -> String?
    let logger: Logger

    func authenticate(token: String?) async throws(APIError) -> UserInfo {
        guard let token, !token.isEmpty else { throw APIError.unauthorized() }
        if let user = tokens.user(for: token) { return user }
        guard let serviceAccounts, token.hasPrefix("eyJ") else { throw refuse("unknown token") }
        let claims: ServiceAccountClaims
        do { claims = try serviceAccounts.verify(token, now: now()) } catch { throw refuse(error.description) }
        let bound = claims.kubernetes
        guard try await exists("serviceaccounts", bound.namespace, bound.serviceaccount) else {
            throw refuse("service account \(bound.namespace)/\(bound.serviceaccount.name) (uid \(bound.serviceaccount.uid)) no longer exists")
        }
        if let pod = bound.pod, try await !exists("pods", bound.namespace, pod) {
            throw refuse("pod \(bound.namespace)/\(pod.name) the token is bound to no longer exists")
        }
        if let secret = bound.secret, try await !exists("secrets", bound.namespace, secret) {
            throw refuse("secret \(bound.namespace)/\(secret.name) the token is bound to no longer exists")
        }
        return Self.serviceAccountUser(namespace: bound.namespace, name: bound.serviceaccount.name, uid: bound.serviceaccount.uid)
    }

    static func serviceAccountUser(namespace: String, name: String, uid: String = "") -> UserInfo {
        UserInfo(name: "system:serviceaccount:\(namespace):\(name)", uid: uid,
                 groups: [serviceAccountsGroup, "\(serviceAccountsGroup):\(namespace)", authenticatedGroup])
    }

    private func exists(_ plural: String, _ namespace: String, _ reference: ServiceAccountClaims.Reference) async throws(APIError) -> Bool {
        let key = StorageKey(resource: ResourceCatalog.resource(group: "", plural: plural)!, namespace: namespace,
                             name: reference.name)
        do { return try await uidAt(key) == reference.uid } catch let error as APIError { throw error } catch {
            throw APIError.internalError("\(error)")
        }
    }

    private func refuse(_ reason: String) -> APIError {
        logger.info("refused a token", metadata: ["reason": "\(reason)"])
        return APIError.unauthorized()
    }
}
