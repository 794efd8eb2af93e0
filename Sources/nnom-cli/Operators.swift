// --ops: plugins of user operators (shared libraries, examples/user_ops), for every command that loads a model.
import ArgumentParser
import Foundation
import NNoM

struct OperatorOptions: ParsableArguments {
    @Option(name: .customLong("ops"),
            help: ArgumentHelp("A plugin of user operators: a shared library exporting nnom_plugin_ops() "
                               + "(docs/user-operators.md). A Keras Lambda layer runs the operator of its name, "
                               + "a custom layer the operator of its class; repeat for several plugins.",
                               valueName: "plugin.so"))
    var plugins: [String] = []

    /// The registry of every plugin's operators; nil without --ops.
    func registry() throws -> OperatorRegistry? {
        if plugins.isEmpty { return nil }
        let registry = OperatorRegistry(capacity: 64)
        for plugin in plugins {
            do {
                try registry.load(plugin: url(plugin))
            } catch let error as NNoMError {
                throw CLIError("--ops \(plugin): \(error.message)")
            }
        }
        return registry
    }
}

/// Runs @p body; an error about a user operator nobody registered gets the hint that --ops provides one.
func hintingOperators<T>(_ body: () throws -> T) throws -> T {
    do {
        return try body()
    } catch let error as NNoMError where error.message.contains("user operator") && error.status == .unsupported {
        throw CLIError("\(error.message) (--ops <plugin.so> loads a plugin that provides it)")
    }
}
