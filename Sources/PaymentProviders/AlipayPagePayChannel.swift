/// Which Alipay browser checkout to use.
public enum AlipayPagePayChannel: Sendable, Hashable, CaseIterable {
    /// Desktop web checkout: `alipay.trade.page.pay`, `FAST_INSTANT_TRADE_PAY`.
    case page
    /// Mobile web checkout: `alipay.trade.wap.pay`, `QUICK_WAP_WAY`.
    case wap

    /// The open-platform method name.
    public var method: String {
        switch self {
        case .page: "alipay.trade.page.pay"
        case .wap: "alipay.trade.wap.pay"
        }
    }

    /// The `product_code` in `biz_content`.
    public var productCode: String {
        switch self {
        case .page: "FAST_INSTANT_TRADE_PAY"
        case .wap: "QUICK_WAP_WAY"
        }
    }
}
