import CNNoM
import CNNoMRuntime
import Foundation

/// How activation ranges are chosen from calibration data (`nnom_calibration`).
public enum CalibrationMethod: String, CaseIterable, Sendable {
    /// The observed minimum and maximum.
    case minmax
    /// Clip to a percentile of |values| on each side.
    case percentile
    /// The clipping threshold that minimises the KL divergence (TensorRT's method).
    case kl

    var cValue: nnom_calibration {
        switch self {
        case .minmax: return NNOM_CALIBRATE_MINMAX
        case .percentile: return NNOM_CALIBRATE_PERCENTILE
        case .kl: return NNOM_CALIBRATE_KL
        }
    }
}

/// Options of the int8 quantiser (`nnom_quantize_options`).
public struct ConversionOptions: Sendable, Equatable {
    /// One weight scale per tensor instead of one per output channel.
    public var perTensor: Bool
    public var method: CalibrationMethod
    /// The percentile for `.percentile`, e.g. 99.99.
    public var percentile: Double
    /// Keep the output channels whose weights are all zero (by default they are removed and
    /// their constant folded into the next layer's bias where that is exact; see `removedChannels`).
    public var keepDeadChannels: Bool

    public init(perTensor: Bool = false, method: CalibrationMethod = .minmax, percentile: Double = 99.99,
                keepDeadChannels: Bool = false) {
        self.perTensor = perTensor
        self.method = method
        self.percentile = percentile
        self.keepDeadChannels = keepDeadChannels
    }

    var cValue: nnom_quantize_options {
        var o = nnom_quantize_options()
        nnom_quantize_options_init(&o)
        o.per_tensor = perTensor ? 1 : 0
        o.method = method.cValue
        o.percentile = percentile
        o.keep_dead_channels = keepDeadChannels ? 1 : 0
        return o
    }
}

/// Per-layer error of the int8 model against the float32 one (`nnom_converter_report`).
public struct ConversionReport: Sendable, Equatable {
    public struct Row: Sendable, Equatable {
        /// The int8 model's layer name.
        public let name: String
        public let type: String
        /// 10·log10(signal / error) of the int8 output against the float32 one; 200 when exact.
        public let sqnr: Double
        /// Calibrated range of the float output.
        public let min: Float
        public let max: Float
    }

    public let layers: [Row]
    /// For a classifier: the fraction of samples whose best class agrees
    /// between the float32 and int8 models; nil otherwise.
    public let top1Agreement: Double?
    /// Number of samples the report ran.
    public let samples: Int
}

/// Converts a Keras model (`.keras`, or legacy `.h5`) to an int8 nnom model,
/// through the C host tools; or takes an int8 TensorFlow Lite model as it is
/// (`Converter(tflite:)`, see docs/tflite.md).
///
/// The one-call path:
///
///     let (model, report) = try Converter.convert(keras: url, calibration: samples)
///     try model.save(to: URL(fileURLWithPath: "model.nnom"))
///
/// Step by step, which also writes `weights.h` for firmware:
///
///     let converter = try Converter(keras: url)
///     try converter.quantize(calibration: samples, options: ConversionOptions(method: .kl))
///     let report = try converter.report(samples: samples)
///     try converter.save(to: nnomURL)
///     try converter.writeHeader(to: headerURL, name: "digits")
public final class Converter {
    /// The C handle, valid for the converter's lifetime.
    public let handle: OpaquePointer
    /// The user operators Keras Lambda and custom layers map to (kept alive as long as the converter).
    public let operators: OperatorRegistry?

    /// Converts an int8 TensorFlow Lite model (`nnom_convert_tflite`): the file is
    /// already quantised, so the int8 model is ready at once, bit-exact with
    /// TensorFlow Lite Micro; there is no float32 model, no `quantize` and no `report`.
    public init(tflite url: URL) throws {
        var converter: OpaquePointer?
        try withCError { err in url.withUnsafeFileSystemRepresentation { nnom_convert_tflite($0, &converter, err) } }
        guard let converter else { throw NNoMError(.state, "nnom_convert_tflite returned no converter") }
        handle = converter
        operators = nil
    }

    /// Reads a Keras model and builds its float32 model. With @p operators, a Keras Lambda layer
    /// becomes the user operator of its name, and a layer of a class the reader does not know the
    /// operator of its class name (`nnom_keras_read_with_ops`); the models it gives use them.
    public init(keras url: URL, operators: OperatorRegistry? = nil) throws {
        var converter: OpaquePointer?
        let registry = operators.map { UnsafePointer($0.handle) }
        try withCError { err in
            url.withUnsafeFileSystemRepresentation { nnom_keras_read_with_ops($0, registry, &converter, err) }
        }
        guard let converter else { throw NNoMError(.state, "nnom_keras_read returned no converter") }
        handle = converter
        self.operators = operators
    }

    deinit {
        nnom_converter_destroy(handle)
    }

    /// The values one calibration sample holds: all model inputs, one after the other.
    public var sampleSize: Int {
        guard let m = nnom_converter_float_model(handle) else { return 0 }
        return (0..<nnom_model_input_count(m)).reduce(0) { sum, i in
            var info = nnom_tensor_info()
            _ = nnom_model_input_info(m, i, &info)
            return sum + Int(info.count)
        }
    }

    /// Checks the shapes of calibration arrays, one per model input in the model's order, each batch
    /// first (`nnom_converter_check_calibration`): a wrong shape or order throws naming the input, its
    /// expected shape and the shape given. Returns the number of samples.
    @discardableResult
    public func checkCalibration(shapes: [[Int]]) throws -> Int {
        let ranks = shapes.map { Int32(clamping: $0.count) }
        let dims = shapes.flatMap { $0.map { Int64($0) } }
        var samples = 0
        let status = ranks.withUnsafeBufferPointer { r in
            dims.withUnsafeBufferPointer { d in
                nnom_converter_check_calibration(handle, Int32(clamping: shapes.count), r.baseAddress, d.baseAddress,
                                                 &samples)
            }
        }
        try check(status)
        return samples
    }

    /// Calibrates on @p calibration (one row of `sampleSize` floats per sample)
    /// and builds the int8 model. @p progress, if given, is called after each
    /// calibration sample with (done, total).
    public func quantize(calibration: [[Float]], options: ConversionOptions = ConversionOptions(),
                         progress: ((Int, Int) -> Void)? = nil) throws {
        let flat = try flatten(calibration, what: "calibration")
        var cOptions = options.cValue
        let box = ProgressBox(progress)
        if progress != nil {
            cOptions.progress = { ctx, done, total in
                guard let ctx else { return }
                Unmanaged<ProgressBox>.fromOpaque(ctx).takeUnretainedValue().report?(done, total)
            }
            cOptions.progress_ctx = Unmanaged.passUnretained(box).toOpaque()
        }
        let status = withExtendedLifetime(box) {
            flat.withUnsafeBufferPointer {
                nnom_converter_quantize(handle, $0.baseAddress, calibration.count, &cOptions)
            }
        }
        try check(status)
    }

    /// How many all-zero output channels the last `quantize` removed, and from how many layers.
    public var removedChannels: (channels: Int, layers: Int) {
        var layers: Int32 = 0
        let channels = nnom_converter_removed_channels(handle, &layers)
        return (Int(channels), Int(layers))
    }

    /// How many zero paddings (Keras ZeroPadding1D/2D, TFLite PAD) the conversion folded into the
    /// convolution that reads them (its explicit padding): one layer and its buffer fewer, outputs unchanged.
    public var foldedPaddings: Int { Int(nnom_converter_folded_paddings(handle)) }

    /// Runs the float32 and int8 models side by side on @p samples and reports
    /// the error of every layer.
    public func report(samples: [[Float]]) throws -> ConversionReport {
        let flat = try flatten(samples, what: "report")
        var capacity = Int32(64)
        if let m = nnom_converter_int8_model(handle) { capacity = max(capacity, nnom_model_layer_count(m)) }
        if let m = nnom_converter_float_model(handle) { capacity = max(capacity, nnom_model_layer_count(m)) }
        while true {
            var rows = [nnom_layer_report](repeating: nnom_layer_report(), count: Int(capacity))
            var count: Int32 = 0
            var agreement = Double.nan
            let status = flat.withUnsafeBufferPointer { x in
                rows.withUnsafeMutableBufferPointer {
                    nnom_converter_report(handle, x.baseAddress, samples.count, $0.baseAddress, capacity, &count, &agreement)
                }
            }
            try check(status)
            if count > capacity {
                capacity = count
                continue
            }
            let layers = rows.prefix(Int(count)).map { r in
                ConversionReport.Row(name: r.name.map { String(cString: $0) } ?? "",
                                     type: r.type_name.map { String(cString: $0) } ?? "",
                                     sqnr: r.sqnr_db, min: r.min, max: r.max)
            }
            let top1: Double? = agreement.isNaN || agreement < 0 ? nil : agreement
            return ConversionReport(layers: layers, top1Agreement: top1, samples: samples.count)
        }
    }

    /// The int8 model, as an independent `Model` loaded from its .nnom bytes
    /// (it outlives the converter).
    public func int8Model(timing: Bool = true) throws -> Model {
        guard let m = nnom_converter_int8_model(handle) else {
            throw NNoMError(.state, "converter: quantize the model first")
        }
        return try copy(m, timing: timing)
    }

    /// The float32 model the reader built (the reference the int8 model is
    /// compared with), as an independent `Model`.
    public func float32Model(timing: Bool = true) throws -> Model {
        guard let m = nnom_converter_float_model(handle) else {
            throw NNoMError(.state, "converter: no float32 model")
        }
        return try copy(m, timing: timing)
    }

    private func copy(_ m: OpaquePointer, timing: Bool) throws -> Model {
        var size = 0
        try check(nnom_model_save(m, nil, 0, &size), model: m)
        var bytes = [UInt8](repeating: 0, count: size)
        let status = bytes.withUnsafeMutableBytes { nnom_model_save(m, $0.baseAddress, size, &size) }
        try check(status, model: m)
        return try Model(bytes: bytes, timing: timing, operators: operators)
    }

    /// Writes the int8 model as a .nnom file (`nnom_converter_save`).
    public func save(to url: URL) throws {
        let status = url.withUnsafeFileSystemRepresentation { nnom_converter_save(handle, $0) }
        try check(status)
    }

    /// Writes `weights.h` for firmware: the .nnom bytes as an aligned const
    /// array and a `<name>_load()` function. @p name must be a C identifier;
    /// nil takes the header file's name (`nnom_header_default_name`, the rule
    /// of every front end). Returns the C name used.
    @discardableResult
    public func writeHeader(to url: URL, name: String? = nil) throws -> String {
        let cName = name ?? headerName(for: url)
        let status = url.withUnsafeFileSystemRepresentation { nnom_converter_write_header(handle, $0, cName) }
        try check(status)
        return cName
    }

    /// Reads, quantises and reports in one call; the report runs on the calibration samples.
    public static func convert(keras url: URL, calibration: [[Float]],
                               options: ConversionOptions = ConversionOptions(),
                               operators: OperatorRegistry? = nil,
                               progress: ((Int, Int) -> Void)? = nil) throws -> (Model, ConversionReport) {
        let converter = try Converter(keras: url, operators: operators)
        try converter.quantize(calibration: calibration, options: options, progress: progress)
        let report = try converter.report(samples: calibration)
        return (try converter.int8Model(), report)
    }

    /// Converts an int8 `.tflite` file in one call (no calibration: the file is quantised).
    public static func convert(tflite url: URL) throws -> Model {
        try Converter(tflite: url).int8Model()
    }

    // MARK: helpers

    private final class ProgressBox {
        let report: ((Int, Int) -> Void)?
        init(_ report: ((Int, Int) -> Void)?) { self.report = report }
    }

    /// One contiguous, sample-major buffer, after checking every row's size
    /// (the C code trusts the count it is given).
    private func flatten(_ samples: [[Float]], what: String) throws -> [Float] {
        let size = sampleSize
        guard !samples.isEmpty else { throw NNoMError(.argument, "\(what): no samples given") }
        if let bad = samples.firstIndex(where: { $0.count != size }) {
            throw NNoMError(.shape, "\(what): sample \(bad) has \(samples[bad].count) values but the model's "
                            + "input takes \(size)")
        }
        return samples.flatMap { $0 }
    }

    private func check(_ status: nnom_status) throws {
        try NNoMRuntime.check(status, String(cString: nnom_converter_last_error(handle)))
    }

    private func check(_ status: nnom_status, model: OpaquePointer) throws {
        try NNoMRuntime.check(status, String(cString: nnom_model_last_error(model)))
    }
}
