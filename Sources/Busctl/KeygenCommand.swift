/// `busctl keygen`: print a new bus key: 32 random bytes as one base64 line, the format of the
/// file SKIFF_BUS_KEY_FILE names (and of the store's token file). Save it with mode 0600:
/// `(umask 077; busctl keygen > bus.key)`.
///
/// Concurrency: none. Must never: write the key anywhere but stdout.
import ArgumentParser
import SkiffBus

struct KeygenCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keygen",
        abstract: "Print a new bus key (one base64 line) for SKIFF_BUS_KEY_FILE.",
        discussion: """
            With SKIFF_BUS_KEY_FILE set, every bus socket of a process (busctl's included) \
            seals what it sends with that key and drops what does not open with it. The file \
            must be readable by its owner alone: (umask 077; busctl keygen > bus.key).
            """)

    func run() throws {
        print(BusKey.newKeyFile(), terminator: "")
    }
}
