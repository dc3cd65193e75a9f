/// TokenRequests: `create serviceaccounts/NAME/token`, Kubernetes' TokenRequest API. The
/// account must exist; the token is signed for the requested audiences (the apiserver's own by
/// default) and lifetime (3600 s by default, at least 600 s), bound to the account's uid and,
/// when asked, to a Pod or Secret that must exist with the given uid. Nothing is stored.
///
/// A node (the node authorizer lets it ask for the accounts its pods run as) gets only tokens
/// bound to a pod on it running as that account, as Kubernetes' NodeRestriction has it.
///
/// Concurrency: part of APIHandler (a Sendable value). Must never: sign for an account or bound
/// object that does not exist.
import Foundation
import SkiffAPI
import SkiffWire

extension APIHandler {
    static let defaultTokenSeconds: Int64 = 3600
    static let minimumTokenSeconds: Int64 = 600

    func issueToken(_ request: Request, _ scope: RequestScope, user: UserInfo) async throws -> Response {
        guard let signer = serviceAccountTokens else {
            throw APIError.unavailable("this apiserver has no service account signing key (--service-account-key-file)")
        }
        guard request.bodyType == TokenRequest.protoName, let body = request.body,
              var tokenRequest = try? TokenRequest(serializedBytes: body) else {
            throw APIError.badRequest("token: the body must be a \(TokenRequest.protoName)")
        }
        var spec = tokenRequest.spec ?? TokenRequestSpec()
        let seconds = spec.expirationSeconds ?? Self.defaultTokenSeconds
        guard seconds >= Self.minimumTokenSeconds, seconds <= 1 << 32 else {
            throw APIError.invalid(kind: "TokenRequest", group: "authentication.k8s.io", name: scope.name,
                                   [.invalid("spec.expirationSeconds", String(seconds),
                                             "may not specify a duration less than 10 minutes")])
        }
        let account = try await registry.readExisting(scope.key).object
        let namespace = scope.namespace
        var binding = ServiceAccountClaims.Binding(namespace: namespace,
                                                   serviceaccount: .init(name: scope.name, uid: account.metadata?.uid ?? ""))
        let node = NodeAuthorizer.nodeName(of: user)
        if let node, spec.boundObjectRef?.kind != "Pod" {
            throw APIError.forbidden(scope.resource.groupResource, scope.name,
                                     "node \"\(node)\" may only request tokens bound to its pods")
        }
        if let bound = spec.boundObjectRef {
            let (reference, object) = try await boundReference(bound, namespace: namespace, tokenName: scope.name)
            if let pod = object as? Pod {
                guard (pod.spec?.serviceAccountName ?? "default") == scope.name else {
                    throw APIError.badRequest("cannot bind token for serviceaccount \"\(scope.name)\" to pod running with different serviceaccount name")
                }
                if let node, pod.spec?.nodeName != node {
                    throw APIError.forbidden(scope.resource.groupResource, scope.name,
                                             "node \"\(node)\" may only request tokens bound to pods running on it")
                }
                binding.pod = reference
            } else {
                binding.secret = reference
            }
        }
        let issued = Int64(Date().timeIntervalSince1970)
        let audiences = spec.audiences.isEmpty ? [ServiceAccountTokens.defaultAudience] : spec.audiences
        let claims = ServiceAccountClaims(iss: ServiceAccountTokens.issuer,
                                          sub: "system:serviceaccount:\(namespace):\(scope.name)", aud: audiences,
                                          exp: issued + seconds, iat: issued, nbf: issued, kubernetes: binding)
        spec.audiences = audiences
        spec.expirationSeconds = seconds
        tokenRequest.spec = spec
        tokenRequest.metadata = ObjectMeta(name: scope.name, namespace: namespace, creationTimestamp: registry.now())
        tokenRequest.status = TokenRequestStatus(token: try signer.sign(claims),
                                                 expirationTimestamp: Time(Date(timeIntervalSince1970: TimeInterval(issued + seconds))))
        return Response(code: 201, object: try tokenRequest.serializedBytes(), objectType: TokenRequest.protoName)
    }

    /// The Pod or Secret a token is bound to, which must exist (with the uid, when given).
    private func boundReference(_ bound: BoundObjectReference, namespace: String,
                                tokenName: String) async throws -> (ServiceAccountClaims.Reference, any APIObject) {
        let plural: String
        switch (bound.kind ?? "", bound.apiVersion ?? "v1") {
        case ("Pod", "v1"): plural = "pods"
        case ("Secret", "v1"): plural = "secrets"
        default:
            throw APIError.invalid(kind: "TokenRequest", group: "authentication.k8s.io", name: tokenName,
                                   [.invalid("spec.boundObjectRef.kind", bound.kind ?? "", "supported values: \"Pod\", \"Secret\"")])
        }
        let key = StorageKey(resource: ResourceCatalog.resource(group: "", plural: plural)!, namespace: namespace,
                             name: bound.name ?? "")
        let object = try await registry.readExisting(key).object
        let uid = object.metadata?.uid ?? ""
        if let wanted = bound.uid, !wanted.isEmpty, wanted != uid {
            throw APIError.conflict(key.resource.groupResource, key.name,
                                    "the UID in the bound object reference (\(wanted)) does not match the UID in record (\(uid))")
        }
        return (ServiceAccountClaims.Reference(name: key.name, uid: uid), object)
    }
}
