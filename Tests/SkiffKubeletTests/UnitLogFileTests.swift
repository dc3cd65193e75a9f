// LogFile.read: container logs from an offset or their last lines, in chunks, across rotation.
import Foundation
import Testing
@testable import SkiffKubelet

private func read(_ text: String, offset: Int64? = nil, tailLines: Int64? = nil, limit: Int64 = 1 << 20) throws -> (String, Int64) {
    let scratch = try ScratchDirectory()
    defer { scratch.remove() }
    let path = try scratch.write("c.log", text)
    let (bytes, next) = try LogFile.read(path, offset: offset, tailLines: tailLines, limit: limit)
    return (String(decoding: bytes, as: UTF8.self), next)
}

@Suite struct UnitLogFileTests {
    @Test(arguments: [
        (nil, "one\ntwo\nthree\n", 14),
        (4, "two\nthree\n", 14),
        (14, "", 14),
        (0, "one\ntwo\nthree\n", 14),
        (99, "one\ntwo\nthree\n", 14),  // past the end: the log was rotated, read it again from its start
        (-5, "one\ntwo\nthree\n", 14),  // a negative offset (any bus client can send one) reads from the start
    ] as [(Int64?, String, Int64)])
    func readsFromAnOffset(offset: Int64?, expected: String, next: Int64) throws {
        let (text, nextOffset) = try read("one\ntwo\nthree\n", offset: offset)
        #expect(text == expected)
        #expect(nextOffset == next)
    }

    @Test(arguments: [
        ("one\ntwo\nthree\n", 0, ""),
        ("one\ntwo\nthree\n", 1, "three\n"),
        ("one\ntwo\nthree\n", 2, "two\nthree\n"),
        ("one\ntwo\nthree\n", 3, "one\ntwo\nthree\n"),
        ("one\ntwo\nthree\n", 10, "one\ntwo\nthree\n"),
        ("one\ntwo\nthree", 1, "three"),
        ("one\ntwo\nthree", 2, "two\nthree"),
        ("one\n\n\nfour\n", 3, "\n\nfour\n"),
        ("", 5, ""),
    ] as [(String, Int64, String)])
    func tailLinesReadsTheLastLines(log: String, lines: Int64, expected: String) throws {
        let (text, next) = try read(log, tailLines: lines)
        #expect(text == expected)
        #expect(next == Int64(log.utf8.count))
    }

    @Test func tailLinesFindsLinesAcrossReadBlocks() throws {
        let lines = (0..<5000).map { "line \($0)" }
        let (text, _) = try read(lines.joined(separator: "\n") + "\n", tailLines: 2500)
        #expect(text == lines.suffix(2500).joined(separator: "\n") + "\n")
    }

    @Test func anOffsetWinsOverTailLines() throws {
        #expect(try read("one\ntwo\n", offset: 4, tailLines: 2).0 == "two\n")
    }

    @Test func aLimitReturnsAChunkAndTheOffsetToContinueFrom() throws {
        let (first, next) = try read("abcdefghij", offset: 2, limit: 3)
        #expect(first == "cde")
        #expect(next == 5)
        #expect(try read("abcdefghij", offset: next, limit: 100) == ("fghij", 10))
    }

    @Test func aMissingLogReadsAsEmpty() throws {
        let (bytes, next) = try LogFile.read("/nonexistent/skiff/c.log", offset: 10, tailLines: nil, limit: 10)
        #expect(bytes.isEmpty)
        #expect(next == 0)
    }
}
