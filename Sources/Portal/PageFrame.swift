/// What every portal page shows around its content: title, navigation, the signed-in
/// user, the form token, and a one-line notice or error. (Templates read stored
/// properties only, so the navigation flags are stored, not computed.)
struct PageFrame: Sendable {
    /// The signed-in user as the navigation shows them.
    struct Visitor: Sendable {
        let username: String
        let isAdmin: Bool
    }

    /// The navigation entry a page belongs to.
    enum Section: String, Sendable {
        case dashboard, billing, access, setup, password, admin, none
    }

    let title: String
    let visitor: Visitor?
    /// The session's CSRF token (or the sign-in form's), echoed by every form.
    let csrfToken: String?
    var notice: String?
    var error: String?
    let onDashboard: Bool
    let onBilling: Bool
    /// Whether the navigation offers the billing page (Ferry runs with plans).
    var hasBilling = false
    let onAccess: Bool
    let onSetup: Bool
    let onPassword: Bool
    let onAdmin: Bool

    init(title: String, visitor: Visitor?, csrfToken: String?, section: Section) {
        self.title = title
        self.visitor = visitor
        self.csrfToken = csrfToken
        onDashboard = section == .dashboard
        onBilling = section == .billing
        onAccess = section == .access
        onSetup = section == .setup
        onPassword = section == .password
        onAdmin = section == .admin
    }
}

/// The object a page template renders: the frame and the page's own content.
struct PageModel: Sendable {
    let frame: PageFrame
    let content: any Sendable
}
