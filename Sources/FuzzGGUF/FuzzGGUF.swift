import PalmtopFuzzTargets

/// Fuzzes GGUFFuzzTarget (`make fuzz`), or replays input files when built without the fuzzer.
@main enum Main {
    static func main() { FuzzMain.run(GGUFFuzzTarget.run) }
}
