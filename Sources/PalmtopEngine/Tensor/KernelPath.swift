import CKernels

/// The kernel implementations: chosen once from the CPU's features, or forced (`PALMTOP_KERNELS`,
/// `--kernels`) to a path no better than the CPU has, so one machine can measure and test every path
/// below its best (an AVX-512 machine also runs the AVX2 and portable kernels).
public enum KernelPath {
    /// Every name `force` accepts, best first per architecture.
    public static let names = ["avx512bf16", "avx2", "neonbf16", "neon", "portable"]

    /// The path in use.
    public static var current: String { String(cString: pk_path_name(pk_current_path())) }
    /// The best path this CPU supports.
    public static var best: String { String(cString: pk_path_name(pk_best_path())) }
    /// How the matrix kernels multiply: "bf16" (dot products, on AVX512-BF16 CPUs where they are fast) or
    /// "f32" (FMAs on widened weights: every other path, and AVX512-BF16 on Intel; `PALMTOP_BF16_DOT`).
    public static var products: String { pk_bf16_dot() != 0 ? "bf16" : "f32" }

    /// Uses the path called `name`, or the best one below it this CPU has; returns the path in use.
    @discardableResult
    public static func force(_ name: String) throws -> String {
        var path = PK_PATH_PORTABLE
        guard pk_path_from_name(name, &path) == 1 else { throw KernelPathError(name: name) }
        return String(cString: pk_path_name(pk_set_path(path)))
    }
}

/// A kernel path name that does not exist.
public struct KernelPathError: Error, CustomStringConvertible {
    public let name: String
    public var description: String { "unknown kernel path '\(name)' (one of \(KernelPath.names.joined(separator: ", ")))" }
}
