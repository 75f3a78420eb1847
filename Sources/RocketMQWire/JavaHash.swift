/// Java hashing rules that leak into the protocol.
///
/// Stateless; safe from any thread.
public enum JavaHash {
    /// Java `String.hashCode()`: `s[0]*31^(n-1) + ... + s[n-1]` over UTF-16 code units, wrapping.
    /// The broker filters pulled messages by this hash of the tag (`tagsCode`), and heartbeat
    /// `codeSet` carries it (docs/protocol-remoting.md §2.7).
    public static func stringHashCode(_ string: String) -> Int32 {
        var hash: Int32 = 0
        for unit in string.utf16 {
            hash = hash &* 31 &+ Int32(unit)
        }
        return hash
    }

    /// The iteration order of a `java.util.HashMap<String, ?>` into which `keys` were put in this
    /// order. Java writes `extFields` in this order (fastjson keeps map order for `HashMap`), so
    /// using it reproduces Java's header bytes (docs/protocol-remoting.md §10.3).
    ///
    /// HashMap starts with 16 buckets and doubles while `count > 0.75 * buckets`; a key's bucket is
    /// `(h ^ (h >>> 16)) & (buckets - 1)`; within a bucket, insertion order survives resizes.
    public static func hashMapIterationOrder(_ keys: [String]) -> [String] {
        guard keys.count > 1 else { return keys }  // one key has one order (headers often carry one)
        let distinct = distinctInOrder(keys)
        var buckets: UInt32 = 16
        while distinct.count * 4 > Int(buckets) * 3 {
            buckets *= 2
        }
        // Sorting by (bucket, insertion index) walks the table without building it: one array
        // instead of one per bucket.
        var placed: [(bucket: UInt32, index: Int)] = []
        placed.reserveCapacity(distinct.count)
        for (index, key) in distinct.enumerated() {
            let h = UInt32(bitPattern: stringHashCode(key))
            placed.append(((h ^ (h >> 16)) & (buckets - 1), index))
        }
        placed.sort { ($0.bucket, $0.index) < ($1.bucket, $1.index) }
        return placed.map { distinct[$0.index] }
    }

    /// `keys` without repeats, each at its first position (a `HashMap` keeps a key where it was
    /// first put). Pairwise for a header's dozen keys, where hashing into a set costs more.
    private static func distinctInOrder(_ keys: [String]) -> [String] {
        if keys.count > 16 {
            var seen = Set<String>(minimumCapacity: keys.count)
            return keys.filter { seen.insert($0).inserted }
        }
        var distinct: [String] = []
        distinct.reserveCapacity(keys.count)
        for key in keys where !distinct.contains(key) {
            distinct.append(key)
        }
        return distinct
    }
}
