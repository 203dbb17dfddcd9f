// The cache index under load, for bench/inventory.sh (not a test): on a data directory
// that `ferry serve` has indexed, one thread leases blobs in a tight loop, as cache
// hits do, and records how long each `lease` takes (waiting for the request-path lock
// included) while the main task writes buffered access times and runs an eviction pass.
//
// Usage: ferry-inventory-bench DATA_DIR DIGEST_FILE EVICT_FRACTION
// Prints `name value` lines.
import Cache
import Foundation
import Logging
import OCI
import Synchronization

let arguments = CommandLine.arguments
guard arguments.count == 4, let fraction = Double(arguments[3]) else {
    FileHandle.standardError.write(Data("usage: ferry-inventory-bench DATA_DIR DIGEST_FILE EVICT_FRACTION\n".utf8))
    exit(2)
}
let root = arguments[1]
let digests = try String(contentsOfFile: arguments[2], encoding: .utf8).split(separator: "\n").compactMap { try? Digest(parsing: $0) }
let logger = Logger(label: "bench", factory: { _ in SwiftLogNoOpLogHandler() })

/// Lease latencies seen by the hammering thread, per phase.
final class LeaseRecorder: Sendable {
    let stop = Atomic<Bool>(false)
    let samples = Mutex<[Double]>([])
    let leases = Atomic<Int>(0)

    /// Leases random blobs until stopped; keeps each call's duration in milliseconds.
    func hammer(_ inventory: CacheInventory, _ digests: [Digest]) {
        var local: [Double] = []
        local.reserveCapacity(1 << 22)
        let clock = ContinuousClock()
        while !stop.load(ordering: .relaxed) {
            let digest = digests.randomElement()!
            let start = clock.now
            let lease = inventory.lease(digest)
            let elapsed = start.duration(to: clock.now)
            withExtendedLifetime(lease) {}
            local.append(Double(elapsed.components.attoseconds) / 1e15 + Double(elapsed.components.seconds) * 1000)
        }
        leases.store(local.count, ordering: .relaxed)
        samples.withLock { $0 = local }
    }
}

func measure(_ name: String, _ inventory: CacheInventory, leasing digests: [Digest], _ work: () async -> Void) async {
    let recorder = LeaseRecorder()
    let thread = Thread { recorder.hammer(inventory, digests) }
    thread.start()
    try? await Task.sleep(for: .milliseconds(200))
    _ = inventory.takeLongestLockHolds()
    let started = ContinuousClock.now
    await work()
    let duration = ContinuousClock.now - started
    let holds = inventory.takeLongestLockHolds()
    recorder.stop.store(true, ordering: .relaxed)
    while recorder.samples.withLock({ $0.isEmpty }) { try? await Task.sleep(for: .milliseconds(10)) }
    let sorted = recorder.samples.withLock { $0 }.sorted()
    func percentile(_ p: Double) -> Double { sorted[min(sorted.count - 1, Int(Double(sorted.count) * p))] }
    print("\(name).duration_ms \(duration.components.seconds * 1000 + duration.components.attoseconds / 1_000_000_000_000_000)")
    print("\(name).leases \(sorted.count)")
    print("\(name).lease_p50_ms \(String(format: "%.4f", percentile(0.5)))")
    print("\(name).lease_p99_ms \(String(format: "%.4f", percentile(0.99)))")
    print("\(name).lease_p9999_ms \(String(format: "%.4f", percentile(0.9999)))")
    print("\(name).lease_max_ms \(String(format: "%.3f", sorted.last ?? 0))")
    print("\(name).leases_over_1ms \(sorted.filter { $0 > 1 }.count)")
    print("\(name).background_holds \(holds.backgroundHolds)")
    print("\(name).background_holds_over_1ms \(holds.backgroundHoldsOver1ms)")
    for holder in CacheInventory.LockHolder.allCases {
        let hold = holds[holder]
        print("\(name).hold_max_ms.\(holder) \(String(format: "%.3f", Double(hold.components.attoseconds) / 1e15 + Double(hold.components.seconds) * 1000))")
        let work = holds.work(of: holder)
        print("\(name).work_max_ms.\(holder) \(String(format: "%.3f", Double(work.components.attoseconds) / 1e15 + Double(work.components.seconds) * 1000))")
    }
}

let opened = ContinuousClock.now
let inventory = try CacheInventory.open(root: root, logger: logger)
print("open_ms \((ContinuousClock.now - opened).milliseconds)")
print("entries \(inventory.count)")
print("bytes \(inventory.totalBytes)")

// Persistence: a full buffer of distinct accesses written to the index.
await measure("persist", inventory, leasing: digests) {
    for digest in digests.prefix(CacheInventory.touchLimit) { inventory.touch(.blob(digest)) }
    await inventory.flush()
}

// Eviction: one pass removing EVICT_FRACTION of the bytes (index rows and files).
let total = inventory.totalBytes
let evictor = CacheEvictor(inventory: inventory, budget: total - 1, lowWaterFraction: 1 - fraction, logger: logger)
await measure("evict", inventory, leasing: digests) {
    let result = await evictor.evict()
    print("evict.blobs \(result.blobs)")
}
print("entries_after \(inventory.count)")
await inventory.close()
