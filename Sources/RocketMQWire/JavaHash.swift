/// Java hashing rules that leak into the protocol.
///
/// Stateless; safe from any thread.
public enum JavaHash {
    /// Java `String.hashCode()`: `s[0]*31^(n-1) + ... + s[n-1]` over UTF-16 code units, wrapping.
    /// The broker filters pulled messages by this hash of the tag (`tagsCode`), and heartbeat
    /// `codeSet` carries it (spec §2.7).
    public static func stringHashCode(_ string: String) -> Int32 {
        var hash: Int32 = 0
        for unit in string.utf16 {
            hash = hash &* 31 &+ Int32(unit)
        }
        return hash
    }

    /// The iteration order of a `java.util.HashMap<String, ?>` into which `keys` were put in this
    /// order. Java writes `extFields` in this order (fastjson keeps map order for `HashMap`), so
    /// using it reproduces Java's header bytes (spec §10.3).
    ///
    /// HashMap starts with 16 buckets and doubles while `count > 0.75 * buckets`; a key's bucket is
    /// `(h ^ (h >>> 16)) & (buckets - 1)`; within a bucket, insertion order survives resizes.
    public static func hashMapIterationOrder(_ keys: [String]) -> [String] {
        guard keys.count > 1 else { return keys }  // one key has one order (headers often carry one)
        var buckets = 16
        while keys.count * 4 > buckets * 3 {
            buckets *= 2
        }
        var table = [[String]](repeating: [], count: buckets)
        var seen = Set<String>()
        for key in keys where seen.insert(key).inserted {
            let h = UInt32(bitPattern: stringHashCode(key))
            let spread = h ^ (h >> 16)
            table[Int(spread & UInt32(buckets - 1))].append(key)
        }
        return table.flatMap { $0 }
    }
}
