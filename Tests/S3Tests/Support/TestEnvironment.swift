import Foundation

/// Environment switches for the suites that need something outside the package.
enum TestEnvironment {
    static func value(_ name: String) -> String? {
        guard let value = ProcessInfo.processInfo.environment[name], !value.isEmpty else { return nil }
        return value
    }

    /// `FERRY_INTEGRATION=required`: a suite whose prerequisite is missing fails instead of being skipped.
    static var integrationRequired: Bool {
        value("FERRY_INTEGRATION") == "required"
    }

    /// The Python interpreter of the botocore virtual environment (`scripts/s3-oracle-venv.sh`).
    static var oraclePython: String? { value("FERRY_S3_ORACLE_PYTHON") }

    /// The radosgw endpoint written to `s3.env` by `scripts/ceph-rgw.sh`.
    static var s3Endpoint: String? { value("FERRY_S3_ENDPOINT") }
}
