// SkiffBus: the message bus every Skiff process talks through. Protobuf `Envelope`s over
// nanomsg, request/reply and publish/subscribe, on `inproc://`, `ipc://` or `tcp://`
// endpoints behind one API.
//
// Pieces, one job each:
// - `BusEndpoint`: parses and validates URLs.            - `BusError`: every failure, code + message.
// - `NanomsgSocket`: owns one C socket (internal).       - `BusReactor`: the poll thread.
// - `RequestClient` / `RequestServer`: typed calls; Ping built in; Failure replies.
// - `Publisher` / `Subscriber`: topics, per-topic sequence numbers, `Gap` reports.
// - `EndpointDirectory`: RUN/endpoints/*.json so tools find every socket of a cluster.
// - `SequenceTracker`, `ReplyCache`, `TopicFrame`: the pure logic, table-tested.
//
// Threads: one reactor thread per process (`BusReactor.shared`) poll()s every socket's
// NN_RCVFD plus an eventfd and drains with NN_DONTWAIT; nothing ever blocks in nn_recv or
// nn_send, so Swift's cooperative pool (2 threads on 2 cores) is never held hostage. Replies
// resume the caller's continuation straight from the reactor; subscribers get one
// AsyncStream element per drained batch; servers start one task per request. Deadlines are
// fired by the reactor too (no timer task per call). The thread exits when the last socket
// is unregistered: a process whose bus objects are all closed has no bus thread. Each hop to
// the pool is a thread wake-up (about 10-15 µs on a 2-core VM); latency-critical code can
// skip it by running on the reactor, which is also a TaskExecutor
// (`RequestServer.Options.handlerExecutor`, `withTaskExecutorPreference(BusReactor.shared)`),
// at the price of holding up every socket while it runs. Off by default.
//
// Client sockets: a pool of cooked REQ sockets (default up to 16, grown on demand), one call
// in flight per socket, rather than one raw REQ socket. Cooked REQ already queues a request
// until a server is up and resends it at once when its connection dies (which carries calls
// across a server restart) and filters stale replies; a raw socket would have us rebuild all
// three. The resend timer is set to an hour, far past any deadline, so it does not fire.
//
// Server sockets: one raw REP socket, because a cooked REP can only answer the request it
// received last; raw gives each request's route so handlers run concurrently. Requests are
// at-least-once on the wire and at-most-once in handlers: `ReplyCache` deduplicates by
// (sender, requestId) within one server incarnation.
//
// Limits: one maximum message size (default 16 MiB, `BusDefaults`) is both the send-time
// check and every socket's NN_RCVMAXSIZE, because nanomsg silently drops bigger messages
// (and resets the connection). Request servers rate-limit each sender (`RateLimit`).
//
// Security (docs/architecture.md, "Securing the bus"): `PrivateDirectory` makes run
// directories 0700; `BusKey` + `EnvelopeSeal` seal every envelope when a key is configured
// (SKIFF_BUS_KEY_FILE by default) and drop what does not open; `SharedToken` is a credential
// a server can require in `Envelope.token` (the store's); `ThrottledLog` keeps refusals from
// flooding the log.
//
// Must never: block a cooperative thread, crash on anything a peer sends, bootstrap logging
// (pass a `Logger`; the default discards), or fork (nanomsg sockets die in a forked child).
