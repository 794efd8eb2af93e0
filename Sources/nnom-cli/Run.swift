import ArgumentParser
import NNoM

struct Run: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run a model on the inputs of .npy or .npz files and print or save its outputs.",
        discussion: """
            The input file holds one input (the model's input shape) or a batch of them (N, ...). \
            A model with several inputs takes one .npy per input in the model's order (repeat \
            --input) or one .npz holding an array named after each input. The model's first \
            output is dequantised to floats and printed, one line per sample, or with --output \
            saved as a float32 .npy of shape (N, ...output shape), or the output shape alone for \
            a single input.
            """
    )

    @Argument(help: "The .nnom model.")
    var model: String

    @OptionGroup var operators: OperatorOptions
    @OptionGroup var plan: PlanOptions

    @Option(help: ArgumentHelp("The inputs: a .npy file, one per model input (repeat the option), or one .npz "
                               + "with an array named after each input.", valueName: "npy|npz"))
    var input: [String] = []

    @Option(name: [.short, .customLong("output")], help: "Write the outputs to this .npy file instead of printing them.")
    var output: String?

    @Flag(help: "Let NaN and infinite inputs through (an int8 model quantises NaN to the zero point and saturates infinities); by default they are an error.")
    var allowNonfinite = false

    func validate() throws {
        if input.isEmpty { throw ValidationError("Missing expected argument '--input <npy|npz>'") }
    }

    func run() throws {
        let m = try loadModel(model, operators: operators, plan: plan)
        m.allowsNonFinite = allowNonfinite
        guard let out = m.outputs.first else { throw CLIError("\(model): the model has no output") }
        let arrays = try loadInputArrays(input, inputNames: m.inputs.map(\.name), option: "--input")
        let (batch, single) = try inputRows(arrays, model: m)
        var results: [[Float]] = []
        results.reserveCapacity(batch.count)
        var bar = Progress("running", total: batch.count > 100 ? batch.count : 0)
        for (i, x) in batch.enumerated() {
            do {
                var at = 0
                for (k, info) in m.inputs.enumerated() {
                    try m.setInput(Array(x[at ..< at + info.count]), at: k)
                    at += info.count
                }
                try m.run()
                results.append(try m.output(at: 0))
            } catch let error as NNoMError {
                // the input's shape was checked above: an argument error here is a NaN or an infinity
                let hint = error.status == .argument && !allowNonfinite ? " (--allow-nonfinite lets them through)" : ""
                throw CLIError("\(input.joined(separator: ", ")): sample \(i): \(error.message)\(hint)")
            }
            bar.update(i + 1)
        }
        if let output {
            let shape = single ? out.shape : [batch.count] + out.shape
            try NumPyArray(shape: shape, values: results.flatMap { $0 }).write(npy: url(output))
            print("wrote \(output): \(formatShape(shape)) float32")
        } else {
            for y in results {
                print(y.map { "\($0)" }.joined(separator: " "))
            }
        }
    }
}
