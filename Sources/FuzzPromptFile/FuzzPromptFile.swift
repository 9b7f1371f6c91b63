import PalmtopFuzzTargets

/// Fuzzes PromptFileFuzzTarget (`make fuzz`), or replays input files when built without the fuzzer.
@main enum Main {
    static func main() { FuzzMain.run(PromptFileFuzzTarget.run) }
}
