/// The controllers' event recorder: the client library's, with the controller as its source.
import Logging
import SkiffClient
import SkiffWire

extension EventRecorder {
    convenience init(client: APIClient, component: String, instance: String, wallClock: any WallClock, logger: Logger) {
        self.init(api: client, source: Source(component: component, instance: instance), wallClock: wallClock,
                  writers: 2, logger: logger)
    }

    /// A Normal event.
    public func normal(_ object: some APIObject, _ reason: String, _ message: String) {
        record(object, type: "Normal", reason: reason, action: reason, message: message)
    }

    /// A Warning event.
    public func warning(_ object: some APIObject, _ reason: String, _ message: String) {
        record(object, type: "Warning", reason: reason, action: reason, message: message)
    }
}
