import CNNoM
import Foundation
import XCTest
@testable import NNoM

/// Keras fixtures (Tests/fixtures/keras, see its README) converted from Swift
/// against the C converter called directly.
final class ConverterTests: XCTestCase {
    static let cases = ["digits_cnn", "conv2d", "dense", "resnet_block", "mobilenet_block", "two_inputs_two_outputs"]

    /// The cases whose .keras fixture exists (a skip when none does).
    func availableCases() throws -> [String] {
        let found = Self.cases.filter {
            FileManager.default.fileExists(atPath: Paths.kerasFixtures.appendingPathComponent("\($0).keras").path)
        }
        if found.isEmpty { throw XCTSkip("no Keras fixtures; generate with Tests/fixtures/keras/make_fixtures.py") }
        return found
    }

    /// The fixture file, or a skip when the fixtures have not been generated.
    func fixture(_ name: String) throws -> URL {
        let url = Paths.kerasFixtures.appendingPathComponent(name)
        guard FileManager.default.fileExists(atPath: url.path) else {
            throw XCTSkip("fixture \(name) missing; generate with Tests/fixtures/keras/make_fixtures.py")
        }
        return url
    }

    /// Calibration samples of a case: its inputs, several inputs of one sample one after the other.
    func calibration(_ name: String) throws -> [[Float]] {
        if name == "digits_cnn" {
            return Array(try NumPyArray(npy: try fixture("digits_test_x.npy")).rows.prefix(200))
        }
        let single = Paths.kerasFixtures.appendingPathComponent("\(name).input.npy")
        if FileManager.default.fileExists(atPath: single.path) {
            return try NumPyArray(npy: single).rows
        }
        var parts: [[[Float]]] = []
        for i in 0... {
            let url = Paths.kerasFixtures.appendingPathComponent("\(name).input\(i).npy")
            guard FileManager.default.fileExists(atPath: url.path) else { break }
            parts.append(try NumPyArray(npy: url).rows)
        }
        guard let first = parts.first else { throw XCTSkip("no inputs for fixture \(name)") }
        return first.indices.map { s in parts.flatMap { $0[s] } }
    }

    /// The C converter, called directly: nnom_convert_keras then nnom_converter_save.
    func convertInC(_ url: URL, _ samples: [[Float]], _ options: ConversionOptions,
                    _ body: (OpaquePointer) throws -> Void = { _ in }) throws -> [UInt8] {
        let folder = try TemporaryFolder()
        let out = folder.file("c.nnom")
        var converter: OpaquePointer?
        var err = nnom_error()
        var cOptions = options.cValue
        let flat = samples.flatMap { $0 }
        let st = nnom_convert_keras(url.path, flat, samples.count, &cOptions, &converter, &err)
        guard st == NNOM_OK, let converter else { throw NNoMError(err) }
        defer { nnom_converter_destroy(converter) }
        XCTAssertEqual(nnom_converter_save(converter, out.path), NNOM_OK, String(cString: nnom_converter_last_error(converter)))
        try body(converter)
        return [UInt8](try Data(contentsOf: out))
    }

    func testSwiftConversionGivesTheCConvertersBytes() throws {
        for name in try availableCases() {
            let url = try fixture("\(name).keras")
            let samples = try calibration(name)
            for options in [ConversionOptions(), ConversionOptions(perTensor: true, method: .kl),
                            ConversionOptions(method: .percentile, percentile: 99.9)] {
                let (model, report) = try Converter.convert(keras: url, calibration: samples, options: options)
                let cBytes = try convertInC(url, samples, options)
                XCTAssertEqual(try model.serialized(), cBytes, "\(name) \(options)")
                XCTAssertEqual(model.flashSize, cBytes.count)
                XCTAssertFalse(report.layers.isEmpty)
                XCTAssertEqual(report.samples, samples.count)
            }
        }
    }

    func testConvertedModelRunsLikeTheCConvertersInt8Model() throws {
        for name in try availableCases() {
            let url = try fixture("\(name).keras")
            let samples = try calibration(name)
            let (model, _) = try Converter.convert(keras: url, calibration: samples)
            _ = try convertInC(url, samples, ConversionOptions()) { converter in
                let c = nnom_converter_int8_model(converter)!
                XCTAssertEqual(nnom_model_alloc_arena(c), NNOM_OK)
                XCTAssertEqual(model.layers.count, Int(nnom_model_layer_count(c)))
                for x in samples.prefix(20) {
                    var offset = 0
                    for (i, input) in model.inputs.enumerated() {
                        let part = Array(x[offset ..< offset + input.count])
                        offset += input.count
                        try model.setInput(part, at: i)
                        XCTAssertEqual(part.withUnsafeBufferPointer { nnom_model_set_input_f32(c, Int32(i), $0.baseAddress, $0.count) }, NNOM_OK)
                    }
                    try model.run()
                    XCTAssertEqual(nnom_model_run(c), NNOM_OK)
                    for (o, output) in model.outputs.enumerated() {
                        var expected = [Int8](repeating: 0, count: output.count)
                        XCTAssertEqual(nnom_model_get_output_s8(c, Int32(o), &expected, expected.count), NNOM_OK)
                        XCTAssertEqual(try model.outputInt8(at: o), expected, "\(name) output \(o)")
                    }
                }
            }
        }
    }

    /// The float32 model the reader builds reproduces Keras' own outputs (NAME.output*.npy).
    func testFloat32ModelReproducesKeras() throws {
        for name in try availableCases() where name != "digits_cnn" {
            let converter = try Converter(keras: try fixture("\(name).keras"))
            let model = try converter.float32Model()
            XCTAssertEqual(model.elementType, .float32)
            let samples = try calibration(name)
            var expected: [[[Float]]] = []
            for o in model.outputs.indices {
                let single = Paths.kerasFixtures.appendingPathComponent("\(name).output.npy")
                let file = model.outputs.count == 1 && FileManager.default.fileExists(atPath: single.path)
                    ? single : Paths.kerasFixtures.appendingPathComponent("\(name).output\(o).npy")
                expected.append(try NumPyArray(npy: file).rows)
            }
            for (s, x) in samples.enumerated() {
                var offset = 0
                for (i, input) in model.inputs.enumerated() {
                    try model.setInput(Array(x[offset ..< offset + input.count]), at: i)
                    offset += input.count
                }
                try model.run()
                for o in model.outputs.indices {
                    let got = try model.output(at: o), want = expected[o][s]
                    XCTAssertEqual(got.count, want.count, "\(name) output \(o)")
                    let worst = zip(got, want).map { abs($0 - $1) / max(1, abs($1)) }.max() ?? 0
                    XCTAssertLessThan(worst, 1e-4, "\(name) output \(o) sample \(s)")
                }
            }
        }
    }

    func testReportMatchesTheCReport() throws {
        let url = try fixture("resnet_block.keras")
        let samples = try calibration("resnet_block")
        let converter = try Converter(keras: url)
        try converter.quantize(calibration: samples)
        let report = try converter.report(samples: samples)
        var rows = [nnom_layer_report](repeating: nnom_layer_report(), count: 256)
        var count: Int32 = 0
        var agreement = 0.0
        let flat = samples.flatMap { $0 }
        XCTAssertEqual(nnom_converter_report(converter.handle, flat, samples.count, &rows, 256, &count, &agreement), NNOM_OK)
        XCTAssertEqual(report.layers.count, Int(count))
        for (row, c) in zip(report.layers, rows) {
            XCTAssertEqual(row.name, String(cString: c.name))
            XCTAssertEqual(row.sqnr, c.sqnr_db)
            XCTAssertEqual(row.min, c.min)
            XCTAssertEqual(row.max, c.max)
            XCTAssertLessThanOrEqual(row.min, row.max)
        }
    }

    func testDigitsCNNKeepsItsAccuracy() throws {
        let url = try fixture("digits_cnn.keras")
        let x = try NumPyArray(npy: try fixture("digits_test_x.npy"))
        let y = try NumPyArray(npy: try fixture("digits_test_y.npy")).values.map { Int($0) }
        let (model, report) = try Converter.convert(keras: url, calibration: Array(x.rows.prefix(100)))
        XCTAssertEqual(model.elementType, .int8)
        XCTAssertEqual(model.inputs.map(\.shape), [[8, 8, 1]])
        XCTAssertGreaterThan(report.top1Agreement ?? 0, 0.95)
        let e = try model.evaluate(samples: x.rows, labels: y, topK: 3)
        XCTAssertEqual(e.samples, 500)
        XCTAssertGreaterThan(e.accuracy, 0.95, "float accuracy is 98.8%; int8 should stay close")
        XCTAssertEqual(e.confusion.flatMap { $0 }.reduce(0, +), 500)
    }

    func testCalibrationReportsProgress() throws {
        let samples = try calibration("conv2d")
        for method in CalibrationMethod.allCases {
            let converter = try Converter(keras: try fixture("conv2d.keras"))
            var seen: [(Int, Int)] = []
            try converter.quantize(calibration: samples, options: ConversionOptions(method: method)) { seen.append(($0, $1)) }
            // the C hook counts calibration passes over the samples (KL needs a second one)
            guard let last = seen.last else { return XCTFail("\(method): the progress hook was never called") }
            XCTAssertEqual(last.0, last.1, "\(method): progress ends at its total")
            XCTAssertGreaterThanOrEqual(last.1, samples.count, "\(method)")
            XCTAssertEqual(seen.map(\.0), seen.map(\.0).sorted(), "\(method): progress only grows")
        }
    }

    func testHeaderAndSaveFromTheConverter() throws {
        let url = try fixture("conv2d.keras")
        let folder = try TemporaryFolder()
        let converter = try Converter(keras: url)
        let samples = try calibration("conv2d")
        try converter.quantize(calibration: samples)
        try converter.save(to: folder.file("m.nnom"))
        try converter.writeHeader(to: folder.file("weights.h"), name: "conv2d_model")
        XCTAssertEqual([UInt8](try Data(contentsOf: folder.file("m.nnom"))), try converter.int8Model().serialized())
        let header = try String(contentsOf: folder.file("weights.h"), encoding: .utf8)
        XCTAssertTrue(header.contains("conv2d_model_load"))
    }

    func testBadKerasFilesThrowWithTheirMessage() throws {
        let expectations: [(String, String?)] = [("bad_unsupported.keras", "my_lambda"), ("bad_no_weights.keras", nil),
                                                 ("bad_shape_mismatch.keras", "conv_a"), ("bad_not_keras.h5", nil)]
        for (file, text) in expectations {
            let url = try fixture(file)
            XCTAssertThrowsError(try Converter(keras: url), file) { error in
                guard let e = error as? NNoMError else { return XCTFail("\(file): \(error)") }
                XCTAssertTrue([.keras, .unsupported, .io, .format, .shape].contains(e.status), "\(file): \(e.status)")
                if let text { XCTAssertTrue(e.message.contains(text), "\(file): '\(e.message)' names \(text)") }
            }
        }
    }

    func testCalibrationOfTheWrongSizeIsRejected() throws {
        let converter = try Converter(keras: try fixture("conv2d.keras"))
        XCTAssertEqual(converter.sampleSize, 7 * 7 * 3)
        XCTAssertThrowsError(try converter.quantize(calibration: [[0, 1, 2]])) { error in
            XCTAssertEqual((error as? NNoMError)?.status, .shape)
        }
        XCTAssertThrowsError(try converter.quantize(calibration: [])) { error in
            XCTAssertEqual((error as? NNoMError)?.status, .argument)
        }
        XCTAssertThrowsError(try converter.int8Model()) { error in
            XCTAssertEqual((error as? NNoMError)?.status, .state)
        }
    }
}
