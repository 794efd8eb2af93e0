import CNNoMRuntime

/// Element type of a model: all activations of a model share it.
public enum ElementType: Sendable, Equatable {
    case int8
    case float32

    package init(_ dtype: nnom_dtype) {
        self = dtype == NNOM_DTYPE_F32 ? .float32 : .int8
    }
}

/// Affine int8 quantisation of a tensor: real = scale × (q − zeroPoint).
public struct Quantization: Sendable, Equatable, Hashable {
    public var scale: Float
    public var zeroPoint: Int

    public init(scale: Float, zeroPoint: Int) {
        self.scale = scale
        self.zeroPoint = zeroPoint
    }

    package init(_ q: nnom_quant) {
        self.init(scale: q.scale, zeroPoint: Int(q.zero_point))
    }
}

/// One layer of a compiled model, as the C runtime describes it
/// (`nnom_model_layer_info`).
///
/// `type` is the runtime's own lower-case name (`"conv2d"`, `"softmax"`), so
/// a layer type added to the C runtime needs no change here.
public struct Layer: Sendable, Equatable {
    /// Position in the model (the C layer id); layers run in this order.
    public let index: Int
    public let name: String
    /// The runtime's name of the layer type, e.g. `"conv2d"`.
    public let type: String
    /// Ids of the layers this one reads.
    public let inputs: [Int]
    /// Output shape without the batch dimension, channel last (HWC).
    public let shape: [Int]
    /// Output quantisation; nil in a float32 model.
    public let quantization: Quantization?
    /// Multiply-accumulates per inference.
    public let macs: UInt64
    /// Bytes of constant data (weights, biases, tables) the layer reads in place.
    public let weightBytes: Int
    /// Where the output lives in the arena, and how many bytes it takes.
    public let arenaOffset: Int
    public let arenaBytes: Int
    /// The layer's scratch buffer in the arena (0 bytes if none).
    public let scratchOffset: Int
    public let scratchBytes: Int
    /// True when the output shares its input's memory.
    public let inPlace: Bool

    /// Output scale (nil in a float32 model).
    public var scale: Float? { quantization?.scale }
    /// Output zero point (nil in a float32 model).
    public var zeroPoint: Int? { quantization?.zeroPoint }

    package init(index: Int, info: nnom_layer_info, dtype: ElementType) {
        self.index = index
        name = info.name.map { String(cString: $0) } ?? ""
        type = info.type_name.map { String(cString: $0) } ?? String(cString: nnom_layer_type_name(info.type))
        inputs = cArray(info.inputs, as: Int32.self, count: Int(info.n_inputs)).map(Int.init)
        shape = shapeArray(info.shape)
        quantization = dtype == .int8 ? Quantization(info.quant) : nil
        macs = info.macs
        weightBytes = Int(info.weight_bytes)
        arenaOffset = Int(info.arena_offset)
        arenaBytes = Int(info.arena_bytes)
        scratchOffset = Int(info.scratch_offset)
        scratchBytes = Int(info.scratch_bytes)
        inPlace = info.in_place != 0
    }
}

/// A model input or output tensor.
public struct TensorInfo: Sendable, Equatable {
    /// The INPUT or OUTPUT layer's name.
    public let name: String
    public let elementType: ElementType
    /// Shape without the batch dimension (HWC).
    public let shape: [Int]
    /// nil in a float32 model.
    public let quantization: Quantization?
    /// Number of elements.
    public let count: Int
    /// Id of the INPUT or OUTPUT layer.
    public let layer: Int

    package init(_ info: nnom_tensor_info) {
        name = info.name.map { String(cString: $0) } ?? ""
        elementType = ElementType(info.dtype)
        shape = shapeArray(info.shape)
        quantization = elementType == .int8 ? Quantization(info.quant) : nil
        count = Int(info.count)
        layer = Int(info.layer)
    }
}

/// Per-layer statistics accumulated over runs (`nnom_model_layer_stats`).
public struct LayerStats: Sendable, Equatable {
    public let index: Int
    public let name: String
    public let type: String
    /// Multiply-accumulates per inference.
    public let macs: UInt64
    /// Inferences since the model was loaded or the stats were reset.
    public let runs: Int
    /// Total time of the layer over those runs, in microseconds (0 when the
    /// model was loaded with `timing: false`).
    public let timeMicroseconds: UInt64

    /// Mean time per run in microseconds (0 before any run).
    public var meanMicroseconds: Double {
        runs == 0 ? 0 : Double(timeMicroseconds) / Double(runs)
    }
}

// MARK: - reading C fixed-size arrays (imported as tuples)

/// The first @p count elements of a C array member, whatever its declared length.
package func cArray<Tuple, Element>(_ tuple: Tuple, as: Element.Type, count: Int) -> [Element] {
    withUnsafeBytes(of: tuple) { raw in
        let all = raw.bindMemory(to: Element.self)
        return Array(all.prefix(max(0, min(count, all.count))))
    }
}

package func shapeArray(_ shape: nnom_shape) -> [Int] {
    cArray(shape.dims, as: Int32.self, count: Int(shape.rank)).map(Int.init)
}
