/// Base64url without padding (RFC 4648 §5), by table: it runs on every request, where Foundation's
/// base64 plus character replacement would cost more than the HMAC it guards.
package enum Base64URL {
    private static let alphabet: [UInt8] = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".utf8)
    private static let values: [UInt8] = {
        var table = [UInt8](repeating: 0xFF, count: 256)
        for (index, byte) in alphabet.enumerated() { table[Int(byte)] = UInt8(index) }
        return table
    }()

    package static func encode(_ bytes: some Sequence<UInt8>) -> String {
        let input = Array(bytes)
        var output: [UInt8] = []
        output.reserveCapacity((input.count * 4 + 2) / 3)
        var index = 0
        while index + 3 <= input.count {
            let chunk = UInt32(input[index]) << 16 | UInt32(input[index + 1]) << 8 | UInt32(input[index + 2])
            for shift in [18, 12, 6, 0] { output.append(alphabet[Int((chunk >> UInt32(shift)) & 63)]) }
            index += 3
        }
        let rest = input.count - index
        if rest > 0 {
            let chunk = UInt32(input[index]) << 16 | (rest == 2 ? UInt32(input[index + 1]) << 8 : 0)
            output.append(alphabet[Int((chunk >> 18) & 63)])
            output.append(alphabet[Int((chunk >> 12) & 63)])
            if rest == 2 { output.append(alphabet[Int((chunk >> 6) & 63)]) }
        }
        return String(decoding: output, as: UTF8.self)
    }

    /// The bytes of base64url text (`text.utf8`, or bytes already split out of a token).
    ///
    /// Generic callers in other modules would get an unspecialized loop (a dynamic call per
    /// byte), so the work is done once, on contiguous bytes.
    package static func decode(_ input: some Collection<UInt8>) -> [UInt8]? {
        if let decoded = input.withContiguousStorageIfAvailable({ decode(bytes: $0) }) { return decoded }
        return Array(input).withUnsafeBufferPointer { decode(bytes: $0) }
    }

    private static func decode(bytes input: UnsafeBufferPointer<UInt8>) -> [UInt8]? {
        guard input.count % 4 != 1 else { return nil }
        var output: [UInt8] = []
        output.reserveCapacity(input.count * 3 / 4)
        var buffer: UInt32 = 0
        var bits = 0
        return values.withUnsafeBufferPointer { values -> [UInt8]? in
            for byte in input {
                let value = values[Int(byte)]
                guard value != 0xFF else { return nil }
                buffer = buffer << 6 | UInt32(value)
                bits += 6
                if bits >= 8 {
                    bits -= 8
                    output.append(UInt8(truncatingIfNeeded: buffer >> UInt32(bits)))
                }
            }
            // Unused trailing bits must be zero, so that each byte string has exactly one encoding.
            guard buffer & ((1 << UInt32(bits)) - 1) == 0 else { return nil }
            return output
        }
    }
}
