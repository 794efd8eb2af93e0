import ArgumentParser
import NNoM

struct Run: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run a model on the inputs of a .npy file and print or save its outputs.",
        discussion: """
            The model must have one input; the input file holds one input (the model's input \
            shape) or a batch of them (N, ...). The model's first output is dequantised to \
            floats and printed, one line per input, or with --output saved as a float32 .npy of \
            shape (N, ...output shape), or the output shape alone for a single input.
            """
    )

    @Argument(help: "The .nnom model.")
    var model: String

    @Option(help: "The inputs, a .npy file.")
    var input: String

    @Option(name: [.short, .customLong("output")], help: "Write the outputs to this .npy file instead of printing them.")
    var output: String?

    @Flag(help: "Let NaN and infinite inputs through (an int8 model quantises NaN to the zero point and saturates infinities); by default they are an error.")
    var allowNonfinite = false

    func run() throws {
        let m = try Model(contentsOf: url(model), timing: false)
        m.allowsNonFinite = allowNonfinite
        guard m.inputs.count == 1, let info = m.inputs.first, let out = m.outputs.first else {
            throw CLIError("\(model): 'nnom run' needs a model with one input (this one has \(m.inputs.count))")
        }
        let data = try NumPyArray(npy: url(input))
        let batch = try samples(of: data, size: info.count, file: input,
                                input: "input '\(info.name)' \(formatShape(info.shape))")
        let single = data.count == info.count && data.shape.first != 1
        var results: [[Float]] = []
        results.reserveCapacity(batch.count)
        var bar = Progress("running", total: batch.count > 100 ? batch.count : 0)
        for (i, x) in batch.enumerated() {
            do {
                results.append(try m.predict(x))
            } catch let error as NNoMError {
                // the input's shape was checked above: an argument error here is a NaN or an infinity
                let hint = error.status == .argument && !allowNonfinite ? " (--allow-nonfinite lets them through)" : ""
                throw CLIError("\(input): sample \(i): \(error.message)\(hint)")
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
