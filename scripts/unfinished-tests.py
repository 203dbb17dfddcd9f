#!/usr/bin/env python3
"""Prints the tests that started and did not end, from a Swift Testing event stream
(`swift test --experimental-event-stream-output FILE`), with how long each had run
when the stream ends: what `scripts/test.sh` shows when the tests overrun their time."""
import json
import sys


def main(path):
    started, ended, last = {}, set(), 0.0
    with open(path, encoding="utf-8", errors="replace") as stream:
        for line in stream:
            try:
                record = json.loads(line)
            except ValueError:
                continue  # a line cut off by the kill
            if record.get("kind") != "event":
                continue
            event = record["payload"]
            at = float(event.get("instant", {}).get("absolute", 0.0))
            last = max(last, at)
            test = event.get("testID")
            if event["kind"] == "testStarted":
                started[test] = at
            elif event["kind"] == "testEnded":
                ended.add(test)
    running = sorted((at, test) for test, at in started.items() if test not in ended)
    # A suite is running while any of its tests is: name the tests, not their suites.
    running = [(at, test) for at, test in running if not any(other.startswith(test + "/") for _, other in running)]
    if not running:
        print("  (every test that started has ended)")
    for at, test in running:
        print(f"  {test}: running for {last - at:.0f} s")


if __name__ == "__main__":
    main(sys.argv[1])
