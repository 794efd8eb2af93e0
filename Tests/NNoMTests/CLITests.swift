import CNNoM
import Foundation
import XCTest
@testable import NNoM

/// The built `nnom` executable, end to end: outputs, tables and exit codes.
final class CLITests: XCTestCase {
    var folder: TemporaryFolder!
    var modelFile: URL!
    var model: Model!

    override func setUpWithError() throws {
        folder = try TemporaryFolder()
        modelFile = folder.file("cnn.nnom")
        let bytes = try HandBuiltModel.int8CNN().serialized()
        try Data(bytes).write(to: modelFile)
        model = try Model(bytes: bytes)
    }

    override func tearDown() {
        // XCTest keeps test case objects alive until the end of the run: free the folder now
        folder = nil
        model = nil
    }

    /// A failure: exit code, and exactly one line on stderr (no usage dump, no backtrace).
    func assertFails(_ result: CLIResult, code: Int32, containing text: String,
                     file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(result.status, code, result.stderr, file: file, line: line)
        let lines = result.stderr.split(separator: "\n", omittingEmptySubsequences: false)
        XCTAssertEqual(lines.count, 2, "one line and its newline: \(result.stderr)", file: file, line: line)
        XCTAssertTrue(result.stderr.hasPrefix("nnom: error: "), result.stderr, file: file, line: line)
        XCTAssertTrue(result.stderr.contains(text), "'\(result.stderr)' should contain '\(text)'", file: file, line: line)
        XCTAssertEqual(result.stdout, "", file: file, line: line)
    }

    func testHelpAndVersion() throws {
        let help = try CLI.run(["--help"])
        XCTAssertEqual(help.status, 0)
        for command in ["convert", "inspect", "run", "eval", "bench"] {
            XCTAssertTrue(help.stdout.contains(command), command)
        }
        let version = try CLI.run(["--version"])
        XCTAssertEqual(version.status, 0)
        XCTAssertEqual(version.stdout.trimmingCharacters(in: .whitespacesAndNewlines), libraryVersion)
        let convertHelp = try CLI.run(["help", "convert"])
        XCTAssertEqual(convertHelp.status, 0)
        XCTAssertTrue(convertHelp.stdout.contains("--calibration"))
        XCTAssertTrue(convertHelp.stdout.contains("--per-tensor"))
    }

    func testInspectTellsThePlan() throws {
        let small = try CLI.run(["inspect", modelFile.path])
        XCTAssertEqual(small.status, 0, small.stderr)
        XCTAssertTrue(small.stdout.contains("plan: smallest"), small.stdout)
        let fast = try CLI.run(["inspect", modelFile.path, "--plan", "fastest"])
        XCTAssertEqual(fast.status, 0, fast.stderr)
        XCTAssertTrue(fast.stdout.contains("plan: fastest (nothing in place or tiled): the fastest plan: the plain plan fits"),
                      fast.stdout)
        let bad = try CLI.run(["inspect", modelFile.path, "--plan", "quick"])
        XCTAssertNotEqual(bad.status, 0)
        XCTAssertTrue(bad.stderr.contains("quick"), bad.stderr)
        assertFails(try CLI.run(["inspect", modelFile.path, "--plan", "fastest", "--max-arena", "16"]), code: 1,
                    containing: "smallest plan needs an arena of")
    }

    func testInspectPrintsEveryLayerAndTotals() throws {
        let r = try CLI.run(["inspect", modelFile.path])
        XCTAssertEqual(r.status, 0, r.stderr)
        let lines = r.stdout.split(separator: "\n").map(String.init)
        for layer in model.layers {
            let row = lines.first { $0.split(separator: " ").dropFirst().first.map(String.init) == layer.name }
            XCTAssertNotNil(row, "row for \(layer.name)")
            guard let row else { continue }
            let cells = row.split(separator: " ").map(String.init)
            XCTAssertEqual(cells[0], "\(layer.index)")
            XCTAssertEqual(cells[2], layer.type)
            XCTAssertTrue(row.contains(formatted(layer.macs)), "\(row) has MACs \(layer.macs)")
            XCTAssertTrue(row.contains("zp=\(layer.zeroPoint!)"), row)
        }
        XCTAssertTrue(lines.contains { $0.contains("(8, 8, 6)") }, "conv1's output shape")
        XCTAssertTrue(lines.contains { $0.contains("in place") }, "some layer runs in place")
        XCTAssertTrue(lines.contains("RAM: \(formatted(model.arenaSize)) bytes of arena (lower bound "
                                     + "\(formatted(model.arenaLowerBound)) bytes: the most alive at one layer); "
                                     + "a Cortex-M DSP firmware plans \(formatted(model.cortexMDSPArenaSize)) bytes"),
                      r.stdout)
        XCTAssertGreaterThan(model.cortexMDSPArenaSize, 0)
        XCTAssertTrue(lines.contains { $0.hasPrefix("flash: \(formatted(model.flashSize)) bytes") }, r.stdout)
        XCTAssertTrue(lines.contains("MACs: \(formatted(model.totalMACs)) per inference"), r.stdout)
    }

    func testRunWritesTheModelsOutputsBitForBit() throws {
        var rng = TestRandom(seed: 77)
        let x = NumPyArray(shape: [6, 8, 8, 1], values: rng.floats(6 * 64))
        try x.write(npy: folder.file("x.npy"))
        let r = try CLI.run(["run", modelFile.path, "--input", folder.file("x.npy").path, "--output", folder.file("y.npy").path])
        XCTAssertEqual(r.status, 0, r.stderr)
        let y = try NumPyArray(npy: folder.file("y.npy"))
        XCTAssertEqual(y.shape, [6, 10])
        XCTAssertEqual(bits(y.values), bits(try model.predict(x.rows).flatMap { $0 }))

        // one sample, printed
        try NumPyArray(shape: [8, 8, 1], values: x.rows[2]).write(npy: folder.file("one.npy"))
        let printed = try CLI.run(["run", modelFile.path, "--input", folder.file("one.npy").path])
        XCTAssertEqual(printed.status, 0, printed.stderr)
        let values = printed.stdout.split(whereSeparator: \.isWhitespace).compactMap { Float(String($0)) }
        XCTAssertEqual(bits(values), bits(try model.predict(x.rows[2])))
    }

    func testEvalPrintsAccuracyTopKAndConfusion() throws {
        var rng = TestRandom(seed: 31)
        let n = 90
        let x = NumPyArray(shape: [n, 8, 8, 1], values: rng.floats(n * 64))
        let labels = (0..<n).map { Int64($0 % 10) }
        try x.write(npy: folder.file("x.npy"))
        let npz = folder.file("test.npz")
        try Data(TestFiles.zipStored([("x.npy", [UInt8](try Data(contentsOf: folder.file("x.npy")))),
                                      ("y.npy", TestFiles.npyInt64(labels, shape: [n]))])).write(to: npz)
        let expected = try model.evaluate(samples: x.rows, labels: labels.map(Int.init), topK: 3)

        let r = try CLI.run(["eval", modelFile.path, "--data", npz.path, "--top-k", "3"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let lines = r.stdout.split(separator: "\n").map(String.init)
        XCTAssertTrue(lines.contains("samples: \(n), classes: 10"), r.stdout)
        XCTAssertTrue(lines.contains(String(format: "accuracy: %.2f%% (%d/%d)", expected.accuracy * 100, expected.top1Correct, n)), r.stdout)
        XCTAssertTrue(lines.contains(String(format: "top-3 accuracy: %.2f%% (%d/%d)", expected.topKAccuracy * 100, expected.topKCorrect, n)), r.stdout)
        for (label, row) in expected.confusion.enumerated() {
            let printed = lines.first { $0.split(separator: " ").first == Substring("\(label)") && $0.split(separator: " ").count == 12 }
            XCTAssertEqual(printed?.split(separator: " ").dropFirst().prefix(10).map { Int($0) }, row.map { $0 }, "row \(label)")
        }

        // the same from two .npy files
        try Data(TestFiles.npyInt64(labels, shape: [n])).write(to: folder.file("y.npy"))
        let separate = try CLI.run(["eval", modelFile.path, "--data", folder.file("x.npy").path,
                                    "--labels", folder.file("y.npy").path, "--top-k", "3"])
        XCTAssertEqual(separate.status, 0, separate.stderr)
        XCTAssertEqual(separate.stdout, r.stdout)
    }

    func testBenchShowsEveryLayerAndTheRunCount() throws {
        let r = try CLI.run(["bench", modelFile.path, "--runs", "20"], environment: ["NNOM_PROGRESS": "1"])
        XCTAssertEqual(r.status, 0, r.stderr)
        for layer in model.layers {
            XCTAssertTrue(r.stdout.contains(" \(layer.name) "), layer.name)
        }
        XCTAssertTrue(r.stdout.contains("runs: 20 (after 5 warm-up)"), r.stdout)
        XCTAssertTrue(r.stdout.contains("MACs: \(formatted(model.totalMACs)) per inference"), r.stdout)
        XCTAssertTrue(r.stderr.contains("benchmarking"), "progress on stderr: \(r.stderr)")
        XCTAssertTrue(r.stderr.contains("20/20"), r.stderr)
    }

    func testConvertEndToEnd() throws {
        let keras = Paths.kerasFixtures.appendingPathComponent("digits_cnn.keras")
        let xFile = Paths.kerasFixtures.appendingPathComponent("digits_test_x.npy")
        guard FileManager.default.fileExists(atPath: keras.path), FileManager.default.fileExists(atPath: xFile.path) else {
            throw XCTSkip("digits_cnn fixtures missing")
        }
        let out = folder.file("digits.nnom"), header = folder.file("digits_weights.h")
        let r = try CLI.run(["convert", keras.path, "--calibration", xFile.path, "--method", "percentile",
                             "-o", out.path, "--header", header.path], environment: ["NNOM_PROGRESS": "1"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stderr.contains("calibrating"), "calibration progress on stderr: \(r.stderr)")
        XCTAssertTrue(r.stdout.contains("SQNR dB"), r.stdout)
        XCTAssertTrue(r.stdout.contains("top-1 agreement"), r.stdout)
        XCTAssertTrue(r.stdout.contains("digits_weights_load()"), r.stdout)
        XCTAssertTrue(FileManager.default.fileExists(atPath: header.path))
        let samples = try NumPyArray(npy: xFile).rows
        let (swiftModel, report) = try Converter.convert(keras: keras, calibration: samples,
                                                         options: ConversionOptions(method: .percentile))
        XCTAssertEqual([UInt8](try Data(contentsOf: out)), try swiftModel.serialized())
        for row in report.layers {
            XCTAssertTrue(r.stdout.contains(" \(row.name) "), row.name)
        }
    }

    // MARK: failures

    func testMissingModelFile() throws {
        assertFails(try CLI.run(["inspect", "/no/such/file.nnom"]), code: 1, containing: "/no/such/file.nnom")
    }

    func testGarbageModelFile() throws {
        let bad = folder.file("bad.nnom")
        try Data(repeating: 0x41, count: 300).write(to: bad)
        for command in ["inspect", "bench"] {
            assertFails(try CLI.run([command, bad.path]), code: 1, containing: "not a .nnom file")
        }
    }

    func testCorruptModelFile() throws {
        var bytes = [UInt8](try Data(contentsOf: modelFile))
        bytes[bytes.count / 2] ^= 1
        try Data(bytes).write(to: folder.file("corrupt.nnom"))
        assertFails(try CLI.run(["inspect", folder.file("corrupt.nnom").path]), code: 1, containing: "checksum")
    }

    func testMissingArguments() throws {
        assertFails(try CLI.run(["run", modelFile.path]), code: 64, containing: "--input")
        assertFails(try CLI.run(["inspect"]), code: 64, containing: "<model>")
        assertFails(try CLI.run(["convert", "m.keras", "-o", "x.nnom"]), code: 64, containing: "--calibration")
        assertFails(try CLI.run(["frobnicate"]), code: 64, containing: "frobnicate")
        assertFails(try CLI.run(["bench", modelFile.path, "--runs", "0"]), code: 64, containing: "--runs")
        assertFails(try CLI.run(["convert", "m.keras", "--calibration", "x.npy", "-o", "x.nnom", "--method", "median"]),
                    code: 64, containing: "median")
    }

    func testRunWithInputOfTheWrongShape() throws {
        try NumPyArray(shape: [3, 7], values: [Float](repeating: 0, count: 21)).write(npy: folder.file("x.npy"))
        assertFails(try CLI.run(["run", modelFile.path, "--input", folder.file("x.npy").path]), code: 1,
                    containing: "(3, 7)")
    }

    func testEvalWithAMissingArray() throws {
        try NumPyArray(shape: [2, 64], values: [Float](repeating: 0, count: 128)).write(npy: folder.file("x.npy"))
        let npz = folder.file("only_x.npz")
        try Data(TestFiles.zipStored([("x.npy", [UInt8](try Data(contentsOf: folder.file("x.npy"))))])).write(to: npz)
        let r = try CLI.run(["eval", modelFile.path, "--data", npz.path])
        assertFails(r, code: 1, containing: "y")
    }

    func testConvertABadKerasFile() throws {
        let bogus = folder.file("bogus.keras")
        try Data("not a keras file".utf8).write(to: bogus)
        try NumPyArray(shape: [1, 3], values: [0, 0, 0]).write(npy: folder.file("x.npy"))
        let r = try CLI.run(["convert", bogus.path, "--calibration", folder.file("x.npy").path, "-o", folder.file("o.nnom").path])
        assertFails(r, code: 1, containing: "bogus.keras")
        XCTAssertFalse(FileManager.default.fileExists(atPath: folder.file("o.nnom").path))
    }

    func testConvertReportsACrashWhileReadingTheKerasFile() throws {
        // The reader opens a FIFO and waits for a writer: the test knows the tool is inside the read when
        // its own open for writing succeeds, and sends the signal a crash in libhdf5 would raise.
        let fifo = folder.file("stuck.keras")
        XCTAssertEqual(mkfifo(fifo.path, 0o600), 0, String(cString: strerror(errno)))
        try NumPyArray(shape: [1, 3], values: [0, 0, 0]).write(npy: folder.file("x.npy"))
        let r = try CLI.run(["convert", fifo.path, "--calibration", folder.file("x.npy").path,
                             "-o", folder.file("o.nnom").path], during: { process in
            var writer: Int32 = -1
            let deadline = Date().addingTimeInterval(60)
            while writer < 0 && process.isRunning && Date() < deadline {
                writer = open(fifo.path, O_WRONLY | O_NONBLOCK)  // ENXIO until the reader has opened it
                if writer < 0 { usleep(10_000) }
            }
            guard writer >= 0 else { throw XCTSkip("the tool never opened the FIFO") }
            kill(process.processIdentifier, SIGSEGV)
            process.waitUntilExit()
            close(writer)
        })
        assertFails(r, code: 1, containing: "reading '\(fifo.path)' crashed the Keras reader (signal \(SIGSEGV), SIGSEGV)")
        XCTAssertTrue(r.stderr.contains("the file is corrupt"), r.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: folder.file("o.nnom").path))
    }

    func testConvertRefusesCalibrationOfTheWrongShapeOrOrder() throws {
        let keras = Paths.kerasFixtures.appendingPathComponent("two_inputs_two_outputs.keras")
        let image = Paths.kerasFixtures.appendingPathComponent("two_inputs_two_outputs.input0.npy")
        let vector = Paths.kerasFixtures.appendingPathComponent("two_inputs_two_outputs.input1.npy")
        let out = folder.file("two.nnom")
        func convert(_ files: [URL]) throws -> CLIResult {
            try CLI.run(["convert", keras.path] + files.flatMap { ["--calibration", $0.path] } + ["-o", out.path])
        }
        assertFails(try convert([vector, image]), code: 1,
                    containing: "calibration input 0 ('image'): expected shape (batch, 8, 8, 3), given (8, 6), "
                        + "the shape of input 1 ('vector'): give the inputs in the model's order")
        assertFails(try convert([image]), code: 1, containing: "the model has 2 inputs")
        try NumPyArray(shape: [8, 5], values: [Float](repeating: 0, count: 40)).write(npy: folder.file("v5.npy"))
        assertFails(try convert([image, folder.file("v5.npy")]), code: 1,
                    containing: "calibration input 1 ('vector'): expected shape (batch, 6), given (8, 5)")
        XCTAssertFalse(FileManager.default.fileExists(atPath: out.path))
        let ok = try convert([image, vector])
        XCTAssertEqual(ok.status, 0, ok.stderr)
        // the CLI's model is the library's, from the same samples
        let samples = zip(try NumPyArray(npy: image).rows, try NumPyArray(npy: vector).rows).map { $0 + $1 }
        let (library, _) = try Converter.convert(keras: keras, calibration: samples)
        XCTAssertEqual([UInt8](try Data(contentsOf: out)), try library.serialized())
    }

    func testRunRefusesNonFiniteInputsUnlessAllowed() throws {
        let count = model.inputs[0].count
        var values = [Float](repeating: 0.25, count: 3 * count)
        values[count + 5] = .nan
        try NumPyArray(shape: [3] + model.inputs[0].shape, values: values).write(npy: folder.file("nan.npy"))
        let input = folder.file("nan.npy").path
        assertFails(try CLI.run(["run", modelFile.path, "--input", input]), code: 1,
                    containing: "\(input): sample 1: input 0 ('\(model.inputs[0].name)'): value 5 is NaN")
        let refused = try CLI.run(["run", modelFile.path, "--input", input])
        XCTAssertTrue(refused.stderr.contains("--allow-nonfinite"), refused.stderr)
        let allowed = try CLI.run(["run", modelFile.path, "--input", input, "--allow-nonfinite"])
        XCTAssertEqual(allowed.status, 0, allowed.stderr)
        // NaN is quantised to the zero point: the value 0.0
        values[count + 5] = 0
        try NumPyArray(shape: [3] + model.inputs[0].shape, values: values).write(npy: folder.file("zero.npy"))
        let zero = try CLI.run(["run", modelFile.path, "--input", folder.file("zero.npy").path])
        XCTAssertEqual(allowed.stdout, zero.stdout)
        XCTAssertFalse(zero.stdout.isEmpty)
    }

    // MARK: several inputs, file names, wording

    func testConvertRunAndEvalTakeANPZKeyedByInputName() throws {
        let keras = Paths.kerasFixtures.appendingPathComponent("two_inputs_two_outputs.keras")
        let image = Paths.kerasFixtures.appendingPathComponent("two_inputs_two_outputs.input0.npy")
        let vector = Paths.kerasFixtures.appendingPathComponent("two_inputs_two_outputs.input1.npy")
        let npz = folder.file("inputs.npz")
        // the arrays in the other order than the model's: the names decide
        try Data(TestFiles.zipStored([("vector.npy", [UInt8](try Data(contentsOf: vector))),
                                      ("image.npy", [UInt8](try Data(contentsOf: image)))])).write(to: npz)
        let fromNPZ = folder.file("npz.nnom"), fromNPY = folder.file("npy.nnom")
        let a = try CLI.run(["convert", keras.path, "--calibration", npz.path, "-o", fromNPZ.path])
        XCTAssertEqual(a.status, 0, a.stderr)
        let b = try CLI.run(["convert", keras.path, "--calibration", image.path, "--calibration", vector.path,
                             "-o", fromNPY.path])
        XCTAssertEqual(b.status, 0, b.stderr)
        XCTAssertEqual(try Data(contentsOf: fromNPZ), try Data(contentsOf: fromNPY))

        // run: the .npz, and one .npy per input, give the library's outputs
        let m = try Model(contentsOf: fromNPZ)
        let xa = try NumPyArray(npy: image).rows, xb = try NumPyArray(npy: vector).rows
        var expected: [[Float]] = []
        for (ra, rb) in zip(xa, xb) {
            try m.setInput(ra, at: 0)
            try m.setInput(rb, at: 1)
            try m.run()
            expected.append(try m.output(at: 0))
        }
        let out = folder.file("y.npy")
        let runNPZ = try CLI.run(["run", fromNPZ.path, "--input", npz.path, "-o", out.path])
        XCTAssertEqual(runNPZ.status, 0, runNPZ.stderr)
        XCTAssertEqual(bits(try NumPyArray(npy: out).values), bits(expected.flatMap { $0 }))
        let runNPY = try CLI.run(["run", fromNPZ.path, "--input", image.path, "--input", vector.path])
        XCTAssertEqual(runNPY.status, 0, runNPY.stderr)
        let printed = runNPY.stdout.split(whereSeparator: \.isWhitespace).compactMap { Float(String($0)) }
        XCTAssertEqual(bits(printed), bits(expected.flatMap { $0 }))
        assertFails(try CLI.run(["run", fromNPZ.path, "--input", image.path]), code: 1,
                    containing: "the model has 2 inputs (0 'image', 1 'vector'), 1 file given to --input")

        // eval: labels the model's own argmax for the first half, shifted for the rest; scored as the library does
        let classes = expected[0].count
        let labels = expected.enumerated().map { i, y in
            (y.indices.max { y[$0] < y[$1] }! + (i % 2)) % classes
        }
        try Data(TestFiles.npyInt64(labels.map(Int64.init), shape: [labels.count])).write(to: folder.file("l.npy"))
        let library = try m.evaluate(samples: zip(xa, xb).map { $0 + $1 }, labels: labels, topK: 2)
        let e = try CLI.run(["eval", fromNPZ.path, "--data", npz.path, "--labels", folder.file("l.npy").path,
                             "--top-k", "2"])
        XCTAssertEqual(e.status, 0, e.stderr)
        XCTAssertTrue(e.stdout.contains(String(format: "accuracy: %.2f%% (%d/%d)", library.accuracy * 100,
                                               library.top1Correct, labels.count)), e.stdout)
        XCTAssertLessThan(library.top1Correct, labels.count, "the labels are not all the model's answers")
        // a .npz missing an input names it and the names expected
        let partial = folder.file("partial.npz")
        try Data(TestFiles.zipStored([("image.npy", [UInt8](try Data(contentsOf: image)))])).write(to: partial)
        assertFails(try CLI.run(["run", fromNPZ.path, "--input", partial.path]), code: 1,
                    containing: "has no array 'vector' for input 1 ('vector')")
    }

    func testAMissingFileIsSaidOneWay() throws {
        try NumPyArray(shape: [1, 8, 8, 1], values: [Float](repeating: 0, count: 64)).write(npy: folder.file("x.npy"))
        let x = folder.file("x.npy").path
        let cases: [([String], String)] = [
            (["inspect", "/no/such/m.nnom"], "/no/such/m.nnom"),
            (["run", modelFile.path, "--input", "/no/such/x.npy"], "/no/such/x.npy"),
            (["run", modelFile.path, "--input", "/no/such/x.npz"], "/no/such/x.npz"),
            (["convert", "/no/such/m.keras", "--calibration", x, "-o", folder.file("o.nnom").path], "/no/such/m.keras"),
            (["eval", modelFile.path, "--data", "/no/such/d.npz"], "/no/such/d.npz"),
        ]
        for (args, path) in cases {
            assertFails(try CLI.run(args), code: 1, containing: "cannot read '\(path)': no such file")
        }
    }

    func testUsageMistakesAreExplained() throws {
        // inputs without labels
        assertFails(try CLI.run(["eval", modelFile.path, "--data", "x.npy"]), code: 64,
                    containing: "--data x.npy holds inputs only: give the labels with --labels")
        // a Keras file where a .nnom model is expected
        let keras = Paths.kerasFixtures.appendingPathComponent("digits_cnn.keras").path
        for command in ["inspect", "bench"] {
            assertFails(try CLI.run([command, keras]), code: 1, containing: "is a Keras model, not a .nnom model: "
                        + "convert it first (nnom convert \(keras)")
        }
        // --method lists its values once
        let help = try CLI.run(["help", "convert"])
        XCTAssertEqual(help.stdout.components(separatedBy: "minmax").count - 1, 2, help.stdout)  // values, default
        XCTAssertEqual(help.stdout.components(separatedBy: "kl").count - 1, 1, help.stdout)
    }

    func testHeaderNameComesFromTheFileName() throws {
        let keras = Paths.kerasFixtures.appendingPathComponent("dense.keras")
        let x = Paths.kerasFixtures.appendingPathComponent("dense.input.npy")
        let header = folder.file("weights-v2.h")
        let r = try CLI.run(["convert", keras.path, "--calibration", x.path, "-o", folder.file("d.nnom").path,
                             "--header", header.path])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.contains("weights_v2_load()"), r.stdout)
        let text = try String(contentsOf: header, encoding: .utf8)
        XCTAssertTrue(text.contains("weights_v2_load("), "the header defines the name printed")
        XCTAssertEqual(headerName(for: header), "weights_v2")
    }

    private func formatted(_ value: some BinaryInteger) -> String {
        let digits = String(value)
        var out = ""
        for (i, ch) in digits.enumerated() {
            if i > 0 && (digits.count - i) % 3 == 0 { out.append(",") }
            out.append(ch)
        }
        return out
    }
}
