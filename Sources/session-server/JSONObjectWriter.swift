// JSONObjectWriter: a flat JSON object of string and integer fields, written straight into a response buffer.

import Foundation
import Hummingbird
import NIOCore

/// Writes `{"name":"value",…}` into a `ByteBuffer`, escaping values as RFC 8259 requires (`"`, `\` and control
/// characters; everything else is UTF-8 as is). For the hottest responses: `JSONEncoder` allocates a boxed value tree
/// and a `Data` for every response, which costs more than the rest of the handler.
struct JSONObjectWriter {
    private(set) var buffer: ByteBuffer
    private var fields = 0

    init(capacity: Int) {
        buffer = ByteBufferAllocator().buffer(capacity: capacity)
        buffer.writeInteger(UInt8(ascii: "{"))
    }

    /// Appends a string field. `name` is written as is: it must need no escaping.
    mutating func field(_ name: StaticString, _ value: String) {
        startField(name)
        var value = value
        value.withUTF8 { writeEscaped($0) }
        buffer.writeInteger(UInt8(ascii: "\""))
    }

    /// Appends a date field as ISO-8601 with milliseconds (``Foundation/Date/iso8601``), without a `String`.
    mutating func field(_ name: StaticString, iso8601 date: Date) {
        startField(name)
        _ = date.withISO8601Bytes { buffer.writeBytes($0) }
        buffer.writeInteger(UInt8(ascii: "\""))
    }

    /// Appends an integer field.
    mutating func field(_ name: StaticString, integer value: Int) {
        startField(name, quoted: false)
        buffer.writeString(String(value))
    }

    /// The finished object as a `200` JSON response, with the headers `JSONEncoder`'s responses carry. Call it once.
    mutating func response() -> Response {
        buffer.writeInteger(UInt8(ascii: "}"))
        var headers = HTTPFields()
        headers.reserveCapacity(6)  // and X-Instance, Cache-Control, added by middleware
        headers[.contentType] = "application/json; charset=utf-8"
        headers[.contentLength] = String(buffer.readableBytes)
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: buffer))
    }

    /// Writes `"name":` and, for a string value, its opening quote.
    private mutating func startField(_ name: StaticString, quoted: Bool = true) {
        if fields > 0 { buffer.writeInteger(UInt8(ascii: ",")) }
        fields += 1
        buffer.writeInteger(UInt8(ascii: "\""))
        buffer.writeStaticString(name)
        buffer.writeStaticString(quoted ? "\":\"" : "\":")
    }

    /// Copies runs that need no escaping in one write each.
    private mutating func writeEscaped(_ bytes: UnsafeBufferPointer<UInt8>) {
        var runStart = 0
        for (index, byte) in bytes.enumerated() where byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") {
            buffer.writeBytes(UnsafeBufferPointer(rebasing: bytes[runStart..<index]))
            runStart = index + 1
            switch byte {
            case UInt8(ascii: "\""): buffer.writeStaticString("\\\"")
            case UInt8(ascii: "\\"): buffer.writeStaticString("\\\\")
            case UInt8(ascii: "\n"): buffer.writeStaticString("\\n")
            case UInt8(ascii: "\r"): buffer.writeStaticString("\\r")
            case UInt8(ascii: "\t"): buffer.writeStaticString("\\t")
            default:
                let hex: StaticString = "0123456789abcdef"
                buffer.writeStaticString("\\u00")
                buffer.writeInteger(hex.utf8Start[Int(byte >> 4)])
                buffer.writeInteger(hex.utf8Start[Int(byte & 0xF)])
            }
        }
        buffer.writeBytes(UnsafeBufferPointer(rebasing: bytes[runStart...]))
    }
}
