import CNNoMRuntime
import Foundation

/// A compiled nnom model with its arena: load it once, then run it as often as you like.
///
///     let model = try Model(contentsOf: URL(fileURLWithPath: "digits.nnom"))
///     let scores = try model.predict(image)          // [Float], dequantised
///
/// The C runtime reads the weights in place, so the model keeps its own
/// 16-byte aligned copy of the file's bytes for as long as it lives. The arena
/// (all activations and scratch) is allocated once, at load.
///
/// A model is not thread-safe (it owns one arena), but models share nothing:
/// load one per thread to run in parallel.
public final class Model {
    /// The C handle, valid for the model's lifetime. Use it to call C functions
    /// the Swift API does not wrap; do not destroy it.
    public let handle: OpaquePointer
    private let storage: UnsafeMutableRawBufferPointer?
    /// The user operators its CUSTOM layers run (kept alive as long as the model).
    public let operators: OperatorRegistry?

    /// Element type of the model's activations.
    public let elementType: ElementType
    /// Every layer (inputs and outputs included), in execution order.
    public let layers: [Layer]
    public let inputs: [TensorInfo]
    public let outputs: [TensorInfo]
    /// Bytes of RAM the compiled plan needs: every activation and scratch buffer.
    public let arenaSize: Int
    /// The most bytes of activations and scratch alive at any one layer: no plan of
    /// these buffers is smaller; `arenaSize` minus this is what the placement loses.
    public let arenaLowerBound: Int
    /// The tiled stage of the plan (the runtime's tiled execution of the memory peak), nil when
    /// the model runs untiled.
    public let tiling: Tiling?
    /// The memory plan: the goal it was made for and what that chose.
    public let plan: Plan
    /// The arena a Cortex-M firmware with the DSP kernels (M4, M7, M33) plans for this model:
    /// convolution scratch differs between kernel sets, and each build plans for its own
    /// (`arenaSize` is this build's, the portable kernels' on a PC).
    public let cortexMDSPArenaSize: Int
    /// Bytes the model takes in flash: the size of its .nnom image, which is
    /// what `weights.h` embeds and what the firmware reads in place (header,
    /// layer records and weights). `weightBytes` is the weights alone.
    public let flashSize: Int
    /// Bytes of constant data of all layers (weights, biases, tables).
    public let weightBytes: Int
    /// Multiply-accumulates of one inference.
    public let totalMACs: UInt64

    /// Loads a .nnom file.
    /// - Parameter url: the file's location.
    /// - Parameter timing: install a microsecond clock as the runtime's timer
    ///   hook, so that `stats` reports per-layer time.
    /// - Parameter keepAllOutputs: keep every layer's output alive to the end
    ///   of a run (a larger arena), so that `layerOutputs(_:)` can read them.
    /// - Parameter operators: the user operators its CUSTOM layers name (see `OperatorRegistry`).
    /// - Parameter planGoal: the smallest arena (the default), or the fastest plan whose arena fits
    ///   `maxArenaBytes` (see `PlanGoal`).
    /// - Parameter maxArenaBytes: the largest arena the plan may take; 0: the runtime's default.
    public convenience init(contentsOf url: URL, timing: Bool = true, keepAllOutputs: Bool = false,
                            operators: OperatorRegistry? = nil, planGoal: PlanGoal = .smallest,
                            maxArenaBytes: Int = 0) throws {
        try self.init(bytes: try readFile(url), timing: timing, keepAllOutputs: keepAllOutputs, operators: operators,
                      planGoal: planGoal, maxArenaBytes: maxArenaBytes)
    }

    /// Loads a model from the bytes of a .nnom file. Every offset, size, shape
    /// and the checksum are checked; a bad file throws, with the C message.
    /// - Parameters:
    ///   - bytes: the file's bytes (the model keeps its own aligned copy).
    ///   - timing: install a microsecond clock as the runtime's timer hook.
    ///   - keepAllOutputs: keep every layer's output (see `layerOutputs(_:)`).
    ///   - operators: the user operators its CUSTOM layers name; a model needing one it does not hold
    ///     throws, naming the operator.
    ///   - planGoal: the smallest arena, or the fastest plan that fits `maxArenaBytes`; none fits: throws
    ///     `.noMemory`, naming the smallest arena and the limit.
    ///   - maxArenaBytes: the largest arena the plan may take; 0: the runtime's default.
    public init(bytes: [UInt8], timing: Bool = true, keepAllOutputs: Bool = false,
                operators: OperatorRegistry? = nil, planGoal: PlanGoal = .smallest, maxArenaBytes: Int = 0) throws {
        guard maxArenaBytes >= 0 else {
            throw NNoMError(.argument, "maxArenaBytes is \(maxArenaBytes), not a number of bytes (0: the default limit)")
        }
        // Weights are used in place: copy to storage that is aligned and lives as long as the model.
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: max(bytes.count, 1), alignment: 16)
        buffer.copyBytes(from: bytes)
        var options = nnom_options()
        nnom_options_init(&options)
        if timing { options.timer = monotonicMicroseconds }
        options.keep_all_outputs = keepAllOutputs ? 1 : 0
        options.op_registry = operators.map { UnsafePointer($0.handle) }
        options.plan_goal = planGoal.rawValue
        options.max_arena_bytes = maxArenaBytes
        var handle: OpaquePointer?
        do {
            try withCError { err in nnom_model_load(buffer.baseAddress, bytes.count, &options, &handle, err) }
        } catch {
            buffer.deallocate()
            throw error
        }
        guard let handle else {
            buffer.deallocate()
            throw NNoMError(.state, "nnom_model_load returned no model")
        }
        do {
            try Model.check(nnom_model_alloc_arena(handle), handle)
        } catch {
            nnom_model_destroy(handle)
            buffer.deallocate()
            throw error
        }
        self.handle = handle
        self.storage = buffer
        self.operators = operators
        let description = Model.describe(handle)
        elementType = description.elementType
        layers = description.layers
        inputs = description.inputs
        outputs = description.outputs
        arenaSize = description.arenaSize
        arenaLowerBound = description.arenaLowerBound
        tiling = description.tiling
        plan = description.plan
        cortexMDSPArenaSize = description.cortexMDSPArenaSize
        flashSize = description.flashSize
        weightBytes = description.weightBytes
        totalMACs = description.totalMACs
    }

    deinit {
        nnom_model_destroy(handle)
        storage?.deallocate()
    }

    // MARK: running

    /// Runs the model on one input (the model's single input, `inputs[0].count`
    /// values, HWC order) and returns output 0 as floats. For an int8 model the
    /// input is quantised and the output dequantised with their own scales.
    public func predict(_ input: [Float]) throws -> [Float] {
        try requireSingleInput()
        try setInput(input, at: 0)
        try run()
        return try output(at: 0)
    }

    /// Runs the model on each input of a batch, one after the other.
    public func predict(_ batch: [[Float]]) throws -> [[Float]] {
        try batch.map { try predict($0) }
    }

    /// Runs an int8 model on already quantised input and returns output 0 as int8.
    public func predict(int8 input: [Int8]) throws -> [Int8] {
        try requireSingleInput()
        try setInput(int8: input, at: 0)
        try run()
        return try outputInt8(at: 0)
    }

    /// Runs an int8 model on each quantised input of a batch.
    public func predict(int8 batch: [[Int8]]) throws -> [[Int8]] {
        try batch.map { try predict(int8: $0) }
    }

    /// Whether float inputs may hold NaN or infinities (`nnom_model_allow_nonfinite`). By default
    /// (false) `setInput` and `predict` throw naming the input and the value's position; when true,
    /// an int8 model quantises NaN to the input's zero point and saturates infinities.
    public var allowsNonFinite = false {
        didSet { nnom_model_allow_nonfinite(handle, allowsNonFinite ? 1 : 0) }
    }

    /// Copies float values into input @p index (quantised for an int8 model).
    public func setInput(_ values: [Float], at index: Int = 0) throws {
        let status = values.withUnsafeBufferPointer {
            nnom_model_set_input_f32(handle, Int32(clamping: index), $0.baseAddress, $0.count)
        }
        try check(status)
    }

    /// Copies int8 values into input @p index (int8 models only).
    public func setInput(int8 values: [Int8], at index: Int = 0) throws {
        let status = values.withUnsafeBufferPointer {
            nnom_model_set_input_s8(handle, Int32(clamping: index), $0.baseAddress, $0.count)
        }
        try check(status)
    }

    /// Runs one inference on the inputs set before.
    public func run() throws {
        try check(nnom_model_run(handle))
    }

    /// Output @p index of the last run, as floats (dequantised for an int8 model).
    public func output(at index: Int = 0) throws -> [Float] {
        let count = try outputInfo(index).count
        var values = [Float](repeating: 0, count: count)
        let status = values.withUnsafeMutableBufferPointer {
            nnom_model_get_output_f32(handle, Int32(index), $0.baseAddress, count)
        }
        try check(status)
        return values
    }

    /// Output @p index of the last run, as int8 (int8 models only).
    public func outputInt8(at index: Int = 0) throws -> [Int8] {
        let count = try outputInfo(index).count
        var values = [Int8](repeating: 0, count: count)
        let status = values.withUnsafeMutableBufferPointer {
            nnom_model_get_output_s8(handle, Int32(index), $0.baseAddress, count)
        }
        try check(status)
        return values
    }

    /// Runs the model on one input (as `predict(_:)`) and returns every
    /// layer's output, in layer order, as floats (dequantised by the runtime
    /// for an int8 model). Needs a model loaded with `keepAllOutputs: true`.
    public func layerOutputs(_ input: [Float]) throws -> [[Float]] {
        try requireSingleInput()
        try setInput(input, at: 0)
        try run()
        return try layers.map { layer in
            let count = layer.shape.reduce(1, *)
            var values = [Float](repeating: 0, count: count)
            let status = values.withUnsafeMutableBufferPointer {
                nnom_model_layer_output_f32(handle, Int32(layer.index), $0.baseAddress, count)
            }
            if status == NNOM_ERR_STATE {
                throw NNoMError(.state, "layer '\(layer.name)': its output is not kept; "
                                + "load the model with keepAllOutputs: true to read every layer's output")
            }
            try check(status)
            return values
        }
    }

    // MARK: statistics

    /// Per-layer MACs, run counts and time, accumulated since load or `resetStats()`.
    public var stats: [LayerStats] {
        layers.map { layer in
            var s = nnom_layer_stats()
            _ = nnom_model_layer_stats(handle, Int32(layer.index), &s)
            return LayerStats(index: layer.index, name: layer.name, type: layer.type, macs: s.macs,
                              runs: Int(s.runs), timeMicroseconds: s.time_us)
        }
    }

    /// Zeroes run counts and times.
    public func resetStats() {
        nnom_model_reset_stats(handle)
    }

    // MARK: files

    /// The model as a .nnom file image (`nnom_model_save`).
    public func serialized() throws -> [UInt8] {
        var size = 0
        try check(nnom_model_save(handle, nil, 0, &size))
        var bytes = [UInt8](repeating: 0, count: size)
        let status = bytes.withUnsafeMutableBytes { nnom_model_save(handle, $0.baseAddress, size, &size) }
        try check(status)
        return bytes
    }

    /// Writes the model as a .nnom file.
    public func save(to url: URL) throws {
        try writeFile(url, try serialized())
    }

    // MARK: helpers

    private func check(_ status: nnom_status) throws {
        try Model.check(status, handle)
    }

    private static func check(_ status: nnom_status, _ handle: OpaquePointer) throws {
        try NNoMRuntime.check(status, String(cString: nnom_model_last_error(handle)))
    }

    private func requireSingleInput() throws {
        guard inputs.count == 1 else {
            throw NNoMError(.argument, "predict: the model has \(inputs.count) inputs; "
                            + "use setInput(_:at:), run() and output(at:)")
        }
    }

    private func outputInfo(_ index: Int) throws -> TensorInfo {
        guard outputs.indices.contains(index) else {
            throw NNoMError(.argument, "output \(index) does not exist: the model has \(outputs.count) outputs")
        }
        return outputs[index]
    }

    private struct Description {
        var elementType: ElementType
        var layers: [Layer]
        var inputs: [TensorInfo]
        var outputs: [TensorInfo]
        var arenaSize: Int
        var arenaLowerBound: Int
        var tiling: Tiling?
        var plan: Plan
        var cortexMDSPArenaSize: Int
        var flashSize: Int
        var weightBytes: Int
        var totalMACs: UInt64
    }

    /// Everything about a compiled model that cannot change any more.
    private static func describe(_ m: OpaquePointer) -> Description {
        let type = ElementType(nnom_model_dtype(m))
        let layers = (0..<Int(nnom_model_layer_count(m))).map { i -> Layer in
            var info = nnom_layer_info()
            nnom_layer_info_init(&info)
            _ = nnom_model_layer_info(m, Int32(i), &info)
            return Layer(index: i, info: info, dtype: type)
        }
        func tensors(_ count: Int32, _ get: (Int32, inout nnom_tensor_info) -> nnom_status) -> [TensorInfo] {
            (0..<count).map { i in
                var info = nnom_tensor_info()
                _ = get(i, &info)
                return TensorInfo(info)
            }
        }
        var fileSize = 0
        _ = nnom_model_save(m, nil, 0, &fileSize)
        var t = nnom_tiling_info()
        nnom_tiling_info_init(&t)
        let tiled = nnom_model_tiling(m, &t) == NNOM_OK && t.first_layer >= 0
        let tiling = tiled ? Tiling(firstLayer: Int(t.first_layer), cutLayer: Int(t.cut_layer), tiles: Int(t.tiles),
                                    rowsPerTile: Int(t.rows_per_tile), untiledArenaSize: Int(t.untiled_arena_bytes),
                                    savedBytes: Int(t.saved_bytes), extraMACs: t.extra_macs,
                                    keptBandBytes: Int(t.kept_band_bytes)) : nil
        var p = nnom_plan_info()
        nnom_plan_info_init(&p)
        _ = nnom_model_plan(m, &p)
        var text = [CChar](repeating: 0, count: Int(NNOM_PLAN_TEXT_MAX))
        nnom_plan_text(&p, &text, text.count)
        let plan = Plan(goal: PlanGoal(rawValue: p.goal) ?? .smallest, windowsInPlace: p.windows_in_place != 0,
                        tiled: p.tiled != 0, arenaSize: Int(p.arena_bytes), plainArenaSize: Int(p.plain_arena_bytes),
                        maxArenaSize: Int(p.max_arena_bytes), reason: String(cString: text))
        return Description(
            elementType: type, layers: layers,
            inputs: tensors(nnom_model_input_count(m)) { nnom_model_input_info(m, $0, &$1) },
            outputs: tensors(nnom_model_output_count(m)) { nnom_model_output_info(m, $0, &$1) },
            arenaSize: nnom_model_arena_size(m), arenaLowerBound: nnom_model_arena_lower_bound(m), tiling: tiling, plan: plan,
            cortexMDSPArenaSize: nnom_model_arena_size_for(m, NNOM_KERNELS_CORTEX_M_DSP), flashSize: fileSize,
            weightBytes: nnom_model_weight_bytes(m), totalMACs: nnom_model_total_macs(m))
    }
}

/// The runtime's timer hook: a monotonic clock in microseconds (wrapping is fine,
/// the runtime only takes differences).
private let monotonicMicroseconds: nnom_timer_fn = { _ in
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return UInt32(truncatingIfNeeded: Int64(ts.tv_sec) &* 1_000_000 &+ Int64(ts.tv_nsec) / 1_000)
}

/// Reads a whole file; a missing or unreadable file is an `.io` error naming it.
package func readFile(_ url: URL) throws -> [UInt8] {
    var isDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory) else {
        throw NNoMError(.io, "cannot read '\(url.path)': no such file")
    }
    if isDirectory.boolValue {
        throw NNoMError(.io, "cannot read '\(url.path)': it is a directory")
    }
    guard let data = FileManager.default.contents(atPath: url.path) else {
        throw NNoMError(.io, "cannot read '\(url.path)': permission denied or read error")
    }
    return [UInt8](data)
}

package func writeFile(_ url: URL, _ bytes: [UInt8]) throws {
    do {
        try Data(bytes).write(to: url)
    } catch {
        throw NNoMError(.io, "cannot write '\(url.path)': \(error.localizedDescription)")
    }
}

/// A tiled stage: layers `firstLayer...cutLayer` run tile by tile, `rowsPerTile` output rows of the
/// cut per tile, the halos (the rows neighbouring tiles share) computed again (`extraMACs` per run, not
/// in `totalMACs`) or kept from one tile to the next (`keptBandBytes`, alive through the stage).
public struct Tiling: Sendable, Equatable {
    public let firstLayer: Int
    public let cutLayer: Int
    public let tiles: Int
    public let rowsPerTile: Int
    /// The arena of the same model planned without tiling.
    public let untiledArenaSize: Int
    public let savedBytes: Int
    public let extraMACs: UInt64
    /// Bytes of the rows kept from one tile to the next (0: halos computed again, or none).
    public let keptBandBytes: Int
}

/// What the memory plan is for (`nnom_options.plan_goal`).
public enum PlanGoal: Int32, Sendable, CaseIterable {
    /// The smallest arena: convolutions with a window run in place, and the peak is tiled, wherever
    /// that makes it smaller (at some cost in time).
    case smallest = 0
    /// The fastest plan whose arena fits the limit: neither if that fits, else windows in place,
    /// else tiling, else both.
    case fastest = 1
}

/// The compiled model's memory plan (`nnom_model_plan()`).
public struct Plan: Sendable, Equatable {
    public let goal: PlanGoal
    /// Convolutions with a window run in place (a smaller arena, some time).
    public let windowsInPlace: Bool
    /// The peak runs tile by tile (see `Model.tiling`).
    public let tiled: Bool
    public let arenaSize: Int
    /// The arena with no window in place and no tiling: the fastest plan.
    public let plainArenaSize: Int
    /// The limit the plan had to fit.
    public let maxArenaSize: Int

    /// The plan in words: its goal, what it uses and why (`nnom_plan_text()`).
    public let reason: String
}
