// Test support: models built by hand through the C builder API, temporary
// files, NumPy/zip writers for test data, and a runner for the `nnom` binary.
import CNNoM
import Foundation
import XCTest
@testable import NNoM

// MARK: - paths

enum Paths {
    /// The repository root (this file is Tests/NNoMTests/Support.swift).
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    static let fixtures = root.appendingPathComponent("Tests/fixtures")
    static let kerasFixtures = fixtures.appendingPathComponent("keras")

    /// The built `nnom` executable: next to the test bundle in SwiftPM's products folder.
    static var cli: URL? {
        var candidates: [URL] = []
        for bundle in Bundle.allBundles + [Bundle.main] {
            candidates.append(bundle.bundleURL.deletingLastPathComponent().appendingPathComponent("nnom"))
            candidates.append(bundle.bundleURL.appendingPathComponent("nnom"))
        }
        if let argv0 = CommandLine.arguments.first {
            candidates.append(URL(fileURLWithPath: argv0).deletingLastPathComponent().appendingPathComponent("nnom"))
        }
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0.path) }
    }
}

/// A fresh temporary folder, removed when the object goes away.
final class TemporaryFolder {
    let url: URL

    init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("nnom-swift-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    func file(_ name: String) -> URL { url.appendingPathComponent(name) }

    deinit { try? FileManager.default.removeItem(at: url) }
}

// MARK: - deterministic random numbers

struct TestRandom {
    private var state: UInt64

    init(seed: UInt64) { state = seed | 1 }

    mutating func next() -> UInt64 {  // xorshift64*
        state ^= state >> 12
        state ^= state << 25
        state ^= state >> 27
        return state &* 2_685_821_657_736_338_717
    }

    mutating func int8(_ range: ClosedRange<Int> = -127...127) -> Int8 {
        Int8(range.lowerBound + Int(next() >> 33) % (range.upperBound - range.lowerBound + 1))
    }

    mutating func float(_ lo: Float, _ hi: Float) -> Float {
        lo + (hi - lo) * Float(next() >> 40) / Float(1 << 24)
    }

    mutating func floats(_ n: Int, _ lo: Float = 0, _ hi: Float = 1) -> [Float] {
        (0..<n).map { _ in float(lo, hi) }
    }
}

// MARK: - models built with the C builder API

/// A compiled C model built by hand, with the constant data it reads in place.
/// Independent of the Swift `Model`: tests run it directly through the C API.
final class HandBuiltModel {
    private(set) var handle: OpaquePointer!
    private var blobs: [UnsafeMutableRawBufferPointer] = []
    let dtype: nnom_dtype

    init(dtype: nnom_dtype) throws {
        self.dtype = dtype
        var m: OpaquePointer?
        var err = nnom_error()
        let st = nnom_model_create(dtype, nil, &m, &err)
        guard st == NNOM_OK, let m else { throw NNoMError(err) }
        handle = m
    }

    deinit {
        nnom_model_destroy(handle)
        blobs.forEach { $0.deallocate() }
    }

    /// Copies @p values into storage that lives as long as the model.
    func blob<T>(_ values: [T]) -> nnom_blob {
        let bytes = values.count * MemoryLayout<T>.stride
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: max(bytes, 1), alignment: 16)
        values.withUnsafeBytes { buffer.copyMemory(from: $0) }
        blobs.append(buffer)
        return nnom_blob(data: UnsafeRawPointer(buffer.baseAddress), size: UInt32(bytes))
    }

    func check(_ status: nnom_status, file: StaticString = #filePath, line: UInt = #line) throws {
        if status != NNOM_OK {
            throw NNoMError(cStatus: status, message: String(cString: nnom_model_last_error(handle)))
        }
    }

    @discardableResult
    func input(_ name: String, _ shape: [Int32], _ q: nnom_quant) throws -> Int32 {
        var s = nnom_shape()
        s.rank = Int32(shape.count)
        withUnsafeMutableBytes(of: &s.dims) { raw in
            for (i, d) in shape.enumerated() { raw.storeBytes(of: d, toByteOffset: i * 4, as: Int32.self) }
        }
        var id: Int32 = -1
        try check(nnom_model_add_input(handle, name, s, q, &id))
        return id
    }

    @discardableResult
    func layer(_ type: nnom_layer_type, _ name: String, inputs: [Int32], quant: nnom_quant = nnom_quant(),
               blobs: [nnom_blob] = [], params configure: (inout nnom_layer_params) -> Void = { _ in }) throws -> Int32 {
        var d = nnom_layer_desc()
        nnom_layer_desc_init(&d)
        d.type = type
        d.n_inputs = Int32(inputs.count)
        withUnsafeMutableBytes(of: &d.inputs) { raw in
            for (i, v) in inputs.enumerated() { raw.storeBytes(of: v, toByteOffset: i * 4, as: Int32.self) }
        }
        withUnsafeMutableBytes(of: &d.blobs) { raw in
            for (i, b) in blobs.enumerated() {
                raw.storeBytes(of: b, toByteOffset: i * MemoryLayout<nnom_blob>.stride, as: nnom_blob.self)
            }
        }
        configure(&d.params)
        d.quant = quant
        var id: Int32 = -1
        let status = name.withCString { cName -> nnom_status in
            d.name = cName
            return nnom_model_add_layer(handle, &d, &id)
        }
        try check(status)
        return id
    }

    func compile() throws {
        try check(nnom_model_compile(handle))
        try check(nnom_model_alloc_arena(handle))
    }

    /// The .nnom image of the model.
    func serialized() throws -> [UInt8] {
        var size = 0
        try check(nnom_model_save(handle, nil, 0, &size))
        var bytes = [UInt8](repeating: 0, count: size)
        try check(bytes.withUnsafeMutableBytes { nnom_model_save(handle, $0.baseAddress, size, &size) })
        return bytes
    }

    /// Runs the C model directly: float input 0 in, output 0 out as floats.
    func runC(_ input: [Float]) throws -> [Float] {
        try check(input.withUnsafeBufferPointer { nnom_model_set_input_f32(handle, 0, $0.baseAddress, $0.count) })
        try check(nnom_model_run(handle))
        var info = nnom_tensor_info()
        try check(nnom_model_output_info(handle, 0, &info))
        var out = [Float](repeating: .nan, count: Int(info.count))
        try check(out.withUnsafeMutableBufferPointer { nnom_model_get_output_f32(handle, 0, $0.baseAddress, $0.count) })
        return out
    }

    /// Runs the C model directly: int8 input 0 in, output 0 out as int8.
    func runC(int8 input: [Int8]) throws -> [Int8] {
        try check(input.withUnsafeBufferPointer { nnom_model_set_input_s8(handle, 0, $0.baseAddress, $0.count) })
        try check(nnom_model_run(handle))
        var info = nnom_tensor_info()
        try check(nnom_model_output_info(handle, 0, &info))
        var out = [Int8](repeating: 0, count: Int(info.count))
        try check(out.withUnsafeMutableBufferPointer { nnom_model_get_output_s8(handle, 0, $0.baseAddress, $0.count) })
        return out
    }

    // MARK: the models the tests use

    static let imageQuant = nnom_quant(scale: 1.0 / 255.0, zero_point: -128)
    static let probabilityQuant = nnom_quant(scale: 1.0 / 256.0, zero_point: -128)

    /// An int8 digits-sized CNN: input (8, 8, 1) in [0, 1]; conv 3x3 same ×6 + ReLU,
    /// max-pool 2, conv 3x3 same ×8 + ReLU, a residual add of a 1x1 conv, global average
    /// pool, dense 10, softmax. Random weights from @p seed.
    static func int8CNN(seed: UInt64 = 7) throws -> HandBuiltModel {
        var rng = TestRandom(seed: seed)
        let b = try HandBuiltModel(dtype: NNOM_DTYPE_S8)
        let actQ = nnom_quant(scale: 2.0 / 255.0, zero_point: -128)     // ReLU outputs in [0, 2]
        let sumQ = nnom_quant(scale: 4.0 / 255.0, zero_point: -128)
        let logitQ = nnom_quant(scale: 8.0 / 255.0, zero_point: 0)

        func weighted(_ type: nnom_layer_type, _ name: String, _ input: Int32, inQ: nnom_quant, fanIn: Int,
                      units: Int, outQ: nnom_quant, kernel: Int32, relu: Bool) throws -> Int32 {
            let weights = (0..<(units * fanIn)).map { _ in rng.int8() }
            let bias = (0..<units).map { _ in Int32(rng.int8()) * 8 }
            var scales = (0..<units).map { c in Float(1.0 / (127.0 * Double(fanIn).squareRoot())) * (0.8 + 0.4 * Float(c) / Float(units)) }
            var mult = [Int32](repeating: 0, count: units), shift = [Int32](repeating: 0, count: units)
            try b.check(nnom_quant_conv_params(inQ.scale, &scales, Int32(units), outQ.scale, &mult, &shift))
            return try b.layer(type, name, inputs: [input], quant: outQ,
                               blobs: [b.blob(weights), b.blob(bias), b.blob(mult), b.blob(shift)]) { p in
                p.units = Int32(units)
                p.activation = Int32(relu ? NNOM_ACT_RELU.rawValue : NNOM_ACT_NONE.rawValue)
                if type == NNOM_LAYER_CONV2D {
                    p.kernel = (kernel, kernel)
                    p.stride = (1, 1)
                    p.padding = Int32(NNOM_PADDING_SAME.rawValue)
                }
            }
        }

        let x = try b.input("image", [8, 8, 1], imageQuant)
        let c1 = try weighted(NNOM_LAYER_CONV2D, "conv1", x, inQ: imageQuant, fanIn: 9, units: 6, outQ: actQ, kernel: 3, relu: true)
        let p1 = try b.layer(NNOM_LAYER_MAX_POOL2D, "pool1", inputs: [c1], quant: actQ) { p in
            p.kernel = (2, 2)
            p.stride = (2, 2)
        }
        let c2 = try weighted(NNOM_LAYER_CONV2D, "conv2", p1, inQ: actQ, fanIn: 54, units: 8, outQ: actQ, kernel: 3, relu: true)
        let c3 = try weighted(NNOM_LAYER_CONV2D, "shortcut", p1, inQ: actQ, fanIn: 6, units: 8, outQ: actQ, kernel: 1, relu: true)
        var addParams = [Int32](repeating: 0, count: 6)
        try b.check(nnom_quant_add_params(actQ, actQ, sumQ, &addParams))
        let sum = try b.layer(NNOM_LAYER_ADD, "add", inputs: [c2, c3], quant: sumQ, blobs: [b.blob(addParams)])
        let gap = try b.layer(NNOM_LAYER_GLOBAL_AVG_POOL, "gap", inputs: [sum], quant: sumQ)
        let logits = try weighted(NNOM_LAYER_DENSE, "dense", gap, inQ: sumQ, fanIn: 8, units: 10, outQ: logitQ, kernel: 0, relu: false)
        var table = [UInt32](repeating: 0, count: 256)
        try b.check(nnom_quant_softmax_table(logitQ, &table))
        let probs = try b.layer(NNOM_LAYER_SOFTMAX, "softmax", inputs: [logits], quant: probabilityQuant, blobs: [b.blob(table)])
        try b.layer(NNOM_LAYER_OUTPUT, "probabilities", inputs: [probs], quant: probabilityQuant)
        try b.compile()
        return b
    }

    /// A float32 model: input (8, 8, 1); conv 3x3 same ×4 + ReLU, flatten, dense 10, softmax.
    static func float32CNN(seed: UInt64 = 11) throws -> HandBuiltModel {
        var rng = TestRandom(seed: seed)
        let b = try HandBuiltModel(dtype: NNOM_DTYPE_F32)
        let none = nnom_quant()
        let x = try b.input("image", [8, 8, 1], none)
        let conv = try b.layer(NNOM_LAYER_CONV2D, "conv", inputs: [x],
                               blobs: [b.blob(rng.floats(4 * 9, -0.5, 0.5)), b.blob(rng.floats(4, -0.1, 0.1))]) { p in
            p.units = 4
            p.kernel = (3, 3)
            p.padding = Int32(NNOM_PADDING_SAME.rawValue)
            p.activation = Int32(NNOM_ACT_RELU.rawValue)
        }
        let flat = try b.layer(NNOM_LAYER_FLATTEN, "flatten", inputs: [conv])
        let dense = try b.layer(NNOM_LAYER_DENSE, "dense", inputs: [flat],
                                blobs: [b.blob(rng.floats(10 * 256, -0.2, 0.2)), b.blob(rng.floats(10, -0.1, 0.1))]) { p in
            p.units = 10
        }
        let sm = try b.layer(NNOM_LAYER_SOFTMAX, "softmax", inputs: [dense])
        try b.layer(NNOM_LAYER_OUTPUT, "probabilities", inputs: [sm])
        try b.compile()
        return b
    }
}

// MARK: - test data files

enum TestFiles {
    /// A .npy file of little-endian int64 values (NumPy's default integer type), written by hand.
    static func npyInt64(_ values: [Int64], shape: [Int]) -> [UInt8] {
        let dims = shape.count == 1 ? "(\(shape[0]),)" : "(" + shape.map(String.init).joined(separator: ", ") + ")"
        var header = "{'descr': '<i8', 'fortran_order': False, 'shape': \(dims), }"
        while (10 + header.utf8.count + 1) % 64 != 0 { header += " " }
        header += "\n"
        var bytes: [UInt8] = [0x93] + Array("NUMPY".utf8) + [1, 0]
        bytes += [UInt8(header.utf8.count & 0xff), UInt8(header.utf8.count >> 8)]
        bytes += Array(header.utf8)
        for v in values { withUnsafeBytes(of: v.littleEndian) { bytes += $0 } }
        return bytes
    }

    /// A zip archive of stored (uncompressed) entries, as numpy.savez writes them.
    static func zipStored(_ entries: [(String, [UInt8])]) -> [UInt8] {
        var out: [UInt8] = [], central: [UInt8] = []
        func u16(_ v: Int, _ b: inout [UInt8]) { b += [UInt8(v & 0xff), UInt8((v >> 8) & 0xff)] }
        func u32(_ v: UInt32, _ b: inout [UInt8]) { withUnsafeBytes(of: v.littleEndian) { b += $0 } }
        for (name, data) in entries {
            let crc = data.withUnsafeBytes { nnom_crc32(0, $0.baseAddress, $0.count) }
            let offset = UInt32(out.count)
            let nameBytes = Array(name.utf8)
            u32(0x0403_4b50, &out); u16(20, &out); u16(0, &out); u16(0, &out); u16(0, &out); u16(0x21, &out)
            u32(crc, &out); u32(UInt32(data.count), &out); u32(UInt32(data.count), &out)
            u16(nameBytes.count, &out); u16(0, &out); out += nameBytes; out += data
            u32(0x0201_4b50, &central); u16(20, &central); u16(20, &central); u16(0, &central); u16(0, &central)
            u16(0, &central); u16(0x21, &central); u32(crc, &central); u32(UInt32(data.count), &central)
            u32(UInt32(data.count), &central); u16(nameBytes.count, &central); u16(0, &central); u16(0, &central)
            u16(0, &central); u16(0, &central); u32(0, &central); u32(offset, &central); central += nameBytes
        }
        let centralOffset = UInt32(out.count)
        out += central
        u32(0x0605_4b50, &out); u16(0, &out); u16(0, &out); u16(entries.count, &out); u16(entries.count, &out)
        u32(UInt32(central.count), &out); u32(centralOffset, &out); u16(0, &out)
        return out
    }
}

// MARK: - running the CLI

struct CLIResult {
    let status: Int32
    let stdout: String
    let stderr: String
}

enum CLI {
    /// Runs the tool; @p during, if given, is called with the running process (to signal it, say).
    static func run(_ arguments: [String], environment: [String: String] = [:],
                    during: ((Process) throws -> Void)? = nil,
                    file: StaticString = #filePath, line: UInt = #line) throws -> CLIResult {
        guard let binary = Paths.cli else {
            throw XCTSkip("the nnom executable was not found next to the test bundle; run 'swift build' first")
        }
        let folder = try TemporaryFolder()
        let out = folder.file("stdout"), err = folder.file("stderr")
        _ = FileManager.default.createFile(atPath: out.path, contents: nil)
        _ = FileManager.default.createFile(atPath: err.path, contents: nil)
        let process = Process()
        process.executableURL = binary
        process.arguments = arguments
        var env = ProcessInfo.processInfo.environment
        env["NNOM_PROGRESS"] = "0"
        env.merge(environment) { $1 }
        process.environment = env
        let outHandle = try FileHandle(forWritingTo: out), errHandle = try FileHandle(forWritingTo: err)
        process.standardOutput = outHandle
        process.standardError = errHandle
        try process.run()
        do {
            try during?(process)
        } catch {
            process.terminate()
            process.waitUntilExit()
            throw error
        }
        process.waitUntilExit()
        try outHandle.close()
        try errHandle.close()
        return CLIResult(status: process.terminationStatus,
                         stdout: try String(contentsOf: out, encoding: .utf8),
                         stderr: try String(contentsOf: err, encoding: .utf8))
    }
}

/// Bit patterns of floats, so that equality means bit for bit.
func bits(_ values: [Float]) -> [UInt32] { values.map(\.bitPattern) }
