import PalmtopFuzzTargets

/// Fuzzes DevSetFuzzTarget (`make fuzz`), or replays input files when built without the fuzzer.
@main enum Main {
    static func main() { FuzzMain.run(DevSetFuzzTarget.run) }
}
