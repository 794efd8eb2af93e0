import ArgumentParser
import NNoM

struct Inspect: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspect",
        abstract: "List a model's layers: type, output shape, quantisation, MACs, arena offset and size."
    )

    @Argument(help: "The .nnom model.")
    var model: String

    @OptionGroup var operators: OperatorOptions
    @OptionGroup var plan: PlanOptions

    func run() throws {
        let m = try loadModel(model, operators: operators, plan: plan)
        var table = TextTable([("#", .right), ("layer", .left), ("type", .left), ("inputs", .left),
                               ("output", .left), ("quantisation", .left), ("MACs", .right),
                               ("weights", .right), ("arena offset", .right), ("arena bytes", .right),
                               ("notes", .left)])
        for layer in m.layers {
            var notes: [String] = []
            if let t = m.tiling, (t.firstLayer...t.cutLayer).contains(layer.index) {
                notes.append(layer.index == t.cutLayer ? "tiled (cut: written tile by tile)" : "tiled (one band at a time)")
            } else if layer.inPlace { notes.append("in place") }
            if layer.scratchBytes > 0 {
                notes.append("scratch \(grouped(layer.scratchBytes)) @ \(grouped(layer.scratchOffset))")
            }
            table.add(["\(layer.index)", layer.name, layer.type,
                       layer.inputs.map(String.init).joined(separator: ","),
                       formatShape(layer.shape), formatQuantization(layer.quantization),
                       grouped(layer.macs), grouped(layer.weightBytes),
                       grouped(layer.arenaOffset), grouped(layer.arenaBytes), notes.joined(separator: ", ")])
        }
        print(table.render())
        print("")
        print("model: \(m.elementType == .int8 ? "int8" : "float32"), \(m.layers.count) layers, "
              + "\(m.inputs.count) input(s) \(m.inputs.map { "\($0.name) \(formatShape($0.shape))" }.joined(separator: ", ")), "
              + "\(m.outputs.count) output(s) \(m.outputs.map { "\($0.name) \(formatShape($0.shape))" }.joined(separator: ", "))")
        print("flash: \(grouped(m.flashSize)) bytes (.nnom image; weights \(grouped(m.weightBytes)) bytes)")
        print("RAM: \(grouped(m.arenaSize)) bytes of arena (lower bound \(grouped(m.arenaLowerBound)) bytes: "
              + "the most alive at one layer); a Cortex-M DSP firmware plans \(grouped(m.cortexMDSPArenaSize)) bytes")
        print("MACs: \(grouped(m.totalMACs)) per inference")
        print("plan: \(m.plan.reason)")
        if let t = m.tiling {
            let tenths = Int((Double(t.extraMACs) * 1000 / Double(max(m.totalMACs, 1))).rounded()) // of a percent
            print("tiled: layers \(t.firstLayer)...\(t.cutLayer) (\(m.layers[t.firstLayer].name) to "
                  + "\(m.layers[t.cutLayer].name)) in \(t.tiles) tiles of \(t.rowsPerTile) rows: "
                  + "\(grouped(t.savedBytes)) bytes saved (untiled arena \(grouped(t.untiledArenaSize))), "
                  + "\(grouped(t.extraMACs)) MACs added (\(tenths / 10).\(tenths % 10) %)"
                  + (t.keptBandBytes > 0 ? ", halos kept (\(grouped(t.keptBandBytes)) bytes through the stage)" : ""))
        }
    }
}
