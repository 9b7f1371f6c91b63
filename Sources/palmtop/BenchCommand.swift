import ArgumentParser
import Foundation
import PalmtopEngine

/// `palmtop bench`: load time, prefill and decode speed, and prefix reuse, in the llama-bench style;
/// with `--backend`, prefill and decode through the server (`RemoteBenchmark`).
struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Measure load, prefill (pp) and decode (tg) speed.")

    @OptionGroup var modelOptions: ModelOptions
    @Option(name: [.customShort("p"), .customLong("prompt-tokens")], help: "Prompt tokens for the prefill test.") var promptTokens: Int = 512
    @Option(name: [.customShort("n"), .customLong("gen-tokens")], help: "Tokens for the decode test.") var generateTokens: Int = 128
    @Option(name: [.customShort("d"), .customLong("depth")], help: "Tokens already in the context before each test (llama-bench's n-depth).")
    var depth: Int = 0
    @Option(name: .shortAndLong, help: "Repetitions after one warm-up run (mean ± standard deviation reported).") var repetitions: Int = 5
    @Option(name: [.customShort("b"), .customLong("batch")],
            help: "Also decode this many sequences together (continuous batching) and report aggregate and per-sequence tokens/s.")
    var batch: Int?
    @OptionGroup var drafting: DraftOptions
    @Option(help: "With --draft prompt-lookup: the library prompt whose first dev items are generated greedily, with and without drafting.")
    var draftPrompt = "fix-typo"
    @Option(help: "With --draft prompt-lookup: how many of its dev items.") var draftItems = 4
    @Flag(help: "Print JSON.") var json = false

    func validate() throws {
        guard promptTokens >= 2 else { throw ValidationError("--prompt-tokens must be at least 2") }
        guard generateTokens >= 1 else { throw ValidationError("--gen-tokens must be at least 1") }
        guard depth >= 0 else { throw ValidationError("--depth must not be negative") }
        guard repetitions >= 1 else { throw ValidationError("--repetitions must be at least 1") }
        if let batch, !(1...64).contains(batch) { throw ValidationError("--batch must be between 1 and 64") }
        guard draftItems >= 1 else { throw ValidationError("--draft-items must be at least 1") }
    }

    func run() throws {
        if modelOptions.remote.url != nil { return try runRemote() }
        let tokenizerFigures = try measureTokenizer()
        let model = try modelOptions.load()
        let session = Session(model: model, contextLimit: max(modelOptions.ctx, depth + promptTokens + generateTokens + 8),
                              prefill: modelOptions.prefill)
        // A fixed pseudo-random prompt of ordinary tokens (not the first ids, which are often special),
        // after `depth` tokens of context that are not timed.
        var rng = SeededRandom(seed: 7)
        let vocab = model.config.vocabularySize
        func ordinary(_ n: Int) -> [Int] { (0..<n).map { _ in 1000 + Int(rng.next() % UInt64(vocab / 4)) } }
        let bos = model.tokenizer.bosID ?? 1
        let context = depth > 0 ? [bos] + ordinary(depth - 1) : []
        let prompt = context + (context.isEmpty ? [bos] + ordinary(promptTokens - 1) : ordinary(promptTokens))
        var prefill: [Double] = [], decode: [Double] = []
        // The first run only warms caches, page tables and the thread pool.
        for run in 0...max(repetitions, 1) {
            session.reset()
            if !context.isEmpty { try session.prefill(context, logits: .last) }
            let t0 = Date()
            try session.prefill(prompt, logits: .last)
            let prefillRate = Double(promptTokens) / Date().timeIntervalSince(t0)
            session.reset()
            var tokens = context.isEmpty ? [bos] : context
            try session.prefill(tokens, logits: .last)
            let t1 = Date()
            for i in 0..<generateTokens {
                tokens.append(prompt[context.count + 1 + i % (promptTokens - 1)])
                try session.prefill(tokens, logits: .last)
            }
            let decodeRate = Double(generateTokens) / Date().timeIntervalSince(t1)
            if run > 0 { prefill.append(prefillRate); decode.append(decodeRate) }
        }
        // Prefix reuse: change the last 5% of the prompt and re-run it.
        session.reset()
        try session.prefill(prompt, logits: .last)
        var edited = prompt
        for i in (context.count + promptTokens * 95 / 100)..<prompt.count { edited[i] = 1000 + (edited[i] + 17) % (vocab / 4) }
        let t2 = Date()
        let stats = try session.prefill(edited, logits: .last)
        let reuseSeconds = Date().timeIntervalSince(t2)

        // Batched decode: B sequences after the same context, each fed its own tokens, one pass per step.
        var batched: [Double] = []
        if let batch {
            let generator = BatchGenerator(model: model, contextLimit: depth + generateTokens + 8)
            let start = context.isEmpty ? [bos] : context
            for run in 0...max(repetitions, 1) {
                let seconds = generator.timeDecode(sequences: batch, steps: generateTokens, after: start) { s, step in
                    prompt[context.count + 1 + (step + 31 * s) % (promptTokens - 1)]
                }
                if run > 0 { batched.append(Double(batch * generateTokens) / seconds) }
            }
        }
        let (pp, ppSD) = meanAndDeviation(prefill), (tg, tgSD) = meanAndDeviation(decode)
        let (batchedTG, batchedSD) = meanAndDeviation(batched)
        let bandwidth = Double(model.decoder.weights.bytesPerToken) * tg / 1e9
        // Matrix products of the layers only (attention and the last position's output row excluded).
        let gemmRate = 2 * Double(model.decoder.weights.layerWeightCount) * pp / 1e9
        let draft = drafting.draft == .promptLookup
            ? try DraftBenchmark(promptName: draftPrompt, items: draftItems, repetitions: repetitions, draft: drafting.settings)
                .run(model: model, contextLimit: modelOptions.ctx)
            : nil
        let rss = residentBytes()
        if json {
            var o: [String: Any] = ["model": model.name, "threads": modelOptions.threads, "kernels": KernelPath.current, "products": KernelPath.products,
                                    "prefill": modelOptions.prefill.rawValue, "load_seconds": model.loadSeconds, "dequantize_seconds": model.dequantizeSeconds,
                                    "prompt_tokens": promptTokens, "gen_tokens": generateTokens, "depth": depth, "repetitions": prefill.count,
                                    "prefill_tokens_per_s": pp, "prefill_stddev": ppSD, "decode_tokens_per_s": tg, "decode_stddev": tgSD,
                                    "decode_gb_s": bandwidth, "prefill_matmul_gflop_s": gemmRate,
                                    "prefix_reuse_s": reuseSeconds, "prefix_reused": stats.reused, "prefix_computed": stats.computed,
                                    "cold_prefill_s": Double(promptTokens) / pp, "rss_bytes": rss,
                                    "vocab_load_s": tokenizerFigures.load, "encode_mb_s": tokenizerFigures.megabytesPerSecond]
            if let batch {
                o["batch"] = batch
                o["batch_decode_tokens_per_s"] = batchedTG
                o["batch_decode_stddev"] = batchedSD
                o["batch_decode_per_sequence_tokens_per_s"] = batchedTG / Double(batch)
                o["batch_speedup"] = tg > 0 ? batchedTG / tg : 0
            }
            if let draft {
                o["draft"] = ["prompt": draftPrompt, "items": draftItems, "generated_tokens": draft.generatedTokens,
                              "plain_tokens_per_s": draft.plain.mean, "plain_stddev": draft.plain.deviation,
                              "tokens_per_s": draft.drafted.mean, "stddev": draft.drafted.deviation, "speedup": draft.speedup,
                              "acceptance_rate": draft.stats.acceptanceRate, "proposed": draft.stats.proposed,
                              "accepted": draft.stats.accepted, "passes": draft.stats.passes, "identical_output": draft.identical]
            }
            JSONLine.print(o)
            return
        }
        print("model        \(model.name) (\(model.config.architecture)), threads \(modelOptions.threads), kernels \(KernelPath.current) (\(KernelPath.products) products), prefill \(modelOptions.prefill.rawValue)")
        print(String(format: "load         %.2f s (dequantize %.2f s)", model.loadSeconds, model.dequantizeSeconds))
        func label(_ test: String) -> String { (test + (depth > 0 ? " @ d\(depth)" : "")).padding(toLength: 12, withPad: " ", startingAt: 0) }
        print(label("pp\(promptTokens)") + String(format: " %.1f ± %.1f tok/s (%.0f GFLOP/s in the layers' matrix products)", pp, ppSD, gemmRate))
        print(label("tg\(generateTokens)") + String(format: " %.1f ± %.1f tok/s (%.1f GB/s of bf16 weights)", tg, tgSD, bandwidth))
        if let batch {
            print(label("tg\(generateTokens) ×\(batch)") + String(format: " %.1f ± %.1f tok/s aggregate, %.1f per sequence (%.2f× one sequence)",
                                                                  batchedTG, batchedSD, batchedTG / Double(batch), tg > 0 ? batchedTG / tg : 0))
        }
        print(String(format: "prefix reuse %.3f s for %d new tokens after %d reused (cold prefill %.3f s)", reuseSeconds, stats.computed, stats.reused, Double(promptTokens) / pp))
        if let draft {
            print(String(format: "greedy       %.1f ± %.1f tok/s plain, %.1f ± %.1f prompt-lookup (%.2f×) on %@ (%d items, %d tokens)",
                         draft.plain.mean, draft.plain.deviation, draft.drafted.mean, draft.drafted.deviation, draft.speedup, draftPrompt,
                         draftItems, draft.generatedTokens))
            print(String(format: "draft        acceptance %.2f (%d of %d draft tokens, %d passes), output %@", draft.stats.acceptanceRate,
                         draft.stats.accepted, draft.stats.proposed, draft.stats.passes, draft.identical ? "identical" : "DIFFERS"))
        }
        print(String(format: "resident     %.0f MB", Double(rss) / 1e6))
        print(String(format: "tokenizer    vocabulary %.0f ms, encode %.2f MB/s on one core", tokenizerFigures.load * 1000, tokenizerFigures.megabytesPerSecond))
    }

    /// Through a server: prefill and decode as a client sees them; what only this process can measure
    /// (load, kernels, bandwidth, prefix reuse, memory, the tokenizer) is null in JSON and n/a in the table.
    private func runRemote() throws {
        if depth > 0 { throw ValidationError("--depth applies to the in-process engine only (a server keeps its own cache)") }
        if batch != nil { throw ValidationError("--batch applies to the in-process engine only (a server batches concurrent requests itself)") }
        try drafting.refuse(server: modelOptions.remote.url)
        let backend = try modelOptions.open()
        let r = try RemoteBenchmark(backend: backend, promptTokens: promptTokens, generateTokens: generateTokens, repetitions: repetitions).run()
        let (pp, ppSD) = meanAndDeviation(r.prefill), (tg, tgSD) = meanAndDeviation(r.decode)
        let (ttft, ttftSD) = meanAndDeviation(r.firstToken)
        let generated = Double(r.generated.reduce(0, +)) / Double(max(r.generated.count, 1))
        if json {
            let none = NSNull()
            let o: [String: Any] = ["model": backend.modelName, "backend": backend.location, "threads": none, "kernels": none, "prefill": none,
                                    "load_seconds": none, "dequantize_seconds": none,
                                    "prompt_tokens": r.promptTokens, "gen_tokens": generateTokens, "depth": 0, "repetitions": r.prefill.count,
                                    "prefill_tokens_per_s": pp, "prefill_stddev": ppSD, "decode_tokens_per_s": tg, "decode_stddev": tgSD,
                                    "time_to_first_token_s": ttft, "time_to_first_token_stddev": ttftSD, "generated_tokens_mean": generated,
                                    "decode_gb_s": none, "prefill_matmul_gflop_s": none,
                                    "prefix_reuse_s": none, "prefix_reused": none, "prefix_computed": none,
                                    "cold_prefill_s": pp > 0 ? Double(r.promptTokens) / pp : none, "rss_bytes": none,
                                    "vocab_load_s": none, "encode_mb_s": none]
            JSONLine.print(o)
            return
        }
        print("model        \(backend.modelName), \(backend.location)")
        print("load         n/a (the server loaded the model)")
        print("pp\(r.promptTokens)".padding(toLength: 12, withPad: " ", startingAt: 0)
              + String(format: " %.1f ± %.1f tok/s (prompt tokens over the time to the first token; GFLOP/s n/a)", pp, ppSD))
        print("tg\(generateTokens)".padding(toLength: 12, withPad: " ", startingAt: 0)
              + String(format: " %.1f ± %.1f tok/s after the first token, which came after %.1f ± %.1f ms (%.0f tokens a reply; GB/s n/a)",
                       tg, tgSD, ttft * 1000, ttftSD * 1000, generated))
        print("prefix reuse n/a (a server does not say what its cache served)")
        print("resident     n/a (the model is in the server's memory)")
        print("tokenizer    n/a (the server tokenizes)")
    }

    /// Vocabulary load time (header + tokenizer tables) and single-threaded encoding speed on 1 MB of
    /// mixed text: prose, code, numbers, CJK, Cyrillic, Arabic and emoji.
    private func measureTokenizer() throws -> (load: Double, megabytesPerSecond: Double) {
        let path = try ModelStore().resolve(modelOptions.model ?? ModelOptions.defaultModel)
        let t0 = Date()
        let tokenizer = try Vocabulary.tokenizer(for: try GGUFFile(path: path))
        let load = Date().timeIntervalSince(t0)
        let paragraph = """
        The old lighthouse keeper climbed 127 stairs every evening.   def add(a, b):\n    return a + b\n
        東京は日本の首都です。 Привет, мир! مرحبا بالعالم 👩‍👩‍👧‍👦 👍🏽 naïve café — 3.14159, 1,000,000 items.\n\n
        """
        var text = ""
        while text.utf8.count < 1 << 20 { text += paragraph }
        let t1 = Date()
        let ids = tokenizer.encode(text, addBOS: false, parseSpecial: true)
        let seconds = Date().timeIntervalSince(t1)
        precondition(!ids.isEmpty)
        return (load, Double(text.utf8.count) / 1e6 / seconds)
    }
}

/// Mean and sample standard deviation (0 for a single value).
func meanAndDeviation(_ values: [Double]) -> (Double, Double) {
    let mean = values.reduce(0, +) / Double(max(values.count, 1))
    guard values.count > 1 else { return (mean, 0) }
    let variance = values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(values.count - 1)
    return (mean, variance.squareRoot())
}

/// Resident set size from /proc (Linux).
func residentBytes() -> Int {
    guard let s = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return 0 }
    let fields = s.split(separator: " ")
    return fields.count > 1 ? (Int(fields[1]) ?? 0) * Int(sysconf(Int32(_SC_PAGESIZE))) : 0
}
