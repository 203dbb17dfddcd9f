import Cache
import FerryTestSupport
import Testing

@Suite struct SingleFlightTests {
    @Test func concurrentCallersShareOneRun() async throws {
        let flights = SingleFlight<String, Int>()
        let runs = Counter()
        let gate = BlobGate()
        let results = try await withThrowingTaskGroup(of: Int.self) { group in
            for _ in 0..<50 {
                group.addTask {
                    try await flights.run("key") {
                        runs.increment()
                        await gateWait(gate)
                        return 42
                    }
                }
            }
            while flights.inFlightCount == 0 { await Task.yield() }
            // Give every task the chance to join the flight before it completes.
            for _ in 0..<1000 { await Task.yield() }
            gate.open()
            var results: [Int] = []
            for try await value in group { results.append(value) }
            return results
        }
        #expect(results == Array(repeating: 42, count: 50))
        #expect(runs.value >= 1)
        #expect(runs.value < 50)
        #expect(flights.inFlightCount == 0)
    }

    @Test func everyWaiterReceivesTheError() async throws {
        struct Boom: Error {}
        let flights = SingleFlight<Int, Int>()
        let gate = BlobGate()
        let failures = await withTaskGroup(of: Bool.self) { group in
            for _ in 0..<10 {
                group.addTask {
                    do {
                        _ = try await flights.run(1) {
                            await gateWait(gate)
                            throw Boom()
                        }
                        return false
                    } catch {
                        return error is Boom
                    }
                }
            }
            while flights.inFlightCount == 0 { await Task.yield() }
            gate.open()
            var failures = 0
            for await failed in group where failed { failures += 1 }
            return failures
        }
        #expect(failures == 10)
    }

    @Test func differentKeysRunIndependently() async throws {
        let flights = SingleFlight<Int, Int>()
        let a = try await flights.run(1) { 1 }
        let b = try await flights.run(2) { 2 }
        #expect(a == 1 && b == 2)
    }
}
