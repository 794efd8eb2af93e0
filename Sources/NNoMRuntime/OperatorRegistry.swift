import CNNoMRuntime

/// User operators a model's CUSTOM layers may name (`nnom_op_registry`, nnom/user_op.h).
///
/// An operator is C code: a `nnom_user_op` of the application (from a C target of its package, the
/// same code the firmware registers), entered with `register(_:)`, or the operators of a plugin
/// (a shared library, `NNoM`'s `load(plugin:)`). Pass the registry to `Model(bytes:operators:)` or
/// `Converter(keras:operators:)`; a model that needs an operator it does not hold is refused at
/// load, with the operator's name.
///
///     let ops = OperatorRegistry()
///     try ops.register(my_operator())          // a C target's `const nnom_user_op *my_operator(void)`
///     let model = try Model(contentsOf: url, operators: ops)
///
/// Models and converters keep their registry alive; the operators registered must stay valid and
/// unchanged as long as the registry lives.
public final class OperatorRegistry {
    /// The C registry; valid as long as this object.
    public let handle: UnsafeMutablePointer<nnom_op_registry>
    private let slots: UnsafeMutablePointer<UnsafePointer<nnom_user_op>?>
    /// Objects that must outlive the operators' use (the plugins their code lives in).
    package var retained: [AnyObject] = []

    /// A registry with room for @p capacity operators.
    public init(capacity: Int = 16) {
        let capacity = max(capacity, 1)
        slots = UnsafeMutablePointer<UnsafePointer<nnom_user_op>?>.allocate(capacity: capacity)
        slots.initialize(repeating: nil, count: capacity)
        handle = UnsafeMutablePointer<nnom_op_registry>.allocate(capacity: 1)
        handle.initialize(to: nnom_op_registry())
        nnom_op_registry_init(handle, slots, Int32(capacity))
    }

    deinit {
        handle.deallocate()
        slots.deallocate()
    }

    /// Enters @p op (`nnom_register_op`): refused, with the C message, for a duplicate name, a full
    /// registry or an incomplete operator. @p op must stay valid as long as the registry.
    public func register(_ op: UnsafePointer<nnom_user_op>) throws {
        try withCError { err in nnom_register_op(handle, op, err) }
    }

    /// The names of the operators registered, in order.
    public var names: [String] {
        (0..<Int(handle.pointee.count)).compactMap { i in
            handle.pointee.slots[i].flatMap { $0.pointee.name.map { String(cString: $0) } }
        }
    }

    /// Whether an operator is registered under @p name (`nnom_find_op`).
    public func contains(_ name: String) -> Bool {
        nnom_find_op(handle, name) != nil
    }
}
