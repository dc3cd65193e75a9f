/// ObjectRegistry: Kubernetes' object semantics on top of the store, for every kind. It turns
/// get, list, create, update, patch and delete into store ranges and compare-and-swap
/// transactions, maintaining metadata the way the Kubernetes apiserver does: uid,
/// creationTimestamp, generation (bumped on spec changes only), resourceVersion (the store's
/// modRevision, stamped on the way out), generateName, finalizers and graceful deletion.
///
/// Concurrency: a Sendable value; every call is independent, and concurrent writers are
/// serialized by the store's modRevision compares (a lost race is retried or reported as 409).
/// Must never: write an object that failed validation, or let a spec update change a status.
import Foundation
import SkiffAPI
import SkiffBus
import SkiffStoreClient
import SkiffValidation
import SkiffWire

struct ObjectRegistry: Sendable {
    let store: any StoreBackend
    let now: @Sendable () -> Time
    /// Seals Secrets on their way to the store and opens them on the way back.
    var encryption: SecretEncryption = .none

    /// One stored object: its bytes (plaintext, without resourceVersion) and revisions.
    struct Stored {
        var bytes: [UInt8]
        var modRevision: Int64
        var object: any APIObject
        var resourceInfo: ResourceInfo
    }

    // MARK: reads

    func read(_ key: StorageKey) async throws -> Stored? {
        let reply = try await storeCall { try await store.range(RangeRequest(key: key.key)) }
        guard let kv = reply.kvs.first, let value = kv.value else { return nil }
        return try stored(kv.modRevision ?? 0, try opened(value, key.key), key.resource)
    }

    /// A stored value's plaintext (a sealed Secret opened); failures are the apiserver's 500s.
    func opened(_ value: [UInt8], _ storageKey: String) throws -> [UInt8] {
        do {
            return try encryption.open(value, storageKey: storageKey)
        } catch let error as EncryptionError {
            throw APIError.internalError(error.description)
        }
    }

    /// The value to store: a Secret sealed.
    func sealed(_ bytes: [UInt8], _ key: StorageKey) throws -> [UInt8] {
        do {
            return try encryption.seal(bytes, resource: key.resource, storageKey: key.key)
        } catch {
            throw APIError.internalError("cannot encrypt \(key.key): \(error)")
        }
    }

    func readExisting(_ key: StorageKey) async throws -> Stored {
        guard let found = try await read(key) else { throw APIError.notFound(key.resource.groupResource, key.name) }
        return found
    }

    private func stored(_ revision: Int64, _ value: [UInt8], _ info: ResourceInfo) throws -> Stored {
        var object = try decode(info, ProtoFields.stampingResourceVersion(value, revision))
        object.metadata = object.metadata ?? ObjectMeta()
        return Stored(bytes: value, modRevision: revision, object: object, resourceInfo: info)
    }

    /// A page of a list: the items' encoded bytes (resourceVersion stamped), the revision the
    /// list was read at, and the continue token of the next page.
    struct Page {
        var items: [[UInt8]]
        var revision: Int64
        var continueToken: String?
    }

    func list(_ info: ResourceInfo, namespace: String, filter: ListFilter,
              limit: Int, continueToken: String?, resourceVersion: String?) async throws -> Page {
        let prefix = StorageKey.prefix(info, namespace: namespace)
        var start = prefix
        var revision: Int64 = 0
        if let continueToken, !continueToken.isEmpty {
            let token = try ContinueToken.decode(continueToken, prefix: prefix)
            (start, revision) = (token.startKey, token.revision)
        } else if let rv = resourceVersion, let exact = Int64(rv), exact > 0 {
            revision = exact
        }
        let filtering = !filter.isEverything
        var page = Page(items: [], revision: revision, continueToken: nil)
        while true {
            let want = limit > 0 ? limit - page.items.count : 0
            // Reading exactly what is wanted when nothing is filtered; a little more otherwise.
            let batch = want == 0 ? 0 : (filtering ? max(want, 500) : want)
            let reply: RangeResponse
            do {
                reply = try await store.range(RangeRequest(key: start, rangeEnd: Self.prefixEnd(prefix),
                                                           limit: Int64(batch), revision: revision))
            } catch let error as BusError where error.code == .compacted {
                if continueToken != nil {
                    throw APIError.expired("The provided continue parameter is too old to display a consistent list result. "
                                           + "You can start a new list without the continue parameter.")
                }
                throw APIError.expired("too old resource version: \(revision)")
            } catch let error as BusError where error.code == .futureRevision {
                throw APIError.timeout("Too large resource version: \(revision), current: unknown")
            } catch let error as BusError {
                throw APIError.unavailable("store: \(error.message)")
            }
            page.revision = reply.revision ?? revision
            revision = page.revision
            var lastKey: String? = nil
            for kv in reply.kvs {
                lastKey = kv.key
                guard let value = kv.value, let storageKey = kv.key else { continue }
                let bytes = ProtoFields.stampingResourceVersion(try opened(value, storageKey), kv.modRevision ?? 0)
                if filtering {
                    guard filter.matches(try decode(info, bytes)) else { continue }
                }
                page.items.append(bytes)
                if limit > 0, page.items.count == limit {
                    if kv.key != reply.kvs.last?.key || reply.more == true {
                        page.continueToken = ContinueToken(startKey: Self.keyAfter(kv.key!), revision: revision).encoded
                    }
                    return page
                }
            }
            guard reply.more == true, let lastKey else { return page }
            start = Self.keyAfter(lastKey)
        }
    }

    // MARK: writes

    /// Creates `object` under `key`, with the reservations it claims in the same transaction;
    /// the returned object carries its new resourceVersion. Throws `ClaimLost` when another
    /// writer took a claimed reservation first (allocate again and retry).
    func create(_ key: StorageKey, _ object: any APIObject, dryRun: Bool,
                claims: [ServiceAllocator.Claim] = []) async throws -> any APIObject {
        let bytes = try encode(object, clearingResourceVersion: true)
        if dryRun { return object }
        let reply = try await storeCall {
            try await store.txn(TxnRequest(compare: [Compare(key: key.key, modRevision: 0)] + claims.map(\.compare),
                                           success: [Operation(key: key.key, value: try sealed(bytes, key))] + claims.map(\.operation)))
        }
        guard reply.succeeded == true else {
            if !claims.isEmpty, try await read(key) == nil { throw ClaimLost() }
            throw APIError.alreadyExists(key.resource.groupResource, key.name)
        }
        return try decode(key.resource, ProtoFields.stampingResourceVersion(bytes, reply.revision ?? 0))
    }

    /// A reservation claimed with a write was taken by another writer in the meantime.
    struct ClaimLost: Error {}

    /// Read-modify-write with optimistic concurrency: `transform` gets the current object and
    /// returns the new one (or nil for "no change"). A lost race re-runs `transform` on the new
    /// state unless `pinnedRevision` holds the caller to the version it read (409 then).
    /// Returns the object as stored and whether it was written.
    func guaranteedUpdate(_ key: StorageKey, pinnedRevision: Int64? = nil, dryRun: Bool = false,
                          _ transform: (Stored) async throws -> (any APIObject)?) async throws -> (any APIObject, Bool) {
        try await guaranteedUpdate(key, pinnedRevision: pinnedRevision, dryRun: dryRun) { current in
            (try await transform(current), [])
        }
    }

    /// The same, where `transform` also returns reservations to claim in the same transaction
    /// (a lost claim re-runs it, as a lost race on the object does).
    func guaranteedUpdate(_ key: StorageKey, pinnedRevision: Int64? = nil, dryRun: Bool = false,
                          claiming transform: (Stored) async throws -> ((any APIObject)?, [ServiceAllocator.Claim]))
        async throws -> (any APIObject, Bool) {
        for _ in 0..<16 {
            let current = try await readExisting(key)
            if let pinnedRevision, pinnedRevision != current.modRevision {
                throw APIError.conflict(key.resource.groupResource, key.name)
            }
            let (proposed, claims) = try await transform(current)
            guard var updated = proposed else { return (current.object, false) }
            let bytes = try encode(updated, clearingResourceVersion: true)
            if bytes == current.bytes { return (current.object, false) }
            if dryRun { return (updated, false) }
            // Deleting the object when its last finalizer is gone and deletion was requested.
            let finished = updated.metadata?.deletionTimestamp != nil && KindRules.pendingFinalizers(updated).isEmpty
                && (updated.metadata?.deletionGracePeriodSeconds ?? 0) == 0
            let operation = finished ? Operation(key: key.key, delete: true) : Operation(key: key.key, value: try sealed(bytes, key))
            let reply = try await storeCall {
                try await store.txn(TxnRequest(compare: [Compare(key: key.key, modRevision: current.modRevision)] + claims.map(\.compare),
                                               success: [operation] + (finished ? [] : claims.map(\.operation))))
            }
            if reply.succeeded == true {
                updated.metadata?.resourceVersion = String(reply.revision ?? 0)
                return (updated, true)
            }
            if pinnedRevision != nil { throw APIError.conflict(key.resource.groupResource, key.name) }
        }
        throw APIError.conflict(key.resource.groupResource, key.name, "too many concurrent writers; try again")
    }

    /// Removes the object for good if it is still at `revision`.
    func remove(_ key: StorageKey, at revision: Int64) async throws -> Bool {
        let reply = try await storeCall {
            try await store.txn(TxnRequest(compare: [Compare(key: key.key, modRevision: revision)],
                                           success: [Operation(key: key.key, delete: true)]))
        }
        return reply.succeeded == true
    }

    // MARK: codec

    func decode(_ info: ResourceInfo, _ bytes: [UInt8]) throws -> any APIObject {
        do {
            return try info.objectType.init(serializedBytes: bytes)
        } catch {
            throw APIError.internalError("stored \(info.kind) does not decode: \(error)")
        }
    }

    func encode(_ object: any APIObject, clearingResourceVersion: Bool) throws -> [UInt8] {
        var object = object
        if clearingResourceVersion { object.metadata?.resourceVersion = nil }
        do {
            return try object.serializedBytes()
        } catch {
            throw APIError.internalError("cannot encode \(type(of: object).kind): \(error)")
        }
    }

    /// The first key after `key` that an object can have: names never hold control characters
    /// (and the store refuses NUL, the usual successor).
    static func keyAfter(_ key: String) -> String { key + "\u{1}" }

    /// etcd's range end for a prefix (the store client's, kept valid UTF-8).
    static func prefixEnd(_ prefix: String) -> String { SkiffStoreClient.prefixEnd(for: prefix) }
}

/// The continue token of a paged list: where the next page starts and the revision every page
/// is read at, so the pages together are one consistent snapshot (as Kubernetes does it).
struct ContinueToken: Codable {
    var startKey: String
    var revision: Int64

    var encoded: String {
        let data = (try? JSONEncoder().encode(self)) ?? Data()
        return data.base64EncodedString()
    }

    static func decode(_ text: String, prefix: String) throws(APIError) -> ContinueToken {
        guard let data = Data(base64Encoded: text),
              let token = try? JSONDecoder().decode(ContinueToken.self, from: data),
              token.startKey.hasPrefix(prefix), token.revision > 0
        else { throw APIError.badRequest("continue key is not valid: \(text)") }
        return token
    }
}
