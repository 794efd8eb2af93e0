import ArgumentParser
import Foundation
import NNoM

struct Convert: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "convert",
        abstract: "Convert a Keras model or an int8 .tflite model to an int8 .nnom model.",
        discussion: """
            A Keras model is calibrated on --calibration samples and the per-layer SQNR report is printed.
            A .tflite model (full-integer quantised by TensorFlow) is converted as it is, bit-exact with
            TensorFlow Lite Micro, and takes no calibration data.
            Examples:
              nnom convert model.keras --calibration x_calib.npy -o model.nnom --header weights.h
              nnom convert model.tflite -o model.nnom --header weights.h
              nnom convert model.keras --calibration x.npz --ops ./my_ops.so -o model.nnom   (Lambda layers as user operators)
            """
    )

    @Argument(help: "The model: a Keras .keras file or legacy .h5, or an int8 .tflite file.")
    var model: String

    @Option(help: ArgumentHelp("Calibration inputs (Keras models only): a .npy file holding a batch (N, ...input "
                               + "shape); for a model with several inputs, one .npy per input in the model's order "
                               + "(repeat the option) or one .npz holding an array named after each input.",
                               valueName: "npy|npz"))
    var calibration: [String] = []

    private var isTFLite: Bool { model.lowercased().hasSuffix(".tflite") }

    @Flag(help: "One weight scale per tensor instead of one per output channel.")
    var perTensor = false

    @Option(help: "How activation ranges are chosen.")
    var method: CalibrationMethod = .minmax

    @Option(help: "The percentile kept by --method percentile.")
    var percentile: Double = 99.99

    @Flag(help: "Keep output channels whose weights are all zero (default: removed, their constant folded into the next layer).")
    var keepDeadChannels = false

    @Option(name: [.short, .customLong("output")], help: "Where to write the .nnom model.")
    var output: String

    @Option(help: "Also write a C header with the model for firmware.")
    var header: String?

    @Option(help: "The C name in the header (default: the header's file name made a C identifier).")
    var name: String?

    @Option(help: "Report on the first N calibration samples only (default: all).")
    var reportSamples: Int?

    @OptionGroup var operators: OperatorOptions

    func validate() throws {
        if isTFLite && !operators.plugins.isEmpty {
            throw ValidationError("a .tflite model is converted as it is: it takes no --ops")
        }
        if isTFLite && !calibration.isEmpty {
            throw ValidationError("a .tflite model is already quantised: it takes no --calibration")
        }
        if !isTFLite && calibration.isEmpty {
            throw ValidationError("Missing expected argument '--calibration <npy|npz>'")
        }
        if let n = reportSamples, n < 1 { throw ValidationError("--report-samples must be at least 1") }
        if let name, !isCIdentifier(name) { throw ValidationError("--name '\(name)' is not a C identifier") }
    }

    func run() throws {
        if isTFLite { return try runTFLite() }
        let registry = try operators.registry()
        let converter = try hintingOperators {
            try reportingCrashes(reading: model) { try Converter(keras: url(model), operators: registry) }
        }
        let names = try converter.float32Model(timing: false).inputs.map(\.name)
        let arrays: [NumPyArray]
        if calibration.count == names.count || calibration.contains(where: isNPZ) {
            arrays = try loadInputArrays(calibration, inputNames: names, option: "--calibration").map(\.array)
        } else {
            // the converter says how many inputs it wants and their shapes
            arrays = try calibration.map { try NumPyArray(npy: url($0)) }
        }
        let n: Int
        do {
            n = try converter.checkCalibration(shapes: arrays.map(\.shape))
        } catch let error as NNoMError {
            throw CLIError("\(calibration.joined(separator: ", ")): \(error.message)")
        }
        let inputs = interleavedSamples(arrays, count: n)
        var bar: Progress?  // the total comes from the C hook (KL calibration passes over the samples twice)
        try converter.quantize(calibration: inputs,
                               options: ConversionOptions(perTensor: perTensor, method: method, percentile: percentile,
                                                          keepDeadChannels: keepDeadChannels),
                               progress: { done, total in
                                   if bar == nil { bar = Progress("calibrating", total: total) }
                                   bar?.update(done)
                               })
        bar?.finish()
        let reportRows = Array(inputs.prefix(reportSamples ?? inputs.count))
        let report = try converter.report(samples: reportRows)
        try converter.save(to: url(output))
        let saved = try Model(contentsOf: url(output), timing: false, operators: registry)

        var table = TextTable([("#", .right), ("layer", .left), ("type", .left), ("min", .right), ("max", .right),
                               ("SQNR dB", .right)])
        for (i, row) in report.layers.enumerated() {
            table.add(["\(i)", row.name, row.type, String(format: "%.4g", Double(row.min)),
                       String(format: "%.4g", Double(row.max)), String(format: "%.1f", row.sqnr)])
        }
        print(table.render())
        print("")
        print("calibration: \(inputs.count) samples, method \(method.rawValue)"
              + (method == .percentile ? " (\(percentile))" : "")
              + ", weights per \(perTensor ? "tensor" : "channel")")
        let removed = converter.removedChannels
        if removed.channels > 0 {
            print("dead channels: \(removed.channels) output channels with all-zero weights removed from "
                  + "\(removed.layers) layers (outputs unchanged)")
        }
        printFoldedPaddings(converter)
        if let agreement = report.top1Agreement {
            print("top-1 agreement int8 vs float32: \(percent(agreement)) of \(report.samples) samples")
        }
        print("wrote \(output): \(grouped(saved.flashSize)) bytes (weights \(grouped(saved.weightBytes))), "
              + "arena \(grouped(saved.arenaSize)) bytes")
        try writeHeader(converter)
    }

    private func printFoldedPaddings(_ converter: Converter) {
        let folded = converter.foldedPaddings
        if folded > 0 {
            print("zero paddings: \(folded) folded into the convolution that reads them (outputs unchanged)")
        }
    }

    private func runTFLite() throws {
        let converter = try Converter(tflite: url(model))
        try converter.save(to: url(output))
        let saved = try Model(contentsOf: url(output), timing: false)
        print("\(model): \(saved.layers.count) layers, int8 as quantised by TensorFlow (bit-exact with TFLite Micro)")
        printFoldedPaddings(converter)
        print("wrote \(output): \(grouped(saved.flashSize)) bytes (weights \(grouped(saved.weightBytes))), "
              + "arena \(grouped(saved.arenaSize)) bytes")
        try writeHeader(converter)
    }

    private func writeHeader(_ converter: Converter) throws {
        if let header {
            let cName = try converter.writeHeader(to: url(header), name: name)
            print("wrote \(header): \(cName)_load()")
        }
    }
}

/// One row per sample: the values of every input for that sample, one input after the other (the layout
/// the converter takes). The converter checked the shapes and counted @p count samples in every array.
func interleavedSamples(_ arrays: [NumPyArray], count n: Int) -> [[Float]] {
    (0..<n).map { s in
        arrays.flatMap { a -> ArraySlice<Float> in
            let size = a.count / n
            return a.values[s * size ..< (s + 1) * size]
        }
    }
}

func isCIdentifier(_ s: String) -> Bool {
    guard let first = s.unicodeScalars.first, first == "_" || (first.isASCII && first.properties.isAlphabetic) else {
        return false
    }
    return s.unicodeScalars.allSatisfy { $0 == "_" || ($0.isASCII && $0.properties.isAlphabetic) || ("0"..."9").contains($0) }
}
