/// StoreBackend: the store calls the apiserver makes, as the store protocol's messages
/// (proto/skiff/store/v1). `StoreClient` provides them over the bus. A compacted revision
/// surfaces as a BusError with code `.compacted`, a future one as `.futureRevision`;
/// `storeCall` turns other bus failures into the 503 an API caller sees.
import SkiffAPI
import SkiffBus
import SkiffStoreClient
import SkiffWire

protocol StoreBackend: Sendable {
    func range(_ request: RangeRequest) async throws -> RangeResponse
    func txn(_ request: TxnRequest) async throws -> TxnResponse
    func history(_ request: HistoryRequest) async throws -> HistoryResponse
}

extension StoreClient: StoreBackend {
    func history(_ request: HistoryRequest) async throws -> HistoryResponse {
        try await history(afterRevision: request.afterRevision ?? 0, key: request.key ?? "",
                          rangeEnd: request.rangeEnd ?? "", limit: request.limit ?? 0)
    }
}

/// A store call whose bus failures become 503s (the apiserver is up, its store is not).
func storeCall<T>(_ call: () async throws -> T) async throws -> T {
    do {
        return try await call()
    } catch let error as BusError {
        throw APIError.unavailable("store unavailable: \(error.message)")
    }
}
