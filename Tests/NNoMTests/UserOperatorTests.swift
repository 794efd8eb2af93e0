import CNNoM
import Foundation
import XCTest
@testable import NNoM

/// User operators from Swift and the CLI: the example plugin examples/user_ops/weighted_diff_plugin.c
/// (compiled here with the system's C compiler) and an operator written in Swift with C-convention
/// functions, both "weighted_diff_k" (a - 0.75 b), the Lambda of the Keras fixture user_op_lambda.
final class UserOperatorTests: XCTestCase {
    static let op = "weighted_diff_k"
    static let keras = Paths.kerasFixtures.appendingPathComponent("user_op_lambda.keras")
    var folder: TemporaryFolder!

    override func setUpWithError() throws {
        folder = try TemporaryFolder()
    }

    override func tearDown() {
        folder = nil
    }

    /// The example plugin built as a shared library with `cc`.
    func buildPlugin() throws -> URL {
        let compiler = URL(fileURLWithPath: "/usr/bin/cc")
        guard FileManager.default.isExecutableFile(atPath: compiler.path) else { throw XCTSkip("no C compiler") }
        let out = folder.file("weighted_diff.so")
        let process = Process()
        process.executableURL = compiler
        process.arguments = ["-shared", "-fPIC", "-O2", "-I", Paths.root.appendingPathComponent("include").path,
                             Paths.root.appendingPathComponent("examples/user_ops/weighted_diff_plugin.c").path,
                             "-o", out.path, "-lm"]
        try process.run()
        process.waitUntilExit()
        XCTAssertEqual(process.terminationStatus, 0, "cc built the plugin")
        return out
    }

    func fixture(_ name: String) throws -> NumPyArray {
        try NumPyArray(npy: Paths.kerasFixtures.appendingPathComponent("user_op_lambda.\(name).npy"))
    }

    /// Calibration rows: per sample, input 0's values then input 1's.
    func samples() throws -> [[Float]] {
        let a = try fixture("input0").rows, b = try fixture("input1").rows
        return zip(a, b).map { $0 + $1 }
    }

    /// Runs @p model on the fixture's inputs; returns outputs 0 and 1 of every sample, concatenated.
    func outputs(_ model: Model) throws -> ([Float], [Float]) {
        let a = try fixture("input0").rows, b = try fixture("input1").rows
        var y0: [Float] = [], y1: [Float] = []
        for (x0, x1) in zip(a, b) {
            try model.setInput(x0, at: 0)
            try model.setInput(x1, at: 1)
            try model.run()
            y0 += try model.output(at: 0)
            y1 += try model.output(at: 1)
        }
        return (y0, y1)
    }

    func sqnr(_ reference: [Float], _ test: [Float]) -> Double {
        var signal = 0.0, noise = 0.0
        for (r, t) in zip(reference, test) {
            signal += Double(r) * Double(r)
            noise += (Double(r) - Double(t)) * (Double(r) - Double(t))
        }
        return 10 * log10(signal / noise)
    }

    func checkAgainstKeras(_ operators: OperatorRegistry, file: StaticString = #filePath, line: UInt = #line) throws {
        let converter = try Converter(keras: Self.keras, operators: operators)
        let (f0, f1) = try outputs(try converter.float32Model())
        let k0 = try fixture("output0").values, k1 = try fixture("output1").values
        let worst = zip(f0 + f1, k0 + k1).map { abs($0 - $1) }.max() ?? .infinity
        XCTAssertLessThanOrEqual(worst, 1e-5, "float32 against Keras", file: file, line: line)
        try converter.quantize(calibration: try samples())
        let model = try converter.int8Model()
        XCTAssertTrue(model.operators === operators, file: file, line: line)
        let (q0, q1) = try outputs(model)
        XCTAssertGreaterThanOrEqual(sqnr(k0, q0), 30, file: file, line: line)
        XCTAssertGreaterThanOrEqual(sqnr(k1, q1), 30, file: file, line: line)
    }

    func testAPluginOperatorRunsTheKerasLambda() throws {
        let registry = OperatorRegistry()
        XCTAssertEqual(try registry.load(plugin: try buildPlugin()), [Self.op])
        XCTAssertEqual(registry.names, [Self.op])
        XCTAssertTrue(registry.contains(Self.op))
        try checkAgainstKeras(registry)
    }

    func testAnOperatorWrittenInSwift() throws {
        let registry = OperatorRegistry(capacity: 1)
        let op = SwiftWeightedDiff.make()
        try registry.register(op)
        try checkAgainstKeras(registry)
        // the same name twice is refused by the C registry
        XCTAssertThrowsError(try registry.register(op)) { error in
            XCTAssertTrue((error as? NNoMError)?.message.contains(Self.op) ?? false, "\(error)")
        }
    }

    func testAMissingOperatorIsRefusedWithItsName() throws {
        XCTAssertThrowsError(try Converter(keras: Self.keras)) { error in
            XCTAssertTrue("\(error)".contains("'\(Self.op)'"), "\(error)")
        }
        let registry = OperatorRegistry()
        try registry.load(plugin: try buildPlugin())
        let converter = try Converter(keras: Self.keras, operators: registry)
        try converter.quantize(calibration: try samples())
        let bytes = try converter.int8Model().serialized()
        XCTAssertThrowsError(try Model(bytes: bytes)) { error in
            XCTAssertEqual((error as? NNoMError)?.status, .unsupported)
            XCTAssertTrue("\(error)".contains("needs user operator '\(Self.op)'"), "\(error)")
        }
        XCTAssertThrowsError(try Model(bytes: bytes, operators: OperatorRegistry())) { error in
            XCTAssertTrue("\(error)".contains("'\(Self.op)'"), "\(error)")
        }
        // weights.h names the operators the firmware must register
        let model = try Model(bytes: bytes, operators: registry)
        let header = folder.file("lambda.h")
        try model.writeHeader(to: header)
        let text = try String(contentsOf: header, encoding: .utf8)
        XCTAssertTrue(text.contains("nnom-user-ops: \(Self.op)"), text)
        XCTAssertTrue(text.contains("#define LAMBDA_USER_OPS { \"\(Self.op)\" }"), text)
    }

    func testPluginErrorsNameTheFile() throws {
        let registry = OperatorRegistry()
        XCTAssertThrowsError(try registry.load(plugin: folder.file("missing.so"))) { error in
            XCTAssertEqual((error as? NNoMError)?.status, .io)
            XCTAssertTrue("\(error)".contains("missing.so"), "\(error)")
        }
        let notLibrary = Paths.kerasFixtures.appendingPathComponent("user_op_lambda.input0.npy")
        XCTAssertThrowsError(try registry.load(plugin: notLibrary))
        XCTAssertEqual(registry.names, [])
    }

    func testCLIConvertsAndRunsWithAPlugin() throws {
        let plugin = try buildPlugin()
        let in0 = Paths.kerasFixtures.appendingPathComponent("user_op_lambda.input0.npy").path
        let in1 = Paths.kerasFixtures.appendingPathComponent("user_op_lambda.input1.npy").path
        let out = folder.file("lambda.nnom"), header = folder.file("lambda_weights.h")
        let missing = try CLI.run(["convert", Self.keras.path, "--calibration", in0, "--calibration", in1,
                                   "-o", out.path])
        XCTAssertEqual(missing.status, 1, missing.stderr)
        XCTAssertTrue(missing.stderr.contains("no operator '\(Self.op)' is registered") &&
                          missing.stderr.contains("--ops"), missing.stderr)
        let r = try CLI.run(["convert", Self.keras.path, "--calibration", in0, "--calibration", in1,
                             "--ops", plugin.path, "-o", out.path, "--header", header.path])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.contains(Self.op), r.stdout)
        XCTAssertTrue(try String(contentsOf: header, encoding: .utf8).contains("nnom-user-ops: \(Self.op)"))
        let refused = try CLI.run(["inspect", out.path])
        XCTAssertEqual(refused.status, 1)
        XCTAssertTrue(refused.stderr.contains("needs user operator '\(Self.op)'") &&
                          refused.stderr.contains("--ops <plugin.so>"), refused.stderr)
        let inspect = try CLI.run(["inspect", out.path, "--ops", plugin.path])
        XCTAssertEqual(inspect.status, 0, inspect.stderr)
        XCTAssertTrue(inspect.stdout.contains("custom"), inspect.stdout)
        let saved = folder.file("y.npy")
        let run = try CLI.run(["run", out.path, "--ops", plugin.path, "--input", in0, "--input", in1,
                               "-o", saved.path])
        XCTAssertEqual(run.status, 0, run.stderr)
        // output 0 is the Lambda's: against Keras
        XCTAssertGreaterThanOrEqual(sqnr(try fixture("output0").values, try NumPyArray(npy: saved).values), 30)
        let badPlugin = try CLI.run(["inspect", out.path, "--ops", folder.file("nope.so").path])
        XCTAssertEqual(badPlugin.status, 1)
        XCTAssertTrue(badPlugin.stderr.contains("--ops") && badPlugin.stderr.contains("nope.so"), badPlugin.stderr)
    }
}

/// "weighted_diff_k" written in Swift: C-convention functions that capture nothing (they read the
/// call's tensors), in a `nnom_user_op` that lives as long as the process.
private let swiftCoefficient: Float = 0.75

private func elementCount(_ s: nnom_shape) -> Int {
    withUnsafeBytes(of: s.dims) { raw in
        (0..<Int(s.rank)).reduce(1) { $0 * Int(raw.load(fromByteOffset: $1 * 4, as: Int32.self)) }
    }
}

private func callInput(_ call: UnsafePointer<nnom_user_call>, _ k: Int) -> nnom_user_tensor {
    withUnsafeBytes(of: call.pointee.in) {
        $0.load(fromByteOffset: k * MemoryLayout<nnom_user_tensor>.stride, as: nnom_user_tensor.self)
    }
}

enum SwiftWeightedDiff {
    static func make() -> UnsafePointer<nnom_user_op> {
        let op = UnsafeMutablePointer<nnom_user_op>.allocate(capacity: 1)
        op.initialize(to: nnom_user_op())
        op.pointee.struct_size = UInt32(MemoryLayout<nnom_user_op>.size)
        op.pointee.name = UnsafePointer(strdup(UserOperatorTests.op))
        op.pointee.min_inputs = 2
        op.pointee.max_inputs = 2
        op.pointee.infer = { call, out, _ in
            guard let call, let out else { return NNOM_ERR_ARGUMENT }
            out.pointee = callInput(call, 0).shape
            return NNOM_OK
        }
        op.pointee.run_f32 = { call in
            guard let call else { return }
            let a = callInput(call, 0), b = callInput(call, 1), n = elementCount(call.pointee.out_shape)
            let pa = a.data.assumingMemoryBound(to: Float.self), pb = b.data.assumingMemoryBound(to: Float.self)
            let y = call.pointee.out.assumingMemoryBound(to: Float.self)
            for i in 0..<n { y[i] = pa[i] - swiftCoefficient * pb[i] }
        }
        op.pointee.run_s8 = { call in
            guard let call else { return }
            let a = callInput(call, 0), b = callInput(call, 1), n = elementCount(call.pointee.out_shape)
            let qy = call.pointee.out_quant
            let pa = a.data.assumingMemoryBound(to: Int8.self), pb = b.data.assumingMemoryBound(to: Int8.self)
            let y = call.pointee.out.assumingMemoryBound(to: Int8.self)
            for i in 0..<n {
                let v = a.quant.scale * Float(Int32(pa[i]) - a.quant.zero_point)
                    - swiftCoefficient * b.quant.scale * Float(Int32(pb[i]) - b.quant.zero_point)
                let q = (v / qy.scale).rounded(.toNearestOrAwayFromZero) + Float(qy.zero_point)
                y[i] = Int8(max(-128, min(127, q)))
            }
        }
        return UnsafePointer(op)
    }
}
