/// Leave-one-out over a prompt's exemplars: the dev set runs once per switched-on exemplar with that
/// exemplar left out, and each exemplar's effect is the score with it minus the score without it —
/// positive when it helps, negative when it hurts.
public enum ExemplarAblation {
    /// The prompt with each switched-on exemplar left out, last exemplar first: each variant then
    /// shares every exemplar before the one it drops with the variant run just before it, so the KV
    /// cache serves that part of the prompt.
    public static func variants(of prompt: PromptFile) -> [(left: Int, prompt: PromptFile)] {
        prompt.exemplars.indices.reversed().filter { prompt.exemplars[$0].enabled }.map { i in
            var p = prompt
            p.exemplars[i].enabled = false
            return (i, p)
        }
    }

    /// Each exemplar's effect on the score (`baseline` − the score without it), by exemplar index; nil
    /// for an exemplar that was off or whose run did not finish.
    public static func effects(baseline: Double, without: [Int: Double], count: Int) -> [Double?] {
        (0..<count).map { i in without[i].map { baseline - $0 } }
    }
}
