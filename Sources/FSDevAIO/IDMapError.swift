/// Why a set of id-map rules is invalid: one line naming the rule (the daemon prefixes the option).
public struct IDMapError: Error, Sendable, Hashable, CustomStringConvertible {
    public let message: String

    public init(_ message: String) { self.message = message }

    public var description: String { message }
}
