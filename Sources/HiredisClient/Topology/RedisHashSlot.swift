// RedisHashSlot: the Redis Cluster hash slot of a key (CRC16/XMODEM of its hash tag or whole name, mod 16384).

/// Where Redis Cluster keeps a key: one of 16,384 hash slots.
///
/// The slot is CRC16 (XMODEM: polynomial 0x1021, initial value 0) of the key modulo 16,384. When the key contains
/// a `{…}` with at least one byte between the first `{` and the first `}` after it, only those bytes are hashed
/// (the **hash tag**), so `{user1000}.following` and `{user1000}.followers` share a slot. This is the rule of the
/// Redis Cluster specification, byte for byte (an empty `{}` does not count, the first `{` wins).
///
/// ```swift
/// RedisHashSlot(key: "foo").value                 // 12182
/// RedisHashSlot(key: "{sess:1}:a") == RedisHashSlot(key: "{sess:1}:b")   // true
/// ```
public struct RedisHashSlot: Hashable, Sendable, Comparable, CustomStringConvertible {
    /// How many slots a cluster has.
    public static let count = 16_384

    /// The slot number, in `0..<16384`.
    public let value: Int

    /// The slot of a slot number, or `nil` outside `0..<16384`.
    public init?(_ value: Int) {
        guard (0..<Self.count).contains(value) else { return nil }
        self.value = value
    }

    /// The slot of a key given as bytes.
    public init(key: some Collection<UInt8>) {
        let bytes = Array(key)
        value = Int(Self.crc16(Self.hashedPart(of: bytes)) & UInt16(Self.count - 1))
    }

    /// The slot of a key given as a string (its UTF-8 bytes).
    public init(key: String) {
        self.init(key: key.utf8)
    }

    /// The decimal slot number.
    public var description: String { String(value) }

    public static func < (lhs: RedisHashSlot, rhs: RedisHashSlot) -> Bool { lhs.value < rhs.value }

    /// The bytes that decide the slot: the hash tag when there is a non-empty one, else the whole key.
    static func hashedPart(of key: [UInt8]) -> ArraySlice<UInt8> {
        guard let open = key.firstIndex(of: UInt8(ascii: "{")),
              let close = key[(open + 1)...].firstIndex(of: UInt8(ascii: "}")),
              close > open + 1
        else { return key[...] }
        return key[(open + 1)..<close]
    }

    /// CRC16/XMODEM, the variant Redis Cluster uses.
    static func crc16(_ bytes: some Sequence<UInt8>) -> UInt16 {
        var crc: UInt16 = 0
        for byte in bytes {
            crc = (crc << 8) ^ table[Int((crc >> 8) ^ UInt16(byte))]
        }
        return crc
    }

    /// The CRC16/XMODEM lookup table (polynomial 0x1021), computed once.
    private static let table: [UInt16] = (0..<256).map { index in
        var crc = UInt16(index) << 8
        for _ in 0..<8 {
            crc = crc & 0x8000 != 0 ? (crc << 1) ^ 0x1021 : crc << 1
        }
        return crc
    }
}
