import Foundation

/// A model for Swift concurrency: an actor that owns one ``Model``, so that
/// any number of tasks may share it; their inferences run one at a time.
///
///     let shared = try ModelActor(contentsOf: URL(fileURLWithPath: "digits.nnom"))
///     let scores = try await shared.predict(image)
///
/// A ``Model`` is not thread-safe (it owns one arena) and so is not `Sendable`.
/// Models share nothing, so to run in parallel, give each task or thread a
/// model (or a `ModelActor`) of its own, loaded from the same bytes.
public actor ModelActor {
    private let model: Model

    /// Every layer, in execution order (fixed once loaded).
    public nonisolated let layers: [Layer]
    /// The model's input tensors.
    public nonisolated let inputs: [TensorInfo]
    /// The model's output tensors.
    public nonisolated let outputs: [TensorInfo]
    /// Bytes of RAM the compiled plan needs.
    public nonisolated let arenaSize: Int
    /// The most bytes alive at any one layer; see ``Model/arenaLowerBound``.
    public nonisolated let arenaLowerBound: Int
    /// The arena a Cortex-M DSP firmware plans; see ``Model/cortexMDSPArenaSize``.
    public nonisolated let cortexMDSPArenaSize: Int

    /// Loads a .nnom file; see ``Model/init(contentsOf:timing:keepAllOutputs:operators:planGoal:maxArenaBytes:)``.
    /// - Parameters:
    ///   - url: the file's location.
    ///   - timing: install a microsecond clock as the runtime's timer hook.
    ///   - keepAllOutputs: keep every layer's output (see ``layerOutputs(_:)``).
    ///   - operators: the user operators its CUSTOM layers name (``OperatorRegistry``).
    public init(contentsOf url: URL, timing: Bool = true, keepAllOutputs: Bool = false,
                operators: OperatorRegistry? = nil) throws {
        try self.init(model: Model(contentsOf: url, timing: timing, keepAllOutputs: keepAllOutputs,
                                   operators: operators))
    }

    /// Loads a model from the bytes of a .nnom file; see ``Model/init(bytes:timing:keepAllOutputs:operators:planGoal:maxArenaBytes:)``.
    /// - Parameters:
    ///   - bytes: the file's bytes.
    ///   - timing: install a microsecond clock as the runtime's timer hook.
    ///   - keepAllOutputs: keep every layer's output (see ``layerOutputs(_:)``).
    ///   - operators: the user operators its CUSTOM layers name (``OperatorRegistry``).
    public init(bytes: [UInt8], timing: Bool = true, keepAllOutputs: Bool = false,
                operators: OperatorRegistry? = nil) throws {
        try self.init(model: Model(bytes: bytes, timing: timing, keepAllOutputs: keepAllOutputs, operators: operators))
    }

    private init(model: Model) {
        self.model = model
        layers = model.layers
        inputs = model.inputs
        outputs = model.outputs
        arenaSize = model.arenaSize
        arenaLowerBound = model.arenaLowerBound
        cortexMDSPArenaSize = model.cortexMDSPArenaSize
    }

    /// Runs one input; see ``Model/predict(_:)->[Float]``.
    public func predict(_ input: [Float]) throws -> [Float] {
        try model.predict(input)
    }

    /// Runs each input of a batch in order.
    public func predict(_ batch: [[Float]]) throws -> [[Float]] {
        try model.predict(batch)
    }

    /// Runs an int8 model on already quantised input and returns output 0 as int8.
    public func predict(int8 input: [Int8]) throws -> [Int8] {
        try model.predict(int8: input)
    }

    /// Runs one input and returns every layer's output; see ``Model/layerOutputs(_:)``.
    public func layerOutputs(_ input: [Float]) throws -> [[Float]] {
        try model.layerOutputs(input)
    }

    /// Per-layer MACs, run counts and time since load.
    public var stats: [LayerStats] { model.stats }

    /// Zeroes every recurrent layer's state.
    public func resetState() throws {
        try model.resetState()
    }
}
