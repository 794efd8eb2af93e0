import CNNoM
import CNNoMRuntime
import Foundation

// Plugins of user operators are loaded by the host tools (nnom_op_plugin_open), so this lives in NNoM.

/// A loaded plugin (`nnom_op_plugin`): unloaded when the last registry holding it goes.
final class OperatorPlugin {
    let handle: OpaquePointer
    init(_ handle: OpaquePointer) { self.handle = handle }
    deinit { nnom_op_plugin_close(handle) }
}

extension OperatorRegistry {
    /// Loads a plugin of user operators, a shared library exporting `nnom_plugin_ops()`
    /// (nnom/tools.h, examples/user_ops), and registers every operator it lists. Throws, naming the
    /// file, when it cannot be loaded or has no such function, or an operator is refused (the registry
    /// is then unchanged). The library stays loaded as long as the registry. Returns the names added.
    @discardableResult
    public func load(plugin url: URL) throws -> [String] {
        let before = names
        var plugin: OpaquePointer?
        try withCError { err in
            url.withUnsafeFileSystemRepresentation { nnom_op_plugin_open($0, handle, &plugin, err) }
        }
        if let plugin { retained.append(OperatorPlugin(plugin)) }
        return Array(names.dropFirst(before.count))
    }
}
