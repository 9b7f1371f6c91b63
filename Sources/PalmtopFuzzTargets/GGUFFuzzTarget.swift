import PalmtopEngine

/// One fuzz input as a whole model file: header, metadata, tensor table and offsets, then everything
/// the loader derives from them before the weights (architecture config, tokenizer, dequantized tensors).
/// Any outcome but a crash is fine: a malformed file must become a `GGUFError`.
public enum GGUFFuzzTarget {
    public static func run(_ bytes: UnsafeRawBufferPointer) {
        guard let mapping = try? MappedFile(copying: bytes, name: "<fuzz>"),
              let file = try? GGUFFile(mapping: mapping) else { return }
        for tensor in file.tensors { _ = Dequantize.toFloatArray(file: file, tensor: tensor) }
        _ = try? ArchitectureRegistry.config(for: file)
        guard let tokenizer = try? Vocabulary.tokenizer(for: file) else { return }
        // A prompt that reaches special tokens, byte fallback and multi-byte characters, and back.
        let ids = tokenizer.encode("Hello, world! <s> 12 é 日本\n", addBOS: true, parseSpecial: true)
        _ = tokenizer.decode(ids, special: true)
        for id in 0..<tokenizer.vocabularySize {
            _ = tokenizer.bytes(of: id, special: true)
            _ = tokenizer.tokenText(id)
        }
    }
}
