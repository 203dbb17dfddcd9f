import Cache
import Testing

@Suite struct FillProgressTests {
    @Test func waitersWakeOnEveryUpdateAndFinishedPhasesAreFinal() async throws {
        let progress = FillProgress()
        let (phase, version) = progress.snapshot()
        #expect(phase == .connecting)
        async let head = progress.waitForHead()
        progress.update(.streaming(expectedSize: 100, visibleBytes: 0))
        #expect(try await head == 100)

        progress.update(.committed(size: 100))
        progress.update(.failed(CacheError(.unavailable, "late")))
        #expect(progress.snapshot().phase == .committed(size: 100))
        #expect(progress.snapshot().version > version)
    }

    @Test func headWaitRethrowsTheDownloadError() async throws {
        let progress = FillProgress()
        let head = Task { try await progress.waitForHead() }
        progress.update(.failed(CacheError(.blobUnknown, "gone")))
        await #expect(throws: CacheError(.blobUnknown, "gone")) { _ = try await head.value }
    }

    @Test func cancelledWaiterReturns() async throws {
        let progress = FillProgress()
        let version = progress.snapshot().version
        let waiter = Task { await progress.waitForChange(after: version) }
        waiter.cancel()
        await waiter.value
        #expect(progress.snapshot().phase == .connecting)
    }
}
