import Foundation
import Testing
import PlumbJSON
@testable import PlumbCommands

/// The gateways a network's first ADD guesses from its IPAM configuration, to make the
/// bridge while the IPAM plugin runs: the ones the plugin will give, or no guess at all.
@Suite("Gateways guessed from the IPAM configuration")
struct GatewayGuessTests {
    func guess(_ ipam: String) throws -> [String]? {
        guard case .object(let o) = try JSONDecoding.parse(Data(ipam.utf8)) else { return nil }
        return CNIAttachment.gateways(o)?.map(\.description)
    }

    @Test("host-local: each range set's first range, its gateway or the subnet's first address; the older top-level subnet too")
    func hostLocal() throws {
        #expect(try guess(#"{"type": "host-local", "ranges": [[{"subnet": "10.99.0.0/16"}]]}"#) == ["10.99.0.1/16"])
        #expect(try guess(#"{"type": "host-local", "ranges": [[{"subnet": "10.99.3.7/24", "gateway": "10.99.3.254"}], [{"subnet": "fd00:1::/64"}, {"subnet": "fd00:2::/64"}]]}"#)
                == ["10.99.3.254/24", "fd00:1::1/64"])
        #expect(try guess(#"{"type": "host-local", "subnet": "192.168.255.0/24"}"#) == ["192.168.255.1/24"])
        #expect(try guess(#"{"type": "host-local", "subnet": "10.0.0.0/8", "gateway": "10.1.2.3"}"#) == ["10.1.2.3/8"])
    }

    @Test("static: each address's gateway with the address's length")
    func staticIPAM() throws {
        #expect(try guess(#"{"type": "static", "addresses": [{"address": "10.217.121.107/21", "gateway": "10.217.120.1"}]}"#) == ["10.217.120.1/21"])
    }

    @Test("no guess: another plugin, a range set that is empty or unreadable, a static address without a gateway")
    func none() throws {
        #expect(try guess(#"{"type": "dhcp"}"#) == nil)
        #expect(try guess(#"{"type": "whereabouts", "range": "10.0.0.0/24"}"#) == nil)
        #expect(try guess(#"{"type": "host-local", "ranges": [[]]}"#) == nil)
        #expect(try guess(#"{"type": "host-local", "ranges": [[{"subnet": "bogus"}]]}"#) == nil)
        #expect(try guess(#"{"type": "host-local"}"#) == nil)
        #expect(try guess(#"{"type": "static", "addresses": [{"address": "10.0.0.2/24"}]}"#) == nil)
    }
}
