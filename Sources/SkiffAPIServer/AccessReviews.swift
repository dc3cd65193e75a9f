/// AccessReviews: `create selfsubjectaccessreviews` (may I?) and `create subjectaccessreviews`
/// (may this user?), Kubernetes' authorization.k8s.io/v1 API behind `skiffctl auth can-i`.
/// The question goes through the same authorizer chain as a real request; the answer comes
/// back in status and nothing is stored. Asking about someone else needs permission to create
/// subjectaccessreviews; asking about oneself is open to every authenticated user (the
/// system:basic-user role).
///
/// Concurrency: part of APIHandler (a Sendable value). Must never: answer for another user
/// without authorizing the asker first.
import SkiffAPI
import SkiffWire

enum AccessReviews {
    static let group = "authorization.k8s.io"
    static let selfReviews = "selfsubjectaccessreviews"
    static let reviews = "subjectaccessreviews"

    static func handles(_ request: Request) -> Bool {
        request.group == group && [selfReviews, reviews].contains(request.resource ?? "")
    }
}

extension APIHandler {
    func reviewAccess(_ request: Request, user asker: UserInfo) async throws -> Response {
        let resource = request.resource ?? ""
        guard request.verb == "create" else {
            throw APIError.methodNotAllowed("the server does not allow this method on the requested resource: \(request.verb ?? "") \(resource).\(AccessReviews.group)")
        }
        let askerAttributes = AuthorizationAttributes(user: asker, verb: "create", apiGroup: AccessReviews.group, resource: resource)
        guard try await access.decide(askerAttributes) == .allow else { throw ForbiddenMessage.error(for: askerAttributes) }
        let body = request.body ?? []
        if resource == AccessReviews.selfReviews {
            guard request.bodyType == SelfSubjectAccessReview.protoName,
                  var review = try? SelfSubjectAccessReview(serializedBytes: body) else {
                throw APIError.badRequest("\(resource): the body must be a \(SelfSubjectAccessReview.protoName)")
            }
            review.status = try await answer(review.spec?.resourceAttributes, for: asker, kind: "SelfSubjectAccessReview")
            return Response(code: 201, object: try review.serializedBytes(), objectType: SelfSubjectAccessReview.protoName)
        }
        guard request.bodyType == SubjectAccessReview.protoName, var review = try? SubjectAccessReview(serializedBytes: body) else {
            throw APIError.badRequest("\(resource): the body must be a \(SubjectAccessReview.protoName)")
        }
        let spec = review.spec ?? SubjectAccessReviewSpec()
        guard let name = spec.user, !name.isEmpty else {
            throw APIError.invalid(kind: "SubjectAccessReview", group: AccessReviews.group, name: "",
                                   [.required("spec.user", "at least one of user or group must be specified")])
        }
        var groups = spec.groups
        if !groups.contains(Authentication.authenticatedGroup) { groups.append(Authentication.authenticatedGroup) }
        review.status = try await answer(spec.resourceAttributes, for: UserInfo(name: name, uid: spec.uid ?? "", groups: groups),
                                         kind: "SubjectAccessReview")
        return Response(code: 201, object: try review.serializedBytes(), objectType: SubjectAccessReview.protoName)
    }

    private func answer(_ asked: ResourceAttributes?, for user: UserInfo, kind: String) async throws -> SubjectAccessReviewStatus {
        guard let asked, let verb = asked.verb, !verb.isEmpty else {
            throw APIError.invalid(kind: kind, group: AccessReviews.group, name: "",
                                   [.required("spec.resourceAttributes", "exactly one of nonResourceAttributes or resourceAttributes must be specified")])
        }
        let attributes = AuthorizationAttributes(user: user, verb: verb, apiGroup: asked.group ?? "", resource: asked.resource ?? "",
                                                 subresource: asked.subresource ?? "", namespace: asked.namespace ?? "",
                                                 name: asked.name ?? "")
        switch try await access.decide(attributes) {
        case .allow: return SubjectAccessReviewStatus(allowed: true)
        case .deny(let reason): return SubjectAccessReviewStatus(allowed: false, denied: true, reason: reason)
        case .noOpinion: return SubjectAccessReviewStatus(allowed: false)
        }
    }
}
