import Portal

/// The portal reads the client address and the trusted proxy's public base from the
/// context, and names the signed-in user in the access log.
extension FerryRequestContext: PortalRequestContext {
    /// Names the signed-in user in the access log.
    public func noteUser(_ username: String) {
        log.user = username
    }
}
