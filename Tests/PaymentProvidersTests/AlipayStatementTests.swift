import Foundation
import Testing
@testable import PaymentProviders

@Suite("Alipay statements")
struct AlipayStatementTests {
    static let statement = """
        #支付宝业务明细查询
        #账号：[20881021479480600156]
        #起始日期：[2026年12月01日 00:00:00]   终止日期：[2026年12月02日 00:00:00]
        #-----------------------------------------业务明细列表----------------------------------------
        支付宝交易号,商户订单号,业务类型,商品名称,创建时间,完成时间,门店编号,门店名称,操作员,终端号,对方账户,订单金额（元）,商家实收（元）,支付宝红包（元）,集分宝（元）,支付宝优惠（元）,商家优惠（元）,券核销金额（元）,券名称,商家红包消费金额（元）,卡消费金额（元）,退款批次号/请求号,服务费（元）,分润（元）,备注
        2026120122001446880500012345\t,ferry_12_abcdefghij\t,交易\t,Ferry basic\t,2026-12-01 07:30:00,2026-12-01 07:30:10,,,,,fer***@example.com,3.00\t,3.00\t,0.00,0.00,0.00,0.00,0.00,,0.00,0.00,,-0.02,0.00,
        2026120122001446880500012345\t,ferry_12_abcdefghij\t,退款\t,Ferry basic\t,2026-12-01 09:00:00,2026-12-01 09:00:05,,,,,fer***@example.com,-1.00\t,-1.00\t,0.00,0.00,0.00,0.00,0.00,,0.00,0.00,R1,0.00,0.00,
        #-----------------------------------------业务明细列表结束------------------------------------
        #交易合计：1笔，商家实收：3.00元，商家优惠：0.00元
        """

    @Test("payment and refund rows are read by column name")
    func rows() throws {
        let rows = try parseAlipayStatement(Data(Self.statement.utf8))
        #expect(rows.count == 2)
        #expect(rows[0].kind == .payment && rows[0].tradeID == "2026120122001446880500012345" && rows[0].orderNumber == "ferry_12_abcdefghij")
        #expect(rows[0].amount == (try MoneyAmount(parsing: "3.00", currency: .cny)))
        #expect(rows[0].completedAt == ShanghaiTime.parse("2026-12-01 07:30:10"))
        #expect(rows[1].kind == .refund && rows[1].amount.minorUnits == 100)
    }

    @Test("refusals name the line")
    func refusals() throws {
        #expect(throws: PaymentRequestError.self) { try parseAlipayStatement(Data([0xC4, 0xE3, 0xBA, 0xC3])) }  // GBK
        #expect(throws: PaymentRequestError("no header line with 支付宝交易号 and 商户订单号: is this an Alipay trade statement?")) {
            try parseAlipayStatement(Data("#only comments\n".utf8))
        }
        let badTime = Self.statement.replacingOccurrences(of: "2026-12-01 07:30:10", with: "2026/12/01 07:30")
        #expect(throws: PaymentRequestError("line 6: the completion time is not yyyy-MM-dd HH:mm:ss")) { try parseAlipayStatement(Data(badTime.utf8)) }
        let badAmount = Self.statement.replacingOccurrences(of: ",3.00\t,3.00", with: ",3.001\t,3.00")
        #expect(throws: PaymentRequestError.self) { try parseAlipayStatement(Data(badAmount.utf8)) }
        let noColumn = Self.statement.replacingOccurrences(of: "完成时间,", with: "时间,")
        #expect(throws: PaymentRequestError("line 5: the header has no 完成时间 column")) { try parseAlipayStatement(Data(noColumn.utf8)) }
    }
}
