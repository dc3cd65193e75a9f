/// FuzzHarness: one decoder of untrusted input, wrapped so a fuzzer can feed it arbitrary
/// bytes. A harness decodes; when decoding succeeds it checks the invariants that hold for
/// every accepted input (a re-encoding decodes to the same value, a printed selector parses
/// back to itself) and traps through `FuzzInvariant` when one is broken.
///
/// Concurrency: harnesses are pure functions of their input and safe on any thread.
/// Must never: throw or print for input that is merely malformed (that is the decoder doing
/// its job), read files, open sockets or keep state between runs (libFuzzer replays inputs one
/// by one and a crash must reproduce from its bytes alone).
public struct FuzzHarness: Sendable {
    /// The name `skiff-fuzz run NAME`, SKIFF_FUZZ_TARGET and the corpus directory use.
    public let name: String
    /// What the harness feeds and what it checks, one line (`skiff-fuzz list` prints it).
    public let summary: String
    /// Feeds one input; true when the decoder accepted it (the tests use that to check that a
    /// corpus holds valid inputs, so the fuzzer starts past the decoder's first `guard`).
    public let run: @Sendable (UnsafeRawBufferPointer) -> Bool
    /// Valid inputs built from real values (`skiff-fuzz seed` writes them into the corpus).
    public let seeds: @Sendable () -> [[UInt8]]

    public init(_ name: String, _ summary: String, seeds: @escaping @Sendable () -> [[UInt8]] = { [] },
                run: @escaping @Sendable (UnsafeRawBufferPointer) -> Bool) {
        self.name = name
        self.summary = summary
        self.seeds = seeds
        self.run = run
    }

    /// Runs the harness over bytes held in an array (the test target's and `run`'s path).
    @discardableResult
    public func callAsFunction(_ bytes: [UInt8]) -> Bool {
        bytes.withUnsafeBytes { run($0) }
    }
}

/// Trapping on a broken invariant: libFuzzer records a trap as a crash and saves the input.
/// `precondition` would vanish under -Ounchecked, so this is an explicit `fatalError`.
enum FuzzInvariant {
    static func check(_ condition: @autoclosure () -> Bool, _ harness: String,
                      _ message: @autoclosure () -> String) {
        if !condition() { fatalError("\(harness): invariant broken: \(message())") }
    }
}
