/// The core of `make fuzz`, run by `make test`: every corpus input through its harness, plus a
/// seeded batch of mutations of them (bit flips, truncations, insertions, splices), so a
/// regression that crashes on a corpus-like input fails the ordinary test run. A crash or a
/// broken invariant traps, which fails the test process.
import Foundation
import SkiffFuzz
import Testing

@Suite struct FuzzCorpusTests {
    static let corpusRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Corpus")

    static func corpus(_ name: String) throws -> [[UInt8]] {
        let directory = corpusRoot.appendingPathComponent(name)
        return try FileManager.default.contentsOfDirectory(atPath: directory.path).sorted().map {
            [UInt8](try Data(contentsOf: directory.appendingPathComponent($0)))
        }
    }

    @Test func everyHarnessHasACorpusAndEveryCorpusAHarness() throws {
        let directories = Set(try FileManager.default.contentsOfDirectory(atPath: Self.corpusRoot.path))
        #expect(directories == Set(FuzzHarnesses.all.map(\.name)))
        #expect(Set(FuzzHarnesses.all.map(\.name)).count == FuzzHarnesses.all.count, "two harnesses share a name")
    }

    /// The seeds are valid inputs: otherwise the fuzzer starts from junk the decoder rejects at once.
    @Test(arguments: FuzzHarnesses.all.map(\.name))
    func corpusHoldsInputsTheDecoderAccepts(_ name: String) throws {
        let harness = try #require(FuzzHarnesses.named(name))
        let inputs = try Self.corpus(name)
        #expect(inputs.contains { harness($0) }, "no input in Corpus/\(name) is accepted")
        for seed in harness.seeds() { #expect(harness(seed), "a generated seed of \(name) is not accepted") }
    }

    @Test(arguments: FuzzHarnesses.all.map(\.name))
    func mutatedCorpusDoesNotCrash(_ name: String) throws {
        let harness = try #require(FuzzHarnesses.named(name))
        let inputs = try Self.corpus(name)
        var mutator = Mutator(seed: Mutator.stableHash(name), corpus: inputs)
        for _ in 0..<Mutator.runsPerHarness { harness(mutator.next()) }
    }

    /// The mutator itself: deterministic for a seed, and it does change its inputs.
    @Test func mutatorIsDeterministicAndMutates() {
        let corpus: [[UInt8]] = [Array("app=web,tier in (front)".utf8), [0x0a, 0x03, 0x61, 0x62, 0x63]]
        var first = Mutator(seed: 1, corpus: corpus)
        var second = Mutator(seed: 1, corpus: corpus)
        let a = (0..<200).map { _ in first.next() }
        let b = (0..<200).map { _ in second.next() }
        #expect(a == b)
        #expect(a.filter { !corpus.contains($0) }.count > 150)
    }
}

/// libFuzzer's simplest mutations, driven by SplitMix64 so every run feeds the same inputs.
struct Mutator {
    static let runsPerHarness = 2000
    var state: UInt64
    let corpus: [[UInt8]]

    init(seed: UInt64, corpus: [[UInt8]]) {
        state = seed
        self.corpus = corpus.isEmpty ? [[]] : corpus
    }

    /// FNV-1a: Hasher is randomized per process, and a failure must replay.
    static func stableHash(_ text: String) -> UInt64 {
        text.utf8.reduce(0xcbf2_9ce4_8422_2325) { ($0 ^ UInt64($1)) &* 0x100_0000_01b3 }
    }

    mutating func random() -> UInt64 {
        state &+= 0x9e37_79b9_7f4a_7c15
        var z = state
        z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
        z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
        return z ^ (z >> 31)
    }

    mutating func below(_ bound: Int) -> Int { bound <= 0 ? 0 : Int(random() % UInt64(bound)) }

    /// A corpus input with one to four mutations applied.
    mutating func next() -> [UInt8] {
        var bytes = corpus[below(corpus.count)]
        for _ in 0...below(4) { mutate(&bytes) }
        return bytes
    }

    /// Bytes the formats give meaning to: NUL, varint continuation, separators, quotes, brackets.
    static let interesting: [UInt8] = [0x00, 0x01, 0x7f, 0x80, 0xff, 0xc0, 0x3f, UInt8(ascii: ","), UInt8(ascii: "="),
                                       UInt8(ascii: "\""), UInt8(ascii: "{"), UInt8(ascii: "["), UInt8(ascii: "\\"),
                                       UInt8(ascii: ":"), UInt8(ascii: "-"), UInt8(ascii: "e"), UInt8(ascii: "%")]

    mutating func mutate(_ bytes: inout [UInt8]) {
        switch below(bytes.isEmpty ? 2 : 8) {
        case 0: // insert an interesting byte
            bytes.insert(Self.interesting[below(Self.interesting.count)], at: below(bytes.count + 1))
        case 1: // splice: a prefix of this input and a suffix of another
            let other = corpus[below(corpus.count)]
            bytes = Array(bytes.prefix(below(bytes.count + 1))) + other.suffix(below(other.count + 1))
        case 2: // flip a bit
            bytes[below(bytes.count)] ^= 1 << UInt8(below(8))
        case 3: // truncate
            bytes.removeLast(below(bytes.count) + 1)
        case 4: // delete a run
            let start = below(bytes.count)
            bytes.removeSubrange(start..<min(bytes.count, start + 1 + below(8)))
        case 5: // overwrite with an interesting byte
            bytes[below(bytes.count)] = Self.interesting[below(Self.interesting.count)]
        case 6: // duplicate a run (nesting, repeated fields)
            let start = below(bytes.count)
            let run = bytes[start..<min(bytes.count, start + 1 + below(32))]
            bytes.insert(contentsOf: run, at: below(bytes.count + 1))
        default: // a random byte
            bytes[below(bytes.count)] = UInt8(truncatingIfNeeded: random())
        }
    }
}
