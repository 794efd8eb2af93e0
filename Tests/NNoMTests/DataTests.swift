import CNNoM
import Foundation
import XCTest
@testable import NNoM

/// NumPy files through the C readers and writers, and evaluation through nnom_evaluate.
final class DataTests: XCTestCase {
    func testNpyRoundTrip() throws {
        let folder = try TemporaryFolder()
        var rng = TestRandom(seed: 4)
        let array = NumPyArray(shape: [3, 8, 8, 1], values: rng.floats(192, -3, 3))
        let file = folder.file("x.npy")
        try array.write(npy: file)
        let back = try NumPyArray(npy: file)
        XCTAssertEqual(back.shape, [3, 8, 8, 1])
        XCTAssertEqual(bits(back.values), bits(array.values))
        XCTAssertEqual(back.rows.count, 3)
        XCTAssertEqual(back.rows[2], Array(array.values[128..<192]))
    }

    func testInt64NpyAndNpz() throws {
        let folder = try TemporaryFolder()
        let labels = folder.file("y.npy")
        try Data(TestFiles.npyInt64([3, 1, 4, 1, 5], shape: [5])).write(to: labels)
        let y = try NumPyArray(npy: labels)
        XCTAssertEqual(y.shape, [5])
        XCTAssertEqual(y.values, [3, 1, 4, 1, 5])

        let xFile = folder.file("x.npy")
        try NumPyArray(shape: [5, 2], values: (0..<10).map(Float.init)).write(npy: xFile)
        let npz = folder.file("d.npz")
        try Data(TestFiles.zipStored([("x.npy", [UInt8](try Data(contentsOf: xFile))),
                                      ("y.npy", TestFiles.npyInt64([3, 1, 4, 1, 5], shape: [5]))])).write(to: npz)
        let x = try NumPyArray(npz: npz, key: "x")
        XCTAssertEqual(x.shape, [5, 2])
        XCTAssertEqual(x.values, (0..<10).map(Float.init))
        XCTAssertEqual(x.name, "x")
        XCTAssertEqual(try NumPyArray(npz: npz, key: "y").values, [3, 1, 4, 1, 5])
        XCTAssertThrowsError(try NumPyArray(npz: npz, key: "z"))
    }

    func testEvaluateMatchesTheCRuntimeAndArgmax() throws {
        let built = try HandBuiltModel.int8CNN()
        let model = try Model(bytes: try built.serialized())
        var rng = TestRandom(seed: 21)
        let samples = (0..<150).map { _ in rng.floats(64) }
        let predictions = try samples.map { try model.predict(int8: quantize($0)) }
        // labels: half agree with the model's best class, half are another class
        let best = predictions.map { p in p.firstIndex(of: p.max()!)! }
        let labels = best.enumerated().map { i, c in i % 2 == 0 ? c : (c + 1 + i % 9) % 10 }

        var progressCalls: [Int] = []
        let e = try model.evaluate(samples: samples, labels: labels, topK: 3, progress: { progressCalls.append($0) })
        XCTAssertEqual(e.samples, 150)
        XCTAssertEqual(e.classes, 10)
        XCTAssertEqual(e.k, 3)
        XCTAssertEqual(progressCalls.last, 150)
        XCTAssertEqual(progressCalls, progressCalls.sorted())

        // independent top-1 and confusion from the int8 scores (ties: lower class first)
        XCTAssertEqual(e.top1Correct, zip(best, labels).filter { $0 == $1 }.count)
        var confusion = [[Int]](repeating: [Int](repeating: 0, count: 10), count: 10)
        for (b, l) in zip(best, labels) { confusion[l][b] += 1 }
        XCTAssertEqual(e.confusion, confusion)
        XCTAssertEqual(e.accuracy, Double(e.top1Correct) / 150, accuracy: 1e-12)
        XCTAssertGreaterThanOrEqual(e.topKCorrect, e.top1Correct)

        // the C call directly, in one go
        var ce = nnom_eval()
        nnom_eval_init(&ce)
        ce.k = 3
        let flat = samples.flatMap { $0 }, cLabels = labels.map(Int32.init)
        XCTAssertEqual(nnom_evaluate(built.handle, flat, cLabels, samples.count, &ce), NNOM_OK)
        XCTAssertEqual(Int(ce.top1), e.top1Correct)
        XCTAssertEqual(Int(ce.topk), e.topKCorrect)
    }

    func testEvaluateRejectsBadLabelsAndSizes() throws {
        let model = try Model(bytes: try HandBuiltModel.int8CNN().serialized())
        let x = [[Float]](repeating: [Float](repeating: 0.5, count: 64), count: 3)
        XCTAssertThrowsError(try model.evaluate(samples: x, labels: [0, 1, 10])) { error in
            XCTAssertEqual((error as? NNoMError)?.status, .argument)
            XCTAssertTrue((error as? NNoMError)?.message.contains("label 10") ?? false, "\(error)")
        }
        XCTAssertThrowsError(try model.evaluate(samples: x, labels: [0, 1])) { error in
            XCTAssertEqual((error as? NNoMError)?.status, .argument)
        }
        XCTAssertThrowsError(try model.evaluate(samples: [[0, 1]], labels: [0])) { error in
            XCTAssertEqual((error as? NNoMError)?.status, .shape)
        }
    }

    /// The input quantisation of the test CNN (scale 1/255, zero point -128), via the C helper.
    private func quantize(_ x: [Float]) -> [Int8] {
        x.map { nnom_quant_s8($0, HandBuiltModel.imageQuant) }
    }
}
