import Portal

/// The portal reads the client address and the trusted proxy's public base from the
/// request record, and notes the signed-in user there for the access log.
extension FerryRequestContext: PortalRequestContext {
    /// `scheme://host` as a trusted proxy reported it.
    public var forwardedBase: String? { record.publicBase }

    /// Names the signed-in user in the access log.
    public func noteUser(_ username: String) {
        record.user = username
    }
}
