import Foundation

/// One row of an Alipay merchant statement (the trade details CSV, "业务明细", downloaded
/// from the merchant console or `alipay.data.dataservice.bill.downloadurl.query`).
public struct AlipayStatementRow: Sendable, Hashable {
    /// `交易` (a payment) or `退款` (a refund).
    public enum Kind: Sendable, Hashable {
        case payment
        case refund
    }

    public let kind: Kind
    /// `支付宝交易号`: Alipay's `trade_no`.
    public let tradeID: String
    /// `商户订单号`: the merchant's `out_trade_no`.
    public let orderNumber: String
    /// `订单金额（元）`, as a positive amount (refund rows carry it negative).
    public let amount: MoneyAmount
    /// `完成时间`: when the payment (or refund) completed.
    public let completedAt: Date
    /// The row as it appears in the file (stored as the event's body).
    public let line: String
}

/// Reads an Alipay trade statement: comment lines start with `#`; the header names the
/// columns (`支付宝交易号`, `商户订单号`, `业务类型`, `完成时间`, `订单金额（元）`, in any
/// order); cells may carry trailing tabs or spaces. The file must be UTF-8 (Alipay ships
/// GBK: convert with `iconv -f GB18030 -t UTF-8`).
///
/// - Throws: ``PaymentRequestError`` naming the line and what is wrong with it.
public func parseAlipayStatement(_ data: Data) throws(PaymentRequestError) -> [AlipayStatementRow] {
    guard let text = String(data: data, encoding: .utf8) else {
        throw PaymentRequestError("the statement is not UTF-8: convert it first with iconv -f GB18030 -t UTF-8")
    }
    var columns: [String: Int]?
    var rows: [AlipayStatementRow] = []
    let lines = text.split(omittingEmptySubsequences: false) { $0 == "\n" || $0 == "\r\n" }
    for (index, raw) in lines.enumerated() {
        let line = String(raw).trimmingCharacters(in: CharacterSet(charactersIn: "\r\u{FEFF}"))
        if line.trimmingCharacters(in: .whitespaces).isEmpty || line.hasPrefix("#") { continue }
        let cells = line.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }
        guard let known = columns else {
            columns = try AlipayStatementColumns.header(cells, line: index + 1)
            continue
        }
        func cell(_ name: String) -> String { known[name].flatMap { $0 < cells.count ? cells[$0] : nil } ?? "" }
        let type = cell(AlipayStatementColumns.type)
        let kind: AlipayStatementRow.Kind
        switch type {
        case "交易": kind = .payment
        case "退款": kind = .refund
        default: continue
        }
        let tradeID = cell(AlipayStatementColumns.tradeID)
        let orderNumber = cell(AlipayStatementColumns.orderNumber)
        guard !tradeID.isEmpty, !orderNumber.isEmpty else { throw PaymentRequestError("line \(index + 1): the trade or order number is missing") }
        guard let completedAt = ShanghaiTime.parse(cell(AlipayStatementColumns.completedAt)) else {
            throw PaymentRequestError("line \(index + 1): the completion time is not yyyy-MM-dd HH:mm:ss")
        }
        var amountText = cell(AlipayStatementColumns.amount)
        if amountText.hasPrefix("-") { amountText.removeFirst() }
        let amount: MoneyAmount
        do {
            amount = try MoneyAmount(parsing: amountText, currency: .cny)
        } catch {
            throw PaymentRequestError("line \(index + 1): the amount \(error)")
        }
        rows.append(AlipayStatementRow(kind: kind, tradeID: tradeID, orderNumber: orderNumber, amount: amount, completedAt: completedAt, line: line))
    }
    guard columns != nil else { throw PaymentRequestError("no header line with 支付宝交易号 and 商户订单号: is this an Alipay trade statement?") }
    return rows
}

/// The statement's column names.
enum AlipayStatementColumns {
    static let tradeID = "支付宝交易号"
    static let orderNumber = "商户订单号"
    static let type = "业务类型"
    static let completedAt = "完成时间"
    static let amount = "订单金额（元）"

    /// The column positions named by a header line (`(元)` is read as `（元）`).
    static func header(_ cells: [String], line: Int) throws(PaymentRequestError) -> [String: Int] {
        var positions: [String: Int] = [:]
        for (index, name) in cells.enumerated() {
            positions[name.replacingOccurrences(of: "(元)", with: "（元）")] = index
        }
        for required in [tradeID, orderNumber, type, completedAt, amount] where positions[required] == nil {
            throw PaymentRequestError("line \(line): the header has no \(required) column")
        }
        return positions
    }
}
