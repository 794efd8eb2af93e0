import Foundation
import XCTest
@testable import NNoM

/// int8 .tflite files (Tests/fixtures/tflite, see make_tflite.py) converted from Swift and from the CLI:
/// the outputs must equal TensorFlow Lite Micro's, stored beside each file, bit for bit.
final class TFLiteTests: XCTestCase {
    static let fixtures = Paths.fixtures.appendingPathComponent("tflite")

    func file(_ name: String) -> URL { Self.fixtures.appendingPathComponent(name) }

    /// Every sample of a fixture's inputs through @p model, against TFLite Micro's outputs.
    func assertMatchesTFLiteMicro(_ model: Model, _ name: String) throws {
        let x = try NumPyArray(npy: file("\(name).input.npy"))
        let y = try NumPyArray(npy: file("\(name).output.npy"))
        let got = try model.predict(int8: x.rows.map { $0.map { Int8($0) } })
        let expected = y.rows.map { $0.map { Int8($0) } }
        XCTAssertEqual(got, expected, name)
    }

    func testConvertedModelsEqualTFLiteMicro() throws {
        for name in ["digits_residual_concat", "activations", "op_softmax"] {
            try assertMatchesTFLiteMicro(try Converter.convert(tflite: file("\(name).tflite")), name)
        }
    }

    /// pad_dilated: a PAD read only by a VALID CONV_2D becomes the convolution's padding; the outputs stay TFLite Micro's.
    func testPadBeforeAConvolutionIsFoldedIntoIt() throws {
        let converter = try Converter(tflite: file("pad_dilated.tflite"))
        XCTAssertEqual(converter.foldedPaddings, 1)
        let folder = try TemporaryFolder()
        let out = folder.file("m.nnom")
        let r = try CLI.run(["convert", file("pad_dilated.tflite").path, "-o", out.path])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.contains("zero paddings: 1 folded"), r.stdout)
        let model = try Model(contentsOf: out, timing: false)
        XCTAssertFalse(model.layers.contains { $0.type == "zero_padding2d" })
        try assertMatchesTFLiteMicro(model, "pad_dilated")
    }

    func testUnsupportedOperatorNamesItAndTheSupportedOnes() throws {
        XCTAssertThrowsError(try Converter(tflite: file("unsupported_op.tflite"))) { error in
            let text = "\(error)"
            XCTAssertTrue(text.contains("RESIZE_BILINEAR") && text.contains("supported: ADD"), text)
        }
        XCTAssertThrowsError(try Converter(tflite: file("float_only.tflite"))) { error in
            XCTAssertTrue("\(error)".contains("float32"), "\(error)")
        }
    }

    func testCLIConvertsATFLiteFileAndRefusesCalibration() throws {
        let folder = try TemporaryFolder()
        let out = folder.file("m.nnom")
        let r = try CLI.run(["convert", file("digits_mlp.tflite").path, "-o", out.path, "--header", folder.file("w.h").path])
        XCTAssertEqual(r.status, 0, r.stderr)
        try assertMatchesTFLiteMicro(try Model(contentsOf: out, timing: false), "digits_mlp")
        let refused = try CLI.run(["convert", file("digits_mlp.tflite").path, "--calibration", "x.npy", "-o", out.path])
        XCTAssertEqual(refused.status, 64)
        XCTAssertTrue(refused.stderr.contains("no --calibration"), refused.stderr)
    }
}
