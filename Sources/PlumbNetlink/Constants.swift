/// Kernel uapi values that arrive through Glibc/libnl as awkwardly typed imports
/// (enums and macro-defined ints); named once here.
enum K {
    static let iffUp: UInt32 = 0x1            // IFF_UP
    static let iffLowerUp: UInt32 = 0x10000   // IFF_LOWER_UP
    static let operUp: UInt8 = 6              // IF_OPER_UP
    static let tableMain: UInt32 = 254        // RT_TABLE_MAIN
    static let tableLocal: UInt32 = 255       // RT_TABLE_LOCAL
    static let scopeUniverse: UInt8 = 0       // RT_SCOPE_UNIVERSE
    static let scopeLink: UInt8 = 253         // RT_SCOPE_LINK
    static let unicast: UInt8 = 1             // RTN_UNICAST
    static let addrGenModeNone: UInt8 = 1     // IN6_ADDR_GEN_MODE_NONE
}
