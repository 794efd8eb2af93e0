import ArgumentParser
import Foundation
import NNoM

struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Time a model layer by layer (runtime timer hook) and show its MACs.",
        discussion: """
            Inputs are fixed pseudo-random values. Times come from a microsecond clock read by \
            the runtime around each layer; build with 'swift build -c release' for meaningful \
            numbers.
            """
    )

    @Argument(help: "The .nnom model.")
    var model: String

    @OptionGroup var operators: OperatorOptions
    @OptionGroup var plan: PlanOptions

    @Option(help: "Number of timed inferences.")
    var runs = 100

    @Option(help: "Untimed inferences before timing.")
    var warmup = 5

    func validate() throws {
        if runs < 1 { throw ValidationError("--runs must be at least 1") }
        if warmup < 0 { throw ValidationError("--warmup must not be negative") }
    }

    func run() throws {
        let m = try loadModel(model, timing: true, operators: operators, plan: plan)
        var seed: UInt32 = 0x2545_F491
        func next() -> UInt32 {
            seed = seed &* 1_664_525 &+ 1_013_904_223
            return seed >> 8
        }
        for (i, info) in m.inputs.enumerated() {
            if m.elementType == .int8 {
                try m.setInput(int8: (0..<info.count).map { _ in Int8(truncatingIfNeeded: next()) }, at: i)
            } else {
                try m.setInput((0..<info.count).map { _ in Float(next() % 2001) / 1000 - 1 }, at: i)
            }
        }
        for _ in 0..<warmup { try m.run() }
        m.resetStats()
        var bar = Progress("benchmarking", total: runs)
        let start = DispatchTime.now().uptimeNanoseconds
        for i in 0..<runs {
            try m.run()
            bar.update(i + 1)
        }
        let wall = Double(DispatchTime.now().uptimeNanoseconds - start) / 1_000 / Double(runs)

        let stats = m.stats
        let layerTotal = stats.reduce(0.0) { $0 + $1.meanMicroseconds }
        var table = TextTable([("#", .right), ("layer", .left), ("type", .left), ("MACs", .right),
                               ("us/run", .right), ("share", .right), ("MMAC/s", .right)])
        for s in stats {
            let t = s.meanMicroseconds
            table.add(["\(s.index)", s.name, s.type, grouped(s.macs), String(format: "%.2f", t),
                       layerTotal > 0 ? String(format: "%.1f%%", 100 * t / layerTotal) : "-",
                       t > 0 && s.macs > 0 ? String(format: "%.1f", Double(s.macs) / t) : "-"])
        }
        print(table.render())
        print("")
        print("runs: \(runs) (after \(warmup) warm-up), \(String(format: "%.2f", wall)) us per inference "
              + "(\(String(format: "%.2f", layerTotal)) us in layers), \(String(format: "%.1f", 1e6 / wall)) inferences/s")
        print("MACs: \(grouped(m.totalMACs)) per inference, arena \(grouped(m.arenaSize)) bytes, "
              + "flash \(grouped(m.flashSize)) bytes")
    }
}
