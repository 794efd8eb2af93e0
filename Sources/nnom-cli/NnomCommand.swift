import ArgumentParser
import NNoM

struct NnomCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "nnom",
        abstract: "Convert, inspect, run, evaluate and benchmark int8 nnom models.",
        discussion: """
            Models are .nnom files, as written by 'nnom convert'. Data are NumPy .npy and .npz \
            files with one sample per row (the first axis). Errors end with one line on stderr \
            and a non-zero exit code (64: bad arguments, 1: anything else).
            """,
        version: libraryVersion,
        subcommands: [Convert.self, Inspect.self, Run.self, Eval.self, Bench.self]
    )
}

/// A failure found by the tool itself (bad data shapes and the like).
struct CLIError: Error {
    let message: String
    init(_ message: String) { self.message = message }
}

extension CalibrationMethod: ExpressibleByArgument {}
