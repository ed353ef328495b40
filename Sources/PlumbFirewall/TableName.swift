/// An nftables table family. Plumb's own table is `inet`: one table covers IPv4 and IPv6,
/// and inet NAT chains (kernel ≥ 5.2) work on this kernel — tried here before choosing it
/// over an `ip plumb` + `ip6 plumb` pair, which would need two tables kept in step.
public enum TableFamily: String, Sendable, Equatable, Hashable, Codable {
    case inet, ip, ip6
}

/// A table's family and name, printed as nft spells it: `inet plumb`.
public struct TableName: Sendable, Equatable, Hashable, Codable, CustomStringConvertible {
    public var family: TableFamily
    public var name: String

    public init(family: TableFamily, name: String) {
        self.family = family
        self.name = name
    }

    /// The one table Plumb owns.
    public static let plumb = TableName(family: .inet, name: "plumb")

    public var description: String { "\(family.rawValue) \(name)" }
}
