import Foundation
#if FUZZING
import CLibFuzzer
#endif

/// The `main` of every fuzz executable. Built for fuzzing (`make fuzz`: -sanitize=fuzzer -DFUZZING) it
/// hands the command line to libFuzzer; built plainly it runs each input file named on the command line
/// through the target once, as libFuzzer replays a crash file, so a finding reproduces under a debugger.
public enum FuzzMain {
    /// The target libFuzzer's C callback calls (a C function pointer cannot capture it).
    nonisolated(unsafe) private static var target: (UnsafeRawBufferPointer) -> Void = { _ in }

    public static func run(_ body: @escaping (UnsafeRawBufferPointer) -> Void) -> Never {
        #if FUZZING
        target = body
        var argc = CommandLine.argc
        var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
        exit(LLVMFuzzerRunDriver(&argc, &argv) { data, size in
            FuzzMain.target(UnsafeRawBufferPointer(start: data, count: size))
            return 0
        })
        #else
        replay(body)
        #endif
    }

    private static func replay(_ body: (UnsafeRawBufferPointer) -> Void) -> Never {
        let paths = CommandLine.arguments.dropFirst()
        guard !paths.isEmpty else {
            FileHandle.standardError.write(Data("usage: \(CommandLine.arguments[0]) INPUT... (`make fuzz` builds it to fuzz)\n".utf8))
            exit(2)
        }
        for path in paths {
            guard let data = FileManager.default.contents(atPath: path) else {
                FileHandle.standardError.write(Data("\(path): cannot read the file\n".utf8))
                exit(1)
            }
            data.withUnsafeBytes(body)
            print("\(path): ok")
        }
        exit(0)
    }
}
