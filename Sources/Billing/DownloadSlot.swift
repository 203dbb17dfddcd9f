import Synchronization

/// One of a subscriber's concurrent-download slots, taken by
/// `SubscriberLimits.beginDownload` and held by the download until it ends.
///
/// It is given back exactly once: by `release()` when the download finishes or fails,
/// or, failing that, when the last reference to it goes away. So a response that is
/// dropped without ever being written (the client reset its connection or HTTP/2
/// stream while Ferry waited on the upstream, and the body never ran) still frees its
/// slot.
public final class DownloadSlot: Sendable {
    private let isReleased = Atomic<Bool>(false)
    private let giveBack: @Sendable () -> Void

    init(giveBack: @escaping @Sendable () -> Void) {
        self.giveBack = giveBack
    }

    /// Gives the slot back; later calls do nothing.
    public func release() {
        guard !isReleased.exchange(true, ordering: .acquiringAndReleasing) else { return }
        giveBack()
    }

    deinit {
        release()
    }
}
