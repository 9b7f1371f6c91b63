import Foundation

/// One decoder layer's weights. Matrices are bf16; norm weights stay f32. Optional fields are absent
/// for architectures that lack them (e.g. `ffnNorm` in the parallel PaLM block).
package struct LayerWeights: @unchecked Sendable {
    package let attnNorm: [Float]          // [d_model]
    package let wq: BF16Matrix             // [heads*head_dim, d_model]
    package let wk: BF16Matrix             // [kv_heads*head_dim, d_model]
    package let wv: BF16Matrix             // [kv_heads*head_dim, d_model]
    package let wo: BF16Matrix             // [d_model, heads*head_dim]
    package let qNorm: [Float]?            // [head_dim]
    package let kNorm: [Float]?            // [head_dim]
    package let postAttnNorm: [Float]?     // [d_model]
    package let ffnNorm: [Float]?          // [d_model]
    package let wGate: BF16Matrix          // [ffn, d_model]
    package let wUp: BF16Matrix            // [ffn, d_model]
    package let wDown: BF16Matrix          // [d_model, ffn]
    package let postFfnNorm: [Float]?      // [d_model]
}

/// All weights of a model, dequantized to bf16 at load.
package struct ModelWeights: @unchecked Sendable {
    package let tokenEmbedding: BF16Matrix // [vocab, d_model]
    /// The output projection; the same object as `tokenEmbedding` when tied.
    package let output: BF16Matrix         // [vocab, d_model]
    package let outputNorm: [Float]        // [d_model]
    package let layers: [LayerWeights]

    package var tiedOutput: Bool { output === tokenEmbedding }

    /// Weights in the layers' matrices: a token costs twice this many FLOPs in matrix products, before
    /// attention and the output projection.
    package var layerWeightCount: Int {
        layers.reduce(0) { total, l in
            total + [l.wq, l.wk, l.wv, l.wo, l.wGate, l.wUp, l.wDown].reduce(0) { $0 + $1.rows * $1.cols }
        }
    }

    /// Bytes of bf16 weights streamed per decoded token (the embedding row read is negligible).
    package var bytesPerToken: Int { 2 * layerWeightCount + output.byteCount }

    static func load(file: GGUFFile, config: ModelConfig, pool: ThreadPool) throws -> ModelWeights {
        func info(_ name: String) throws -> GGUFTensorInfo {
            guard let t = file.tensor(name) else { throw GGUFError(path: file.path, problem: "tensor '\(name)' is missing") }
            return t
        }
        // Every matrix in one huge-page arena: 2-D tensors are the matrices.
        let arena = HugePageArena(bytes: file.tensors.filter { $0.dims.count == 2 }.reduce(0) { $0 + HugePageArena.footprint($1.elementCount * 2) })
        func matrix(_ name: String, rows: Int, cols: Int) throws -> BF16Matrix {
            let t = try info(name)
            guard t.dims.count == 2, t.dims[0] == cols, t.dims[1] == rows else {
                throw GGUFError(path: file.path, problem: "tensor '\(name)' has shape \(t.dims), expected [\(cols), \(rows)]")
            }
            let m = BF16Matrix(rows: rows, cols: cols, arena: arena)
            Dequantize.toBF16(file: file, tensor: t, into: m.storage, pool: pool)
            return m
        }
        func vector(_ name: String, _ n: Int) throws -> [Float] {
            let t = try info(name)
            guard t.elementCount == n else { throw GGUFError(path: file.path, problem: "tensor '\(name)' has \(t.elementCount) values, expected \(n)") }
            return Dequantize.toFloatArray(file: file, tensor: t)
        }
        func optionalVector(_ name: String, _ n: Int) throws -> [Float]? { file.tensor(name) == nil ? nil : try vector(name, n) }

        let c = config
        let d = c.embeddingLength
        let embedding = try matrix(TensorNames.tokenEmbedding, rows: c.vocabularySize, cols: d)
        let output = file.tensor(TensorNames.output) == nil ? embedding : try matrix(TensorNames.output, rows: c.vocabularySize, cols: d)
        var layers: [LayerWeights] = []
        for i in 0..<c.layerCount {
            let n = { TensorNames.block(i, $0) }
            layers.append(LayerWeights(
                attnNorm: try vector(n(TensorNames.attnNorm), d),
                wq: try matrix(n(TensorNames.attnQ), rows: c.qDim, cols: d),
                wk: try matrix(n(TensorNames.attnK), rows: c.kvDim, cols: d),
                wv: try matrix(n(TensorNames.attnV), rows: c.kvDim, cols: d),
                wo: try matrix(n(TensorNames.attnOut), rows: d, cols: c.qDim),
                qNorm: c.qkNorm ? try vector(n(TensorNames.attnQNorm), c.headDim) : nil,
                kNorm: c.qkNorm ? try vector(n(TensorNames.attnKNorm), c.headDim) : nil,
                postAttnNorm: c.postNorms ? try vector(n(TensorNames.postAttnNorm), d) : nil,
                ffnNorm: c.parallelBlock ? nil : try vector(n(TensorNames.ffnNorm), d),
                wGate: try matrix(n(TensorNames.ffnGate), rows: c.feedForwardLength, cols: d),
                wUp: try matrix(n(TensorNames.ffnUp), rows: c.feedForwardLength, cols: d),
                wDown: try matrix(n(TensorNames.ffnDown), rows: d, cols: c.feedForwardLength),
                postFfnNorm: c.postNorms ? try vector(n(TensorNames.postFfnNorm), d) : nil))
        }
        return ModelWeights(tokenEmbedding: embedding, output: output, outputNorm: try vector(TensorNames.outputNorm, d), layers: layers)
    }
}
