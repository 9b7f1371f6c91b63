import Foundation
import PalmtopPrompts

/// A leave-one-out run of the exemplar editor (`l`) as it progresses: the exemplars it ran on, the
/// score with all switched-on exemplars, and the score without each one, from which each exemplar's
/// effect is shown beside it.
struct AblationRun {
    /// The exemplars as they were when the run started; the effects are shown only while they still are.
    let exemplars: [Exemplar]
    var baseline: DevScore?
    /// Exemplar indices to leave out, in the order they run.
    let variants: [Int]
    let devCount: Int
    /// Scores without exemplar i, as they finish.
    var without: [Int: Double] = [:]
    /// Items finished of the run in progress.
    var itemsDone = 0
    var finished = false

    init(exemplars: [Exemplar], baseline: DevScore?, variants: [Int], devCount: Int) {
        self.exemplars = exemplars
        self.baseline = baseline
        self.variants = variants
        self.devCount = devCount
    }

    /// Each exemplar's effect (score with it − without it), nil where not known.
    var effects: [Double?] {
        guard let baseline else { return exemplars.map { _ in nil } }
        return ExemplarAblation.effects(baseline: baseline.value, without: without, count: exemplars.count)
    }

    /// The effect column beside exemplar `i`: "+10.0", "−5.0", "±0.0", "…" while it is to run, "off".
    func column(_ i: Int) -> String {
        guard exemplars.indices.contains(i) else { return "" }
        if !exemplars[i].enabled { return "off" }
        guard let e = effects[i] else { return finished ? "—" : "…" }
        if abs(e) < 0.05 { return "±0.0" }
        return (e > 0 ? "+" : "−") + String(format: "%.1f", abs(e))
    }

    var progressLine: String {
        let step = baseline == nil ? "every exemplar on" : "exemplar \((variants.first { without[$0] == nil } ?? 0) + 1) left out"
        return "leave-one-out (\(without.count)/\(variants.count) done): \(step), query \(itemsDone)/\(devCount)… Esc stops"
    }

    var summaryLine: String {
        guard let baseline else { return "leave-one-out stopped before the first run finished" }
        let done = without.count < variants.count ? " — stopped after \(without.count) of \(variants.count)" : ""
        return "leave-one-out: \(baseline.summary) with all on; beside each: score with it − without it (+ helps, − hurts)" + done
    }
}
