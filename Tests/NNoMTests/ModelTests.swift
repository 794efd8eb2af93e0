import CNNoM
import Foundation
import XCTest
@testable import NNoM

/// The Swift `Model` against the C runtime called directly: same outputs bit
/// for bit, same introspection, same file bytes.
final class ModelTests: XCTestCase {
    func testInt8ModelPredictsBitForBitLikeTheCRuntime() throws {
        let built = try HandBuiltModel.int8CNN()
        let model = try Model(bytes: try built.serialized())
        var rng = TestRandom(seed: 99)
        for _ in 0..<25 {
            let image = rng.floats(64)
            let expected = try built.runC(image)
            let got = try model.predict(image)
            XCTAssertEqual(bits(got), bits(expected))
            XCTAssertEqual(got.count, 10)
            XCTAssertEqual(Double(got.reduce(0, +)), 1.0, accuracy: 0.05, "softmax output sums to about 1")
        }
    }

    func testInt8PathMatchesTheCRuntime() throws {
        let built = try HandBuiltModel.int8CNN()
        let model = try Model(bytes: try built.serialized())
        var rng = TestRandom(seed: 5)
        for _ in 0..<25 {
            let image = (0..<64).map { _ in rng.int8(-128...127) }
            XCTAssertEqual(try model.predict(int8: image), try built.runC(int8: image))
        }
    }

    func testFloat32ModelPredictsBitForBitLikeTheCRuntime() throws {
        let built = try HandBuiltModel.float32CNN()
        let model = try Model(bytes: try built.serialized())
        XCTAssertEqual(model.elementType, .float32)
        var rng = TestRandom(seed: 3)
        for _ in 0..<10 {
            let image = rng.floats(64, -1, 1)
            XCTAssertEqual(bits(try model.predict(image)), bits(try built.runC(image)))
        }
    }

    func testBatchPredictionEqualsOneByOne() throws {
        let model = try Model(bytes: try HandBuiltModel.int8CNN().serialized())
        var rng = TestRandom(seed: 1)
        let batch = (0..<12).map { _ in rng.floats(64) }
        let together = try model.predict(batch)
        XCTAssertEqual(together.count, batch.count)
        for (x, y) in zip(batch, together) {
            XCTAssertEqual(bits(try model.predict(x)), bits(y))
        }
        let int8Batch = batch.map { $0.map { Int8(clamping: Int(($0 * 255).rounded()) - 128) } }
        XCTAssertEqual(try model.predict(int8: int8Batch), try int8Batch.map { try model.predict(int8: $0) })
    }

    func testLayersMirrorTheCompiledCModel() throws {
        let built = try HandBuiltModel.int8CNN()
        let model = try Model(bytes: try built.serialized())
        let m = built.handle!
        XCTAssertEqual(model.layers.count, Int(nnom_model_layer_count(m)))
        XCTAssertEqual(model.layers.map(\.name),
                       ["image", "conv1", "pool1", "conv2", "shortcut", "add", "gap", "dense", "softmax", "probabilities"])
        XCTAssertEqual(model.layers.map(\.type),
                       ["input", "conv2d", "max_pool2d", "conv2d", "conv2d", "add", "global_avg_pool", "dense",
                        "softmax", "output"])
        for layer in model.layers {
            var info = nnom_layer_info()
            nnom_layer_info_init(&info)
            XCTAssertEqual(nnom_model_layer_info(m, Int32(layer.index), &info), NNOM_OK)
            XCTAssertEqual(layer.shape, shapeArray(info.shape))
            XCTAssertEqual(layer.macs, info.macs)
            XCTAssertEqual(layer.arenaOffset, Int(info.arena_offset))
            XCTAssertEqual(layer.arenaBytes, Int(info.arena_bytes))
            XCTAssertEqual(layer.inPlace, info.in_place != 0)
            XCTAssertEqual(layer.scale, info.quant.scale)
            XCTAssertEqual(layer.zeroPoint, Int(info.quant.zero_point))
            XCTAssertLessThanOrEqual(layer.arenaOffset + layer.arenaBytes, model.arenaSize, layer.name)
        }
        XCTAssertEqual(model.layers[1].shape, [8, 8, 6])
        XCTAssertEqual(model.layers[1].macs, 8 * 8 * 6 * 9)
        XCTAssertEqual(model.layers[5].inputs, [3, 4])
        XCTAssertEqual(model.layers.last?.shape, [10])
        XCTAssertEqual(model.arenaSize, nnom_model_arena_size(m))
        XCTAssertEqual(model.arenaLowerBound, nnom_model_arena_lower_bound(m))
        XCTAssertGreaterThan(model.arenaLowerBound, 0)
        XCTAssertLessThanOrEqual(model.arenaLowerBound, model.arenaSize)
        XCTAssertEqual(model.totalMACs, nnom_model_total_macs(m))
        XCTAssertEqual(model.totalMACs, model.layers.reduce(0) { $0 + $1.macs })
        var tiling = nnom_tiling_info()
        nnom_tiling_info_init(&tiling)
        XCTAssertEqual(nnom_model_tiling(m, &tiling), NNOM_OK)
        XCTAssertEqual(model.tiling?.firstLayer ?? -1, Int(tiling.first_layer))
        XCTAssertEqual(model.tiling?.tiles ?? 0, Int(tiling.tiles))
        XCTAssertEqual(model.tiling?.extraMACs ?? 0, tiling.extra_macs)
        XCTAssertEqual(model.tiling?.keptBandBytes ?? 0, Int(tiling.kept_band_bytes))
        XCTAssertEqual(model.tiling.map { $0.untiledArenaSize - $0.savedBytes } ?? model.arenaSize, model.arenaSize)
        XCTAssertEqual(model.weightBytes, nnom_model_weight_bytes(m))
        XCTAssertEqual(model.inputs.map(\.shape), [[8, 8, 1]])
        XCTAssertEqual(model.inputs.first?.quantization, Quantization(scale: 1 / 255, zeroPoint: -128))
        XCTAssertEqual(model.outputs.map(\.name), ["probabilities"])
    }

    func testFastestPlanFitsTheLimitAndGivesTheSameOutputs() throws {
        let bytes = try HandBuiltModel.int8CNN().serialized()
        let small = try Model(bytes: bytes)
        XCTAssertEqual(small.plan.goal, .smallest)
        XCTAssertEqual(small.plan.arenaSize, small.arenaSize)
        XCTAssertLessThanOrEqual(small.arenaSize, small.plan.plainArenaSize)
        let fast = try Model(bytes: bytes, planGoal: .fastest)
        XCTAssertEqual(fast.plan.goal, .fastest)
        XCTAssertFalse(fast.plan.windowsInPlace || fast.plan.tiled)
        XCTAssertEqual(fast.arenaSize, small.plan.plainArenaSize)
        XCTAssertTrue(fast.plan.reason.contains("the plain plan fits"), fast.plan.reason)
        let held = try Model(bytes: bytes, planGoal: .fastest, maxArenaBytes: small.arenaSize)
        XCTAssertLessThanOrEqual(held.arenaSize, small.arenaSize)
        let x = (0..<64).map { Int8(truncatingIfNeeded: $0 * 37 - 100) }
        XCTAssertEqual(try fast.predict(int8: x), try small.predict(int8: x))
        XCTAssertEqual(try held.predict(int8: x), try small.predict(int8: x))
        XCTAssertThrowsError(try Model(bytes: bytes, planGoal: .fastest, maxArenaBytes: small.arenaSize - 4)) { error in
            let e = error as? NNoMError
            XCTAssertEqual(e?.status, .noMemory)
            XCTAssertTrue(e?.message.contains("smallest plan needs an arena of \(small.arenaSize) bytes") ?? false,
                          e?.message ?? "")
        }
    }

    func testFloat32LayersHaveNoQuantization() throws {
        let model = try Model(bytes: try HandBuiltModel.float32CNN().serialized())
        XCTAssertTrue(model.layers.allSatisfy { $0.quantization == nil && $0.scale == nil })
        XCTAssertNil(model.inputs[0].quantization)
    }

    func testFlashSizeIsTheFileSizeAndSaveRoundTrips() throws {
        let bytes = try HandBuiltModel.int8CNN().serialized()
        let model = try Model(bytes: bytes)
        XCTAssertEqual(model.flashSize, bytes.count)
        XCTAssertGreaterThan(model.flashSize, model.weightBytes)
        XCTAssertEqual(try model.serialized(), bytes)
        let folder = try TemporaryFolder()
        let file = folder.file("cnn.nnom")
        try model.save(to: file)
        XCTAssertEqual([UInt8](try Data(contentsOf: file)), bytes)
        let again = try Model(contentsOf: file)
        XCTAssertEqual(again.layers, model.layers)
        let x = TestRandom(seed: 8).floatsCopy(64)
        XCTAssertEqual(bits(try again.predict(x)), bits(try model.predict(x)))
    }

    func testStatsCountRunsAndMACs() throws {
        let model = try Model(bytes: try HandBuiltModel.int8CNN().serialized())
        XCTAssertTrue(model.stats.allSatisfy { $0.runs == 0 })
        for _ in 0..<7 { _ = try model.predict([Float](repeating: 0.5, count: 64)) }
        let stats = model.stats
        XCTAssertEqual(stats.map(\.runs), [Int](repeating: 7, count: model.layers.count))
        XCTAssertEqual(stats.map(\.macs), model.layers.map(\.macs))
        XCTAssertEqual(stats.map(\.name), model.layers.map(\.name))
        model.resetStats()
        XCTAssertTrue(model.stats.allSatisfy { $0.runs == 0 && $0.timeMicroseconds == 0 })
    }

    func testTimerHookMeasuresTime() throws {
        let model = try Model(bytes: try HandBuiltModel.float32CNN().serialized(), timing: true)
        for _ in 0..<200 { _ = try model.predict([Float](repeating: 0.25, count: 64)) }
        XCTAssertGreaterThan(model.stats.reduce(0) { $0 + $1.timeMicroseconds }, 0)
        let untimed = try Model(bytes: try HandBuiltModel.float32CNN().serialized(), timing: false)
        for _ in 0..<20 { _ = try untimed.predict([Float](repeating: 0.25, count: 64)) }
        XCTAssertTrue(untimed.stats.allSatisfy { $0.timeMicroseconds == 0 && $0.runs == 20 })
    }

    func testModelOutlivesTheCallersBytes() throws {
        var bytes: [UInt8]? = try HandBuiltModel.int8CNN().serialized()
        let model = try Model(bytes: bytes!)
        let x = [Float](repeating: 0.7, count: 64)
        let before = try model.predict(x)
        bytes = nil  // the model keeps its own aligned copy
        for _ in 0..<3 { _ = [UInt8](repeating: 0xAB, count: 1 << 16) }
        XCTAssertEqual(bits(try model.predict(x)), bits(before))
    }

    func testTwoModelsFromTheSameBytesRunOnTwoThreads() throws {
        let bytes = try HandBuiltModel.int8CNN().serialized()
        let reference = try Model(bytes: bytes)
        let inputs = (0..<40).map { TestRandom(seed: UInt64($0) + 1).floatsCopy(64) }
        let expected = try inputs.map { try reference.predict($0) }
        let results = UnsafeMutableBufferPointer<Bool>.allocate(capacity: 2)
        results.initialize(repeating: false)
        defer { results.deallocate() }
        DispatchQueue.concurrentPerform(iterations: 2) { thread in
            guard let model = try? Model(bytes: bytes) else { return }
            results[thread] = (try? inputs.map { try model.predict($0) }).map { zip($0, expected).allSatisfy { bits($0) == bits($1) } } ?? false
        }
        XCTAssertEqual(Array(results), [true, true])
    }

    func testWriteHeaderEmbedsTheModelBytes() throws {
        let model = try Model(bytes: try HandBuiltModel.int8CNN().serialized())
        let folder = try TemporaryFolder()
        let header = folder.file("weights.h")
        try model.writeHeader(to: header, name: "tiny_cnn", source: "ModelTests")
        let text = try String(contentsOf: header, encoding: .utf8)
        XCTAssertTrue(text.contains("tiny_cnn_load"), "the header defines tiny_cnn_load()")
        XCTAssertTrue(text.contains("conv1"), "the header's top comment lists the layers")
    }
}

extension TestRandom {
    func floatsCopy(_ n: Int) -> [Float] {
        var copy = self
        return copy.floats(n)
    }
}
