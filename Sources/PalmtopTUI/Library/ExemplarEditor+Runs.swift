import Foundation
import PalmtopBigBench
import PalmtopEngine
import PalmtopPrompts

/// The editor's engine work (a query, the dev set) and saving.
extension ExemplarEditor {
    /// Stops the running query or dev-set run (Esc, Ctrl-C): the current item ends early and no
    /// further items start.
    public func stopRun() {
        guard running else { return }
        stop.raise()
        host.cancelLibraryJob()
    }

    /// Validates and writes the file atomically and losslessly (the previous version kept as
    /// `NAME.yaml~`); the recovery file is no longer needed once the file holds the changes. A shipped
    /// template is never written: the save goes to the user's library, and the editor then edits that copy.
    /// A BIG-bench task has no file yet: it asks for a name and writes a new prompt into the user's library.
    func save() {
        guard let source = prompt.path else { askNameToSave(); return }
        let target = PromptLibrary.saveTarget(for: source)
        do {
            try PromptLibrary.save(prompt, from: source, to: target)
            prompt.path = target
            saved = prompt
            RecoveryFile.remove(for: target)
            autosaved = nil
            if target != source {
                host.notify("saved a copy in your library: \(target) (the shipped \(prompt.name) stays as it was)", .info)
            } else {
                host.notify("saved \(target) (previous version kept as \((target as NSString).lastPathComponent)~)", .info)
            }
        } catch {
            host.notify("\(error)", .error)
        }
    }

    /// "Save as" for a prompt made from a BIG-bench task: a new file in the user's library, with
    /// `source` naming the task; the task's own file is never written.
    private func askNameToSave() {
        guard let reference = prompt.source else { host.notify("this prompt has no file to save to", .error); return }
        let files = LibraryFiles(directory: PromptLibrary.userDirectory())
        nameField = NameField("save \(reference) as: ", initial: prompt.name) { [unowned self] name in
            if let problem = files.problem(withNewName: name) { host.notify(problem, .warning); return false }
            let liveKey = recoveryKey
            var copy = working
            copy.name = name
            do {
                try FileManager.default.createDirectory(at: files.directory, withIntermediateDirectories: true)
                try copy.save(to: files.path(name))
            } catch {
                host.notify("\(error)", .error)
                return false
            }
            copy.path = files.path(name)
            prompt = copy
            saved = copy
            autosaved = nil
            if let liveKey { RecoveryFile.remove(for: liveKey) }
            host.notify("saved \(files.path(name)) (source \(reference); the BIG-bench task stays as it was)", .info)
            return true
        }
    }

    private func start(_ job: @escaping (ModelBackend, EventQueue<LibraryEvent>) -> Void) -> Bool {
        guard !running else { host.notify("a run is in progress — Esc stops it", .warning); return false }
        stop.reset()
        guard host.runLibraryJob(job) else { host.notify("the engine is busy — stop the chat generation first", .warning); return false }
        running = true
        return true
    }

    func runQuery() {
        let p = prompt, input = query.text, stop = self.stop
        guard !input.trimmingCharacters(in: .whitespaces).isEmpty else { host.notify("type a query first", .warning); return }
        guard start({ backend, queue in
            do {
                let evaluator = Evaluator(prompt: p, backend: backend)
                let requests = evaluator.requests(for: DevItem(input: input))
                if requests.count > 1 {
                    // Self-consistency: the samples decode together; the editor shows each answer and the vote.
                    let summaries = try backend.generateBatch(requests, parallel: requests.count, onToken: { _, _ in !stop.isRaised },
                                                              onFinished: { _, _ in })
                    queue.push(.sampled(summaries.map(\.text)))
                    return
                }
                let request = requests[0]
                let summary = try backend.generate(request) { e in
                    queue.push(.text(e.text))
                    return !stop.isRaised
                }
                queue.push(.generated(summary))
            } catch {
                queue.push(.failed("\(error)"))
            }
        }) else { return }
        output = ""
        answer = nil
        queryNote = ""
        focus = .list
        view = .output
    }

    /// The BIG-bench task a saved prompt's `source` names, loaded from the store the first time it is
    /// needed. False, with the reason shown, when the task does not load.
    private func loadBigBench() -> Bool {
        guard bigBench == nil, let source = prompt.source, source.hasPrefix("bigbench:") else { return true }
        do {
            bigBench = try BigBenchLivePrompt(task: BigBenchStore().load(String(source.dropFirst("bigbench:".count))))
            return true
        } catch {
            host.notify("\(error)", .error)
            return false
        }
    }

    /// The dev set this prompt runs: its BIG-bench task's, else the file's. Nil, with the reason shown, when none.
    private func devSet() -> DevSet? {
        guard loadBigBench() else { return nil }
        if let bigBench { return BigBenchDevSet(live: bigBench) }
        let items: [DevItem]
        do { items = try prompt.loadDevSet() } catch { host.notify("\(error)", .error); return nil }
        guard !items.isEmpty else { host.notify("this prompt has no dev set", .warning); return nil }
        return FileDevSet(items: items)
    }

    /// The dev set, when it can run on the current backend; otherwise the reason is shown instead.
    private func runnableDevSet() -> DevSet? {
        guard let dev = devSet() else { return nil }
        if let why = dev.limitation(for: prompt, on: host.backend) { host.notify(why, .warning); return nil }
        return dev
    }

    /// `+` / `-`: a BIG-bench dev set scores more or fewer of the task's other examples (the next size
    /// on 10, 20, 50 … all). The exemplars stay as they are: they were drawn once, and the first N
    /// queries are the same at every size, so a smaller run is the start of a larger one.
    func resizeDevSet(larger: Bool) {
        guard loadBigBench() else { return }
        guard var live = bigBench else {
            host.notify("this prompt's dev set is its file's items, all of which run; + and - size a BIG-bench task's", .warning)
            return
        }
        guard !running else { host.notify("a run is in progress — Esc stops it", .warning); return }
        live.resize(to: larger ? live.largerSize : live.smallerSize)
        bigBench = live
        host.notify(BigBenchDevSet(live: live).note + " (the exemplars stay as they are)", .info)
    }

    /// Runs the items in order on the library's own sequence, so the exemplar prefix is computed once
    /// and reused by every item after the first, and the chat's cache is left alone.
    func runDevSet() {
        guard let dev = runnableDevSet() else { return }
        let p = prompt, stop = self.stop
        guard start({ backend, queue in
            let before = backend.tokenTotals
            do {
                let score = try dev.run(p, on: backend, shouldStop: { stop.isRaised }) { queue.push(.item($0)) }
                let after = backend.tokenTotals
                queue.push(.evaluated(score, reused: (after?.reused ?? 0) - (before?.reused ?? 0), computed: (after?.computed ?? 0) - (before?.computed ?? 0)))
            } catch {
                queue.push(.failed("\(error)"))
            }
        }) else { return }
        results = []
        tokenNote = nil
        devTotal = dev.count
        view = .results
        followEnd = true
        accuracyLine = "running the dev set (\(dev.count) items)… Esc stops"
    }

    /// Leave-one-out: the dev set with every switched-on exemplar (unless the last run had exactly
    /// these), then once per switched-on exemplar with it left out, last exemplar first so the cache
    /// keeps the exemplars before the one dropped. Esc stops; the effects done so far stay.
    func runAblation() {
        let variants = ExemplarAblation.variants(of: prompt)
        guard !variants.isEmpty else { host.notify("no exemplar is on: nothing to leave out", .warning); return }
        guard let dev = runnableDevSet() else { return }
        let p = prompt, stop = self.stop
        // The last run is the baseline only if it ran these exemplars on this many queries.
        let known = lastRun.flatMap { $0.exemplars == p.exemplars && $0.score.items == dev.count ? $0.score : nil }
        guard start({ backend, queue in
            let before = backend.tokenTotals
            do {
                if known == nil {
                    queue.push(.ablationBaseline(try dev.run(p, on: backend, shouldStop: { stop.isRaised }) { queue.push(.item($0)) }))
                }
                for v in variants where !stop.isRaised {
                    let score = try dev.run(v.prompt, on: backend, shouldStop: { stop.isRaised }) { queue.push(.item($0)) }
                    // A variant cut short by Esc is not a score to compare.
                    if !stop.isRaised { queue.push(.leftOut(v.left, score)) }
                }
                let after = backend.tokenTotals
                queue.push(.ablated(reused: (after?.reused ?? 0) - (before?.reused ?? 0), computed: (after?.computed ?? 0) - (before?.computed ?? 0)))
            } catch {
                queue.push(.failed("\(error)"))
            }
        }) else { return }
        ablation = AblationRun(exemplars: p.exemplars, baseline: known, variants: variants.map(\.left), devCount: dev.count)
        results = []
        tokenNote = nil
        devTotal = dev.count
        accuracyLine = ablation?.progressLine
    }

    /// An event from the job this editor started.
    public func apply(_ event: LibraryEvent) {
        switch event {
        case .text(let t): output += t
        case .generated(let summary):
            output = summary.text
            answer = prompt.extractor?.extract(summary.text)
            queryNote = "   (prompt tokens reused \(summary.reusedTokens), computed \(summary.computedTokens))"
            running = false
        case .sampled(let texts):
            let answers = texts.map { prompt.extractor?.extract($0) ?? "" }
            let votes = Evaluator.vote(answers)
            output = texts.enumerated().map { "sample \($0.offset + 1): \($0.element.trimmingCharacters(in: .whitespacesAndNewlines))" }
                .joined(separator: "\n")
            answer = votes.first?.answer
            queryNote = "   (vote of \(texts.count) samples: " + votes.map { "\(Self.flat($0.answer))×\($0.count)" }.joined(separator: " ") + ")"
            running = false
        case .item(let r):
            // Leave-one-out runs report progress only: their items are not the prompt's results.
            if var a = ablation, !a.finished {
                a.itemsDone += 1
                ablation = a
                accuracyLine = a.progressLine
                return
            }
            results.append(r)
            accuracyLine = "dev set: \(results.count)/\(devTotal) run, \(results.filter(\.correct).count) correct…"
        case .evaluated(let score, let reused, let computed):
            running = false
            var line = "dev set: " + score.summary
            if score.items < devTotal { line += " — stopped early" }
            // Only runs over the same queries compare: the first N are the same at every dev-set size.
            if let last = lastRun, last.exemplars != prompt.exemplars, last.score.items == score.items {
                line += "   before → after: \(score.formatted(last.score.value)) → \(score.formatted(score.value))"
            }
            accuracyLine = line
            tokenNote = "prompt tokens reused \(reused), computed \(computed)"
            if score.items == devTotal { lastRun = (prompt.exemplars, score) }
        case .ablationBaseline(let score):
            ablation?.baseline = score
            ablation?.itemsDone = 0
            if score.items == devTotal, let a = ablation { lastRun = (a.exemplars, score) }
        case .leftOut(let i, let score):
            ablation?.without[i] = score.value
            ablation?.itemsDone = 0
            accuracyLine = ablation?.progressLine
        case .ablated(let reused, let computed):
            running = false
            ablation?.finished = true
            accuracyLine = ablation?.summaryLine
            tokenNote = "prompt tokens reused \(reused), computed \(computed)"
        case .failed(let why):
            running = false
            ablation?.finished = true
            host.notify(why, .error)
        }
    }

    /// The per-item results as styled rows: pass/fail, input, prediction and, for rank-choices, every
    /// choice's summed log-probability (the chosen one highlighted).
    func resultRows(width: Int) -> [[StyledChar]] {
        var rows: [[StyledChar]] = []
        for r in results {
            var line = TextLayout.styled(r.correct ? "✓ " : "✗ ", r.correct ? .probHigh : .probLow)
            line += TextLayout.styled("#\(r.index + 1) \(Self.flat(r.input)) → \(Self.flat(r.predicted))", .text)
            if !r.correct { line += TextLayout.styled(" (expected \(Self.flat(r.expected)))", .dim) }
            if let votes = r.votes {
                line += TextLayout.styled("  votes " + votes.map { "\(Self.flat($0.answer))×\($0.count)" }.joined(separator: " "), .dim)
            }
            rows.append(line)
            guard let scores = r.choiceScores, !scores.isEmpty else { continue }
            let best = scores.indices.max { scores[$0].sumLogprob < scores[$1].sumLogprob }
            var choices = TextLayout.styled("    logp ", .dim)
            for (i, s) in scores.enumerated() {
                let name = Self.flat(s.choice.trimmingCharacters(in: .whitespaces))
                choices += TextLayout.styled((i > 0 ? " · " : "") + name + String(format: " %.2f", s.sumLogprob), i == best ? .accent : .dim)
            }
            rows.append(choices)
        }
        return rows.flatMap { TextLayout.wrap($0, width: width, words: true) }
    }
}
