// The runtime-only product: NNoMRuntime links the C runtime alone (no HDF5,
// libzip or cJSON: this test target depends on nothing else), loads a .nnom
// image, runs it, and serves tasks through ModelActor.
import CNNoMRuntime
import Foundation
import NNoMRuntime
import XCTest

/// A float32 model built through the C builder API: input (8) -> dense (4) + ReLU -> output.
private struct DenseModel {
    static let inputs = 8, units = 4
    let weights: [Float]   // [units][inputs]
    let bias: [Float]

    init(seed: UInt64) {
        var state = seed | 1
        func next() -> Float {   // xorshift64*, uniform in [-1, 1)
            state ^= state >> 12; state ^= state << 25; state ^= state >> 27
            return Float((state &* 2_685_821_657_736_338_717) >> 40) / Float(1 << 23) - 1
        }
        weights = (0..<(Self.units * Self.inputs)).map { _ in next() }
        bias = (0..<Self.units).map { _ in next() }
    }

    /// Dense + ReLU in double precision: the reference the runtime must match.
    func reference(_ x: [Float]) -> [Float] {
        (0..<Self.units).map { u in
            var sum = Double(bias[u])
            for i in 0..<Self.inputs { sum += Double(weights[u * Self.inputs + i]) * Double(x[i]) }
            return Float(max(sum, 0))
        }
    }

    /// The model's .nnom image, built and saved by the C runtime.
    func serialized() throws -> [UInt8] {
        var m: OpaquePointer?
        var err = nnom_error()
        guard nnom_model_create(NNOM_DTYPE_F32, nil, &m, &err) == NNOM_OK, let m else {
            throw NNoMError(.state, "nnom_model_create failed")
        }
        defer { nnom_model_destroy(m) }
        func check(_ st: nnom_status) throws {
            if st != NNOM_OK { throw NNoMError(.state, String(cString: nnom_model_last_error(m))) }
        }
        var shape = nnom_shape()
        shape.rank = 1
        shape.dims.0 = Int32(Self.inputs)
        var id: Int32 = -1
        try check(nnom_model_add_input(m, "x", shape, nnom_quant(scale: 1, zero_point: 0), &id))
        return try weights.withUnsafeBytes { w in
            try bias.withUnsafeBytes { b in
                var d = nnom_layer_desc()
                nnom_layer_desc_init(&d)
                d.type = NNOM_LAYER_DENSE
                d.n_inputs = 1
                d.inputs.0 = id
                d.params.units = Int32(Self.units)
                d.params.activation = Int32(NNOM_ACT_RELU.rawValue)
                d.blobs.0 = nnom_blob(data: w.baseAddress, size: UInt32(w.count))
                d.blobs.1 = nnom_blob(data: b.baseAddress, size: UInt32(b.count))
                try check(nnom_model_add_layer(m, &d, &id))
                var o = nnom_layer_desc()
                nnom_layer_desc_init(&o)
                o.type = NNOM_LAYER_OUTPUT
                o.n_inputs = 1
                o.inputs.0 = id
                try check(nnom_model_add_layer(m, &o, nil))
                try check(nnom_model_compile(m))
                var size = 0
                try check(nnom_model_save(m, nil, 0, &size))
                var bytes = [UInt8](repeating: 0, count: size)
                try check(bytes.withUnsafeMutableBytes { nnom_model_save(m, $0.baseAddress, size, &size) })
                return bytes
            }
        }
    }
}

final class RuntimeOnlyTests: XCTestCase {
    private func samples(_ n: Int) -> [[Float]] {
        (0..<n).map { s in (0..<DenseModel.inputs).map { i in Float((s * 7 + i * 3) % 11) / 5 - 1 } }
    }

    func testTheRuntimeProductLoadsAndRunsANNoMImage() throws {
        let spec = DenseModel(seed: 11)
        let model = try Model(bytes: try spec.serialized())
        XCTAssertEqual(model.inputs.map(\.shape), [[DenseModel.inputs]])
        for x in samples(16) {
            let y = try model.predict(x)
            for (a, b) in zip(y, spec.reference(x)) { XCTAssertEqual(a, b, accuracy: 1e-5) }
        }
    }

    func testModelActorServesConcurrentTasks() async throws {
        let spec = DenseModel(seed: 23)
        let shared = try ModelActor(bytes: try spec.serialized())
        let xs = samples(64)
        let results = try await withThrowingTaskGroup(of: (Int, [Float]).self) { group in
            for (i, x) in xs.enumerated() {
                group.addTask { (i, try await shared.predict(x)) }
            }
            var out = [[Float]](repeating: [], count: xs.count)
            for try await (i, y) in group { out[i] = y }
            return out
        }
        for (x, y) in zip(xs, results) {
            for (a, b) in zip(y, spec.reference(x)) { XCTAssertEqual(a, b, accuracy: 1e-5) }
        }
        let stats = await shared.stats
        XCTAssertEqual(stats.first { $0.type == "dense" }?.runs, xs.count)
    }

    func testLayerOutputsNeedKeepAllOutputsAndMatchTheReference() async throws {
        let spec = DenseModel(seed: 5)
        let bytes = try spec.serialized()
        let x = samples(1)[0]
        let plain = try Model(bytes: bytes)
        XCTAssertThrowsError(try plain.layerOutputs(x)) { error in
            XCTAssertTrue("\(error)".contains("keepAllOutputs"), "\(error)")
        }
        let shared = try ModelActor(bytes: bytes, keepAllOutputs: true)
        let outs = try await shared.layerOutputs(x)
        XCTAssertEqual(outs.count, shared.layers.count)
        XCTAssertEqual(outs[0], x)                        // the input layer holds the sample
        for (a, b) in zip(outs[1], spec.reference(x)) { XCTAssertEqual(a, b, accuracy: 1e-5) }
        XCTAssertEqual(outs.last, outs[1])                // the output layer is the dense layer's view
    }
}
