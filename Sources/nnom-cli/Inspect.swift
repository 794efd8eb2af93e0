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

    func run() throws {
        let m = try loadModel(model, operators: operators)
        var table = TextTable([("#", .right), ("layer", .left), ("type", .left), ("inputs", .left),
                               ("output", .left), ("quantisation", .left), ("MACs", .right),
                               ("weights", .right), ("arena offset", .right), ("arena bytes", .right),
                               ("notes", .left)])
        for layer in m.layers {
            var notes: [String] = []
            if layer.inPlace { notes.append("in place") }
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
    }
}
