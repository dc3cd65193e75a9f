/// skiff-fuzz: the harnesses of SkiffFuzz as a program. Built normally it replays files:
/// `skiff-fuzz list`, `skiff-fuzz run NAME FILE|DIR...` (a crash reproduces with the saved
/// input). Built with `-DSKIFF_LIBFUZZER -sanitize=fuzzer` (see `make fuzz`) it is a libFuzzer
/// target instead: `main` hands every argument to libFuzzer's driver, and SKIFF_FUZZ_TARGET
/// names the harness, so one binary serves every decoder. `skiff-fuzz seed DIR` writes the generated seeds of each
/// harness into DIR/NAME/ (how the checked-in corpus was made).
///
/// Concurrency: single-threaded. Must never: hold logic of its own beyond choosing a harness.
import Foundation
import SkiffFuzz

#if SKIFF_LIBFUZZER

/// Resolved once: libFuzzer calls the entry point millions of times.
let harness: FuzzHarness = {
    let name = ProcessInfo.processInfo.environment["SKIFF_FUZZ_TARGET"] ?? ""
    guard let harness = FuzzHarnesses.named(name) else {
        FileHandle.standardError.write(Data(
            "skiff-fuzz: set SKIFF_FUZZ_TARGET to one of: \(FuzzHarnesses.all.map(\.name).joined(separator: " "))\n".utf8))
        exit(2)
    }
    return harness
}()

/// libFuzzer's driver, for programs that keep their own `main`. SwiftPM links an executable's
/// `main` to the module's entry point, so libFuzzer's own `main` cannot be used; its C
/// signature is three pointer-sized arguments and an int result, the same in Swift's convention.
@_silgen_name("LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(_ argc: UnsafeMutablePointer<CInt>,
                         _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>>,
                         _ testOneInput: @convention(c) (UnsafeRawPointer?, Int) -> CInt) -> CInt

/// The entry point libFuzzer's runtime itself references (the driver gets it passed too).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzerTestOneInput(_ data: UnsafeRawPointer?, _ count: Int) -> CInt {
    _ = harness.run(UnsafeRawBufferPointer(start: count > 0 ? data : nil, count: count))
    return 0
}

@main
enum SkiffFuzzCommand {
    static func main() {
        _ = harness
        var argc = CommandLine.argc
        var argv = CommandLine.unsafeArgv
        exit(LLVMFuzzerRunDriver(&argc, &argv, fuzzerTestOneInput))
    }
}

#else

@main
enum SkiffFuzzCommand {
    static func main() {
        let arguments = Array(CommandLine.arguments.dropFirst())
        switch arguments.first {
        case "list":
            for harness in FuzzHarnesses.all { print("\(harness.name)\t\(harness.summary)") }
        case "run" where arguments.count >= 3:
            guard let harness = FuzzHarnesses.named(arguments[1]) else { fail("no harness named \(arguments[1])") }
            var count = 0
            for file in arguments.dropFirst(2).flatMap(files) {
                guard let data = FileManager.default.contents(atPath: file) else { fail("cannot read \(file)") }
                harness([UInt8](data))
                count += 1
            }
            print("\(harness.name): \(count) inputs, no crash")
        case "seed" where arguments.count == 2:
            for harness in FuzzHarnesses.all {
                let seeds = harness.seeds()
                guard !seeds.isEmpty else { continue }
                let directory = "\(arguments[1])/\(harness.name)"
                try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
                for (index, seed) in seeds.enumerated() {
                    FileManager.default.createFile(atPath: "\(directory)/seed-\(index + 1)", contents: Data(seed))
                }
                print("\(harness.name): \(seeds.count) seeds")
            }
        default:
            fail("usage: skiff-fuzz list | skiff-fuzz run NAME FILE|DIR... | skiff-fuzz seed DIR")
        }
    }

    /// A file, or a directory's files (not recursive) in name order.
    static func files(_ path: String) -> [String] {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue else { return [path] }
        let names = (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []
        return names.sorted().map { "\(path)/\($0)" }
    }

    static func fail(_ message: String) -> Never {
        FileHandle.standardError.write(Data("skiff-fuzz: \(message)\n".utf8))
        exit(2)
    }
}

#endif
