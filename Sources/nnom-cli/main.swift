// The `nnom` command-line tool: convert, inspect, run, evaluate and benchmark
// models. Every computation is a call into the NNoM module (and so into C);
// this target only parses arguments and formats text.
import ArgumentParser
import Foundation
import NNoM

/// Runs the command; any failure ends as one line on stderr and a non-zero exit:
/// 64 for a usage error (missing or bad arguments), 1 for anything else.
func runMain() -> Never {
    do {
        var command = try NnomCommand.parseAsRoot()
        try command.run()
        exit(0)
    } catch let error as NNoMError {
        fail(error.message, code: 1)
    } catch let error as CLIError {
        fail(error.message, code: 1)
    } catch {
        let code = NnomCommand.exitCode(for: error)
        if code == .success {
            NnomCommand.exit(withError: error)  // --help, --version
        }
        let message = NnomCommand.message(for: error)
            .split(separator: "\n").first.map(String.init) ?? "\(error)"
        fail("\(message) (see 'nnom help\(subcommandName.map { " " + $0 } ?? "")')", code: code.rawValue)
    }
}

/// The subcommand named on the command line, if any, for the hint after a usage error.
var subcommandName: String? {
    let names = NnomCommand.configuration.subcommands.compactMap { $0.configuration.commandName }
    return CommandLine.arguments.dropFirst().first { names.contains($0) }
}

func fail(_ message: String, code: Int32) -> Never {
    fputs("nnom: error: \(message)\n", stderr)
    exit(code == 0 ? 1 : code)
}

runMain()
