import OCI

/// Keeps a blob from being evicted while a response reads it; released when the
/// response body (and with it the lease) goes away.
public final class ReadLease: Sendable {
    let inventory: CacheInventory
    let digest: Digest

    init(inventory: CacheInventory, digest: Digest) {
        self.inventory = inventory
        self.digest = digest
    }

    deinit {
        inventory.release(digest)
    }
}
