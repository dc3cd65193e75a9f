/// ServiceAccountTokenController: every ServiceAccount has a Secret of type
/// kubernetes.io/service-account-token named ACCOUNT-token, holding `token` and `namespace`,
/// listed in the account's `secrets`, as Kubernetes' token controller kept them before bound
/// tokens. A token Secret whose account is gone (or was recreated with another uid) is
/// deleted, so deleting an account revokes its token.
///
/// The Secret is made first and its token filled in after, so that the token can be bound to
/// the Secret: it comes from a `TokenIssuer`, in a cluster the apiserver's TokenRequest API
/// (`serviceaccounts/NAME/token`), which signs a JWT bound to the account's uid and to the
/// Secret's, so deleting either revokes it, as deleting a legacy token Secret did in
/// Kubernetes; tests may inject another issuer.
///
/// Concurrency: Sendable. Must never: hand one account's token to another (the Secret carries
/// the account's uid and is replaced when it differs).
import Foundation
import SkiffAPI
import SkiffClient
import SkiffWire

/// Makes the token for an account, kept in `secret`.
public protocol TokenIssuer: Sendable {
    func token(for account: ServiceAccount, in secret: Secret) async throws -> String
}

/// Tokens from the apiserver's TokenRequest API, bound to their Secret, valid for a year (the
/// Secret stands in for Kubernetes' legacy tokens, which did not expire; deleting the account
/// or the Secret is what revokes them).
public struct TokenRequestIssuer: TokenIssuer {
    public static let lifetimeSeconds: Int64 = 365 * 24 * 3600
    let client: APIClient

    public init(client: APIClient) { self.client = client }

    public func token(for account: ServiceAccount, in secret: Secret) async throws -> String {
        let bound = BoundObjectReference(kind: "Secret", apiVersion: "v1", name: secret.metadata?.name, uid: secret.metadata?.uid)
        let issued = try await client.createToken(serviceAccount: account.metadata?.name ?? "",
                                                  namespace: account.metadata?.namespace ?? "",
                                                  TokenRequestSpec(expirationSeconds: Self.lifetimeSeconds, boundObjectRef: bound))
        guard let token = issued.status?.token, !token.isEmpty else {
            throw APIError.internalError("the apiserver returned a TokenRequest without a token")
        }
        return token
    }
}

public final class ServiceAccountTokenController: Controller {
    public static let secretType = "kubernetes.io/service-account-token"
    public static let nameAnnotation = "kubernetes.io/service-account.name"
    public static let uidAnnotation = "kubernetes.io/service-account.uid"

    private let context: ControllerContext
    private let issuer: any TokenIssuer
    private let accounts: Informer<ServiceAccount>
    private let secrets: Informer<Secret>

    public init(context: ControllerContext, issuer: any TokenIssuer) {
        self.context = context
        self.issuer = issuer
        accounts = context.informers.informer(ServiceAccount.self)
        secrets = context.informers.informer(Secret.self)
        accounts.addEventHandler(onAdd: { context.enqueue($0) }, onUpdate: { _, new in context.enqueue(new) },
                                 onDelete: { context.enqueue($0) })
        let enqueueAccount: @Sendable (Secret) -> Void = { secret in
            guard secret.type == Self.secretType, let account = secret.metadata?.annotations[Self.nameAnnotation] else { return }
            context.queue.add(ObjectKey(namespace: secret.metadata?.namespace ?? "", name: account))
        }
        secrets.addEventHandler(onAdd: enqueueAccount, onUpdate: { _, new in enqueueAccount(new) }, onDelete: enqueueAccount)
    }

    /// Keys are accounts: "namespace/account".
    public func allKeys() -> [ObjectKey] { accounts.indexer.keys() }

    public static func secretName(for account: String) -> String { "\(account)-token" }

    public func reconcile(_ key: ObjectKey) async throws -> Reconciled {
        let account = accounts.indexer.get(key)
        let existing = secrets.indexer.get(ObjectKey(namespace: key.namespace, name: Self.secretName(for: key.name)))
        // Revoke a token that belongs to no live account of that name and uid.
        if let existing, existing.type == Self.secretType,
           account == nil || existing.metadata?.annotations[Self.uidAnnotation] != account?.metadata?.uid {
            try await deleteIgnoringAbsence(existing)
            if account == nil { return .done }
        }
        guard let account, account.metadata?.deletionTimestamp == nil else { return .done }
        var secret = existing?.metadata?.annotations[Self.uidAnnotation] == account.metadata?.uid ? existing : nil
        if secret == nil {
            do {
                secret = try await context.client.create(tokenSecret(for: account))
            } catch let error as APIError where error.reason == .alreadyExists || error.code == 403 {
                // The cache lagged (its add event brings this account back), or the namespace is terminating.
            }
        }
        // The token, bound to the Secret it lives in, once the Secret exists.
        if var secret, (secret.data["token"] ?? []).isEmpty {
            secret.data["token"] = Array(try await issuer.token(for: account, in: secret).utf8)
            do { _ = try await context.client.update(secret) } catch let error as APIError where error.reason == .notFound {}
        }
        let secretName = Self.secretName(for: key.name)
        if !account.secrets.contains(where: { $0.name == secretName }) {
            var updated = account
            updated.secrets.append(ObjectReference(name: secretName))
            do { _ = try await context.client.update(updated) } catch let error as APIError where error.reason == .notFound {}
        }
        return .done
    }

    /// The account's token Secret, without its token yet.
    func tokenSecret(for account: ServiceAccount) -> Secret {
        let namespace = account.metadata?.namespace ?? ""
        let name = account.metadata?.name ?? ""
        var meta = ObjectMeta(name: Self.secretName(for: name), namespace: namespace)
        meta.annotations = [Self.nameAnnotation: name, Self.uidAnnotation: account.metadata?.uid ?? ""]
        meta.ownerReferences = [OwnerReference(apiVersion: "v1", kind: "ServiceAccount", name: name,
                                               uid: account.metadata?.uid)]
        return Secret(metadata: meta,
                      data: ["namespace": Array(namespace.utf8)],
                      type: Self.secretType)
    }

    private func deleteIgnoringAbsence(_ secret: Secret) async throws {
        do {
            _ = try await context.client.delete(Secret.self, name: secret.metadata?.name ?? "", namespace: secret.metadata?.namespace,
                                                options: DeleteOptions(preconditions: Preconditions(uid: secret.metadata?.uid)))
        } catch let error as APIError where error.reason == .notFound || error.reason == .conflict {}
    }
}
