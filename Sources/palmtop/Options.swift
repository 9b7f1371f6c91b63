import ArgumentParser
import Foundation
import PalmtopEngine
import PalmtopRemote
import PalmtopSampling

extension PrefillPrecision: ExpressibleByArgument {}

/// `--backend`, `--api-key` and `--timeout`: where a model runs when it is not in this process.
struct RemoteOptions: ParsableArguments {
    @Option(help: ArgumentHelp("An OpenAI-compatible server to use instead of an in-process model (default: PALMTOP_BACKEND; `local` means in-process).", valueName: "url"))
    var backend: String?

    @Option(help: ArgumentHelp("Bearer token for --backend (default: OPENAI_API_KEY). Never printed, logged or saved.", valueName: "key"))
    var apiKey: String?

    @Option(help: "Seconds a server may stay silent before a request fails (a steady stream never times out).")
    var timeout: Double = 300

    func validate() throws {
        guard timeout > 0 else { throw ValidationError("--timeout must be positive") }
    }

    /// The server URL in use, if any: the flag, else PALMTOP_BACKEND.
    var url: String? {
        let chosen = backend ?? ProcessInfo.processInfo.environment["PALMTOP_BACKEND"]
        guard let chosen, !chosen.isEmpty, chosen != "local" else { return nil }
        return chosen
    }

    var key: String? { apiKey ?? ProcessInfo.processInfo.environment["OPENAI_API_KEY"] }

    func connect(model: String?, contextLimit: Int?) throws -> ModelBackend? {
        guard let url else { return nil }
        return try RemoteBackend.connect(url: url, model: model, apiKey: key, timeout: timeout, contextLimit: contextLimit)
    }
}

/// `--model`, `--threads`, `--ctx`, `--prefill`, `--kernels` and the remote options, shared by every
/// command that runs a model.
struct ModelOptions: ParsableArguments {
    @Option(name: .shortAndLong, help: "A known model name (see `palmtop models`) or a path to a GGUF file (default: smollm2-135m-instruct); with --backend, one of the server's models (default: its first).")
    var model: String?

    @OptionGroup var remote: RemoteOptions

    static let defaultModel = "smollm2-135m-instruct"

    @Option(help: "Worker threads (default: the number of physical cores).")
    var threads: Int = ThreadPool.defaultThreadCount

    @Option(help: "Context limit in tokens (capped by the model's own).")
    var ctx: Int = 4096

    @Option(help: "Precision of the prompt pass before generating: fast (bf16 activations as llama.cpp's BF16 path, ~1e-3 relative error per product; bf16 attention) or exact (bf16 activations plus their rounding error, f32 attention; ~1.7x slower). Only the avx512bf16 kernels with bf16 products differ (AMD; Intel's run f32, see PALMTOP_BF16_DOT): the others' prompt passes are exact f32 either way. Scoring and prompt log-probabilities are always exact.")
    var prefill: PrefillPrecision = .fast

    @Option(help: ArgumentHelp("Kernel path: avx512bf16, avx2, neonbf16, neon or portable (default: the best this CPU has, or PALMTOP_KERNELS). A path the CPU lacks falls back to the best one below it.", valueName: "path"))
    var kernels: String?

    func validate() throws {
        guard threads >= 1 && threads <= 256 else { throw ValidationError("--threads must be between 1 and 256") }
        guard ctx >= 16 else { throw ValidationError("--ctx must be at least 16") }
    }

    /// Loads `--model`, or `fallback` (e.g. a library prompt's preferred model) when none was given.
    func load(fallback: String = ModelOptions.defaultModel) throws -> Model {
        if let kernels { try KernelChoice.apply(kernels, from: "--kernels") }
        return try Model(path: try ModelStore().resolve(model ?? fallback), threads: threads)
    }

    /// The server given by --backend (with `--model` picking among its models), or `--model` (else
    /// `fallback`) in this process.
    func open(fallback: String = ModelOptions.defaultModel) throws -> ModelBackend {
        if let remote = try remote.connect(model: model, contextLimit: ctx) { return remote }
        return LocalBackend(model: try load(fallback: fallback), contextLimit: ctx, prefill: prefill)
    }
}

/// Every sampler setting as a flag.
struct SamplingOptions: ParsableArguments {
    @Option(help: "Temperature; 0 is greedy.") var temperature: Float = 0.8
    @Option(help: "Keep the k most likely tokens (0 = off).") var topK: Int = 40
    @Option(help: "Nucleus sampling threshold in (0, 1].") var topP: Float = 0.95
    @Option(help: "Drop tokens below this fraction of the best token's probability.") var minP: Float = 0.05
    @Option(help: "Repetition penalty (1 = off).") var repeatPenalty: Float = 1.0
    @Option(help: "Window of recent tokens the penalties look at (-1 = all).") var repeatLastN: Int = 64
    @Option(help: "Presence penalty.") var presencePenalty: Float = 0
    @Option(help: "Frequency penalty.") var frequencyPenalty: Float = 0
    @Option(help: "Random seed.") var seed: UInt64 = 42
    @Option(help: "Maximum tokens to generate.") var maxTokens: Int = 128
    @Option(help: "Stop sequence (repeatable); not printed.") var stop: [String] = []
    @Option(help: "Sampler order, comma-separated from: penalties,top_k,top_p,min_p,temperature.") var samplers: String?

    var settings: SamplingSettings {
        var s = SamplingSettings()
        s.temperature = temperature; s.topK = topK; s.topP = topP; s.minP = minP
        s.repeatPenalty = repeatPenalty; s.repeatLastN = repeatLastN
        s.presencePenalty = presencePenalty; s.frequencyPenalty = frequencyPenalty
        s.seed = seed; s.maxTokens = maxTokens; s.stop = stop
        if let samplers { s.order = samplers.split(separator: ",").compactMap { SamplerStage(rawValue: String($0)) } }
        return s
    }

    func validate() throws {
        if let samplers {
            for name in samplers.split(separator: ",") where SamplerStage(rawValue: String(name)) == nil {
                throw ValidationError("unknown sampler '\(name)' in --samplers (use penalties, top_k, top_p, min_p, temperature)")
            }
        }
        do { try settings.validate() } catch { throw ValidationError("\(error)") }
    }
}

/// Prints one JSON object per line with sorted keys, for scripts.
enum JSONLine {
    static func print(_ object: Any) {
        guard let data = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes]) else { return }
        StandardOutput.write(data + Data("\n".utf8))
    }
}

/// Writes to stdout; when the reader has gone (`palmtop generate … | head`), stops quietly as Unix
/// tools do, instead of trapping on the failed write (SIGPIPE is ignored in this process).
enum StandardOutput {
    static func write(_ data: Data) {
        do { try FileHandle.standardOutput.write(contentsOf: data) } catch { exit(0) }
    }

    static func write(_ text: String) { write(Data(text.utf8)) }
}

/// Ctrl-C stops the running generation or scoring instead of killing the process, so the output
/// still ends cleanly. The handler runs on a dispatch queue, not in the signal handler, so it may
/// cancel a network request.
enum InterruptHandler {
    nonisolated(unsafe) private static var source: DispatchSourceSignal?

    static func install(for backend: ModelBackend) {
        signal(SIGINT, SIG_IGN)
        let s = DispatchSource.makeSignalSource(signal: SIGINT, queue: .global())
        s.setEventHandler { backend.cancel() }
        s.resume()
        source = s
    }
}

/// Reads a file or stdin, rejecting invalid UTF-8 with a clear message.
func readUTF8(path: String?) throws -> String {
    let data: Data
    if let path, path != "-" {
        guard let d = FileManager.default.contents(atPath: path) else { throw ValidationError("cannot read \(path)") }
        data = d
    } else {
        data = FileHandle.standardInput.readDataToEndOfFile()
    }
    guard let s = String(data: data, encoding: .utf8) else { throw ValidationError("\(path ?? "stdin") is not valid UTF-8") }
    return s
}

/// Applies a kernel path asked for on the command line or in the environment, saying on stderr when
/// the CPU lacks it and a lower path runs instead (the bench JSON's `kernels` names the one used).
enum KernelChoice {
    static func apply(_ name: String, from source: String) throws {
        let used: String
        do { used = try KernelPath.force(name) } catch { throw ValidationError("\(source): \(error)") }
        if used != name { FileHandle.standardError.write(Data("note: this CPU has no \(name) kernels (\(source)); using \(used)\n".utf8)) }
    }
}
